/**
 * @fileoverview The intbounds pass (after RPython's `intbounds`, much smaller): removes
 * range checks that earlier range checks already decided.
 *
 * Interpreters check indices against bounds all the time — Brainfuck's `>` checks that
 * the head stays at or right of cell 0 and left of the tape's end, once per move. After
 * `pos1 = pos0 + 9` has been checked against 0, `pos2 = pos1 - 9` cannot fall below the
 * end of the tape that `pos1` was already below, and `pos3 = pos1 + 1` cannot fall left
 * of 0. The pass keeps two kinds of facts about values, learned from guards and carried
 * through additions of constants:
 *
 * - a lower bound `x >= c` (c a number), from `guard_false(num_lt(x, c))`,
 *   `guard_true(num_ge(x, c))`, `guard_true(num_gt(x, c))`, `guard_false(num_le(x, c))`;
 *   then `x + k >= c + k` and `x - k >= c - k`;
 * - an upper limit `x < n` (n any value, e.g. an array length), from
 *   `guard_false(num_ge(x, n))` and `guard_true(num_lt(x, n))`; then `x + k < n` for
 *   k <= 0 and `x - k < n` for k >= 0.
 *
 * NaN: every fact means "or x is NaN", which is all a passing `guard_false(num_lt(x, c))`
 * proves, and it carries through (NaN + k is NaN). So the pass removes only guards that
 * also pass for NaN: `guard_false(num_lt(y, c))` when y >= c' with c' >= c, and
 * `guard_false(num_ge(y, n))` when y < n. (`guard_true(num_ge(y, c))` fails for NaN: it
 * stays.) Facts are forgotten at a `label`.
 *
 * In a peeled loop the body may use facts learned in the preamble about a loop-carried
 * value: by induction they hold on every iteration, since each fact the body derives for
 * the next iteration's value follows from the current one's (see unroll.ts).
 */

import { Const, Op, type Trace, type Value } from "../ir/trace.js";
import { TraceRewriter } from "./rewriter.js";
import { type OptStats, countRule } from "./stats.js";

/** A numeric constant's value, or null. */
function num(v: Value): number | null {
  return v instanceof Const && typeof v.value === "number" && !Number.isNaN(v.value) ? v.value : null;
}

class Bounds {
  /** x >= lower.get(x) (or x is NaN). */
  readonly lower = new Map<Value, number>();
  /** x < n for each n in below.get(x) (or x is NaN). */
  readonly below = new Map<Value, Set<Value>>();

  clear(): void {
    this.lower.clear();
    this.below.clear();
  }
  atLeast(x: Value, c: number): void {
    const old = this.lower.get(x);
    if (old === undefined || c > old) this.lower.set(x, c);
  }
  lessThan(x: Value, n: Value): void {
    let s = this.below.get(x);
    if (!s) this.below.set(x, (s = new Set()));
    s.add(n);
  }
  /** y = x + k: what x's facts say about y. */
  shifted(y: Value, x: Value, k: number): void {
    const lo = this.lower.get(x);
    if (lo !== undefined) this.atLeast(y, lo + k);
    const limits = this.below.get(x);
    if (limits && k <= 0) for (const n of limits) this.lessThan(y, n);
  }
}

/** The intbounds pass. */
export function intbounds(trace: Trace, stats?: OptStats): Trace {
  const rw = new TraceRewriter(trace);
  const b = new Bounds();
  for (const op of trace.ops) {
    if (op.name === "label") b.clear();
    const args = rw.args(op);
    if ((op.name === "guard_false" || op.name === "guard_true") && args[0] instanceof Op) {
      const test = args[0];
      const [x, y] = test.args.map((a) => rw.get(a)) as [Value, Value];
      if (op.name === "guard_false" && test.name === "num_lt" && num(y) !== null && (b.lower.get(x) ?? -Infinity) >= num(y)!) {
        countRule(stats, "bounds-lower-implied");
        continue;
      }
      if (op.name === "guard_false" && test.name === "num_ge" && b.below.get(x)?.has(y)) {
        countRule(stats, "bounds-upper-implied");
        continue;
      }
      rw.emit(op, op.name, args);
      learn(b, op.name === "guard_true", test.name, x, y);
      continue;
    }
    const out = rw.emit(op, op.name, args);
    if (op.name === "num_add" || op.name === "num_sub") {
      const [x, y] = args as [Value, Value];
      const sign = op.name === "num_add" ? 1 : -1;
      if (num(y) !== null) b.shifted(out, x, sign * num(y)!);
      else if (op.name === "num_add" && num(x) !== null) b.shifted(out, y, num(x)!);
    }
  }
  return rw.finish();
}

/** What a passing guard on the comparison `name(x, y)` being `holds` proves. */
function learn(b: Bounds, holds: boolean, name: string, x: Value, y: Value): void {
  const c = num(y);
  switch (name) {
    case "num_lt": // x < y
      if (holds) b.lessThan(x, y);
      else if (c !== null) b.atLeast(x, c);
      return;
    case "num_ge": // x >= y
      if (holds && c !== null) b.atLeast(x, c);
      else if (!holds) b.lessThan(x, y);
      return;
    case "num_gt": // x > y
      if (holds && c !== null) b.atLeast(x, c);
      return;
    case "num_le": // x <= y
      if (!holds && c !== null) b.atLeast(x, c);
      return;
  }
}
