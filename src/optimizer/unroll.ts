/**
 * @fileoverview Loop peeling (RPython's `unroll`, LuaJIT's `lj_opt_loop.c`): the first
 * iteration of a loop trace becomes a preamble, and the loop body that follows it is
 * optimized as if it ran right after that iteration, so whatever the body would only
 * recompute — loads of fields that do not change, guards already checked, pure
 * arithmetic on loop invariants — is found in the preamble and drops out of the loop.
 *
 * How (copy-substitution, as LuaJIT does it). A loop trace
 *
 *     [i] label(i) BODY(i) jump(j)
 *
 * is unrolled into a straight line of two iterations, the second a copy of the first in
 * which every input `i_k` is replaced by the first iteration's jump argument `j_k`:
 *
 *     [i] label(i) BODY(i) <boundary> BODY'(j) jump(j', W, W')
 *
 * The forward passes (rewrite, pure, virtualize, heap, …) run over that straight line, where they are
 * trivially sound, and find the second iteration's work in the first: a load of a field
 * the first iteration loaded and nothing wrote since is forwarded; a guard the first
 * iteration checked on the same value is dropped. The wide jump carries, for every
 * value `w` of the first iteration, the value `w'` of its copy, so that after the passes
 * the pairs (w, w') say what each first-iteration value became one iteration later.
 *
 * Closing the loop: the boundary becomes a label and the second iteration the loop
 * body. The body may refer to first-iteration (preamble) values. A value `x` whose copy
 * is itself (`x' === x`) is loop invariant: the preamble computes it once. Any other
 * `x` the body refers to is a loop-carried value (a phi): it becomes an argument of the
 * label, entering with `x` and coming around the back edge with `x'` (if `x'` is itself
 * a preamble value, with that value's current loop value, so phis may pull in more
 * phis). This is how state the interpreter keeps in object fields travels around the
 * loop in locals: the body's load of `tape.pos` was forwarded to the preamble's last
 * store, which becomes a phi whose back-edge value is the body's own last store.
 *
 * Why it is sound (LuaJIT's argument): every fact the body's optimization used about a
 * preamble value `x` came from a preamble op; the body holds the copy of that op, applied
 * to `x'`, or something that proved the same, so the fact holds for the next iteration's
 * `x` too. A heap load forwarded across the boundary was checked against everything
 * between its source and itself, which is one whole iteration.
 *
 * When the pairs are inconsistent, the body refers to a preamble value the pairs do
 * not cover (a pass created it), a phi's back-edge value is defined by no op (a virtual
 * that the body keeps virtual: see virtualize.ts), or a virtual of the first iteration
 * has a copy that the body allocates (the object would exist twice), peeling gives up.
 * Bridges and entry traces are not peeled.
 *
 * Peeling twice (RPython retraces a loop whose end state does not match its start; the
 * same idea, by copy). A loop can need two iterations to settle: in
 * `p = {x: i}; s = s + p.x; i = i + 1`, the record still in `p` when an iteration
 * starts holds, in the first iteration, the box the loop was entered with (real) and in
 * every later one the box the iteration before made (virtual). Peeled once, that field
 * is a phi that enters real and comes around virtual, which cannot close. So when one
 * peeled iteration does not close, the pipeline unrolls two: `BODY(i) BODY'(j)
 * <boundary> BODY''(j')`, with pairs from each iteration to the next. Both sides of the
 * boundary now see the field virtual; the body's phis are its fields' values, and a
 * value of the first iteration that the body still refers to is a phi whose back-edge
 * value is the second iteration's copy (itself a phi). The soundness argument is the
 * same, one iteration further back. If two peels do not close either, the caller
 * optimizes the loop without peeling (the jump then forces what is virtual).
 *
 * Virtuals: the forward passes include `virtualize`, which knows that the wide jump is
 * bookkeeping and forces nothing there. An object allocated in one iteration and read
 * in the next is then virtual on both sides of the boundary; its fields become phis and
 * the body allocates nothing (RPython's virtual state).
 */

import { LocationDescr, TargetToken } from "../ir/descr.js";
import { Const, Op, Trace, type Value } from "../ir/trace.js";
import { type OptStats, countRule } from "./stats.js";

/** A peeled loop, before the forward passes ran over it. */
export interface Unrolled {
  /** label(i) BODY(i) … <boundary> BODY'(j) jump(j', W, W'): a straight line. */
  readonly trace: Trace;
  /** The marker between the preamble and the body (a debug_merge_point found by identity). */
  readonly boundary: LocationDescr;
  /** How many values W (and W') the wide jump carries after the loop's own arguments. */
  readonly pairs: number;
  /** The loop's own token (the label's descr). */
  readonly token: TargetToken;
}

/** True when `trace` has the shape peeling handles: `label(inputs) … jump(…)` to itself. */
export function isPeelable(trace: Trace): boolean {
  const ops = trace.ops;
  if (trace.kind !== "loop" || ops.length < 2) return false;
  const first = ops[0]!;
  const last = ops[ops.length - 1]!;
  return (
    first.name === "label" &&
    last.name === "jump" &&
    last.descr === first.descr &&
    first.args.length === trace.inputs.length &&
    first.args.every((a, i) => a === trace.inputs[i]) &&
    last.args.length === first.args.length &&
    ops.slice(1, -1).every((op) => op.name !== "label" && op.name !== "jump" && op.name !== "finish")
  );
}

