/**
 * @fileoverview The pure pass: common subexpression elimination of pure operations and
 * of repeated guards.
 *
 * Two pure ops (flag `pure`, which includes `call_pure`) with the same name, the same
 * descriptor and the same arguments compute the same value, wherever they are: the
 * later one is dropped and its uses (arguments and resume data) go to the earlier one.
 * Arguments of commutative ops are put in a canonical order first; constants compare
 * by value with `Object.is` (so `0` and `-0` stay apart), everything else by identity.
 * Heap reads are not pure (a write may intervene); the heap pass will handle them.
 *
 * A guard identical to an earlier one (same name, descriptor and arguments) cannot fail
 * where the earlier one passed, so it is removed. Only guards on values qualify: a guard
 * without arguments (`guard_no_exception`) tests what the op before it did, not a value.
 *
 * Both tables are cleared at a `label` (a new loop body). The pass builds a new trace.
 */

import { type Op, type Trace, type Value } from "../ir/trace.js";
import { TraceRewriter, ValueKeys } from "./rewriter.js";
import { type OptStats, countRule } from "./stats.js";

/** The CSE pass over pure ops and guards. */
export function cse(trace: Trace, stats?: OptStats): Trace {
  const rw = new TraceRewriter(trace);
  const keys = new ValueKeys();
  const pure = new Map<string, Op>();
  const guards = new Set<string>();
  const keyOf = (op: Op, args: readonly Value[]): string => {
    const argKeys = args.map((a) => keys.key(a));
    if (op.info.commutative) argKeys.sort();
    return `${op.name}/${op.descr ? op.descr.id : ""}/${argKeys.join(",")}`;
  };
  for (const op of trace.ops) {
    const info = op.info;
    if (op.name === "label") {
      pure.clear();
      guards.clear();
    }
    const args = rw.args(op);
    if (info.pure) {
      const key = keyOf(op, args);
      const earlier = pure.get(key);
      if (earlier) {
        countRule(stats, "cse-pure");
        rw.replace(op, earlier);
      } else {
        pure.set(key, rw.emit(op, op.name, args));
      }
      continue;
    }
    if (info.guard && args.length > 0) {
      const key = keyOf(op, args);
      if (guards.has(key)) {
        countRule(stats, "cse-guard");
        continue;
      }
      guards.add(key);
    }
    rw.emit(op, op.name, args);
  }
  return rw.finish();
}
