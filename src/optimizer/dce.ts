/**
 * @fileoverview Dead code elimination: removes operations without side effects whose
 * result nothing uses.
 *
 * An op is removable when it is pure (including `call_pure`), a heap read or an
 * allocation, and not a guard, write, marker or end of trace. It is used when a kept
 * op names it as an argument or in its resume data (frame values, fields of virtuals,
 * delayed writes, or as a virtual itself). Walking the trace backwards decides every
 * op after all its possible users, so one walk reaches the fixpoint: an op used only
 * by dead ops is dead too. A residual `call` is always kept (it may have effects).
 *
 * The result is a new Trace that shares the kept Op objects with the input (their
 * arguments and snapshots are unchanged); the input's op list is not modified.
 */

import { type Op, Trace, type Value } from "../ir/trace.js";
import { type OptStats, countRule } from "./stats.js";

/** True when removing `op` (if unused) cannot change what the trace does. */
export function isRemovableIfUnused(op: Op): boolean {
  const info = op.info;
  if (info.guard || info.heapWrite || info.final || info.marker) return false;
  return !!(info.pure || info.heapRead || info.alloc);
}

/** The dead code elimination pass. */
export function dce(trace: Trace, stats?: OptStats): Trace {
  const used = new Set<Value>();
  const keep: Op[] = [];
  for (let i = trace.ops.length - 1; i >= 0; i--) {
    const op = trace.ops[i]!;
    if (isRemovableIfUnused(op) && !used.has(op)) {
      countRule(stats, "dce-unused");
      continue;
    }
    keep.push(op);
    for (const a of op.args) used.add(a);
    if (op.snapshot) {
      op.snapshot.forEachValue((v) => used.add(v));
      for (const v of op.snapshot.virtuals.keys()) used.add(v);
    }
  }
  return new Trace(trace.inputs.slice(), keep.reverse(), trace.kind, trace.title);
}