/**
 * Unrolls a peelable loop into `peels` preamble iterations and the body (see the file
 * overview). The wide jump pairs the values of each preamble iteration with their copies
 * one iteration later, so a body that refers to a value of an earlier preamble iteration
 * finds what it became.
 */
export function unroll(trace: Trace, peels = 1): Unrolled {
  const ops = trace.ops;
  const label = ops[0]!;
  const jump = ops[ops.length - 1]!;
  const body = ops.slice(1, -1);
  const boundary = new LocationDescr("peeled loop body");
  const out: Op[] = [label];
  // The values of each iteration in one order: its inputs, then its op results.
  const iterations: Value[][] = [];
  let inputs: readonly Value[] = trace.inputs;
  for (let it = 0; it <= peels; it++) {
    if (it === peels) out.push(new Op("debug_merge_point", [], boundary));
    const copyOf = new Map<Value, Value>();
    trace.inputs.forEach((input, k) => copyOf.set(input, inputs[k]!));
    const c = (v: Value): Value => (v instanceof Const ? v : (copyOf.get(v) ?? v));
    const values: Value[] = [...inputs];
    for (const op of body) {
      let now = op;
      if (it > 0) {
        now = new Op(op.name, op.args.map(c), op.descr);
        if (op.snapshot) now.snapshot = op.snapshot.map(c);
        copyOf.set(op, now);
      }
      if (op.kind !== "-") values.push(now);
      out.push(now);
    }
    iterations.push(values);
    inputs = jump.args.map(c);
  }
  // W: the values of every iteration but the last; W': their copies one iteration later.
  const earlier = iterations.slice(0, -1).flat();
  const later = iterations.slice(1).flat();
  out.push(new Op("jump", [...inputs, ...earlier, ...later], jump.descr));
  return {
    trace: new Trace(trace.inputs.slice(), out, "loop", trace.title),
    boundary,
    pairs: earlier.length,
    token: label.descr as TargetToken,
  };
}

/**
 * Closes an unrolled loop after the forward passes ran over it: the boundary becomes
 * the label of the loop body, whose arguments are the phis. Returns null when the
 * optimized trace cannot be closed soundly (the caller then optimizes without peeling).
 */
export function closeLoop(optimized: Trace, u: Unrolled, stats?: OptStats): Trace | null {
  const ops = optimized.ops;
  const at = ops.findIndex((op) => op.name === "debug_merge_point" && op.descr === u.boundary);
  const jump = ops[ops.length - 1];
  if (at < 0 || !jump || jump.name !== "jump") return null;
  const n = jump.args.length - 2 * u.pairs;
  const preamble = new Set<Value>(optimized.inputs);
  for (let k = 0; k < at; k++) preamble.add(ops[k]!);

  // subst: what each preamble value became one iteration later.
  const subst = new Map<Value, Value>();
  for (let k = 0; k < u.pairs; k++) {
    const x = jump.args[n + k]!;
    const y = jump.args[n + u.pairs + k]!;
    if (x instanceof Const) continue;
    const seen = subst.get(x);
    if (seen !== undefined && seen !== y) return null;
    subst.set(x, y);
  }
  // A first-iteration value that the preamble does not define is a virtual (see
  // virtualize.ts). The body stands for every later iteration, so its copy one iteration
  // later must be virtual at the back edge too: allocated in the body, it would exist
  // twice (as the copy, and as the virtual the next iteration still describes or forces).
  const defined = new Set<Value>([...optimized.inputs, ...ops]);
  for (const [x, y] of subst) if (!preamble.has(x) && !(y instanceof Const) && defined.has(y) && !preamble.has(y)) return null;

  const bodyOps = ops.slice(at + 1, -1);
  const phis: Value[] = [];
  const isPhi = new Set<Value>();
  const work: Value[] = [];
  const refer = (v: Value): void => {
    if (v instanceof Const || !preamble.has(v) || isPhi.has(v)) return;
    work.push(v);
  };
  for (const op of bodyOps) {
    op.args.forEach(refer);
    if (op.snapshot) {
      op.snapshot.forEachValue(refer);
      for (const v of op.snapshot.virtuals.keys()) refer(v);
    }
  }
  const invariant = new Set<Value>();
  while (work.length > 0) {
    const x = work.pop()!;
    if (isPhi.has(x) || invariant.has(x)) continue;
    const y = subst.get(x);
    if (y === undefined) return null;
    if (y === x) {
      invariant.add(x);
      continue;
    }
    isPhi.add(x);
    phis.push(x);
    refer(y);
  }
  const backEdge = phis.map((x) => subst.get(x)!);
  // A phi whose value has no kind cannot be a loop variable, and a back-edge value must
  // exist: one that no op defines is a virtual the body never allocated (virtualize.ts).
  if (phis.some((x) => x.kind === "-")) return null;
  if (backEdge.some((y) => !(y instanceof Const) && !defined.has(y))) return null;
  countRule(stats, "unroll-peeled");
  for (let k = 0; k < phis.length; k++) countRule(stats, "unroll-phi");
  const bodyToken = new TargetToken(`${u.token.name}.body`);
  const out: Op[] = [
    ...ops.slice(0, at),
    new Op("label", phis, bodyToken),
    ...bodyOps,
    new Op("jump", backEdge, bodyToken),
  ];
  return new Trace(optimized.inputs.slice(), out, "loop", optimized.title);
}
