/**
 * @fileoverview Store sinking at the back edge of a peeled loop: a field store that the
 * heap pass performs right before the body's `jump` is dropped when no one can see it.
 *
 * Peeling carries a field the loop keeps updating (Brainfuck's `tape.pos`) around the
 * loop in a local, and `heap` delays its store: each guard of the body performs it in
 * its resume data (`{setfield(p0, n9, descr=Tape.pos)}`). At the end of the body `heap`
 * still stores it once per iteration, so that memory is up to date when the next
 * iteration starts. That store is dead when
 *
 *  - it comes after the body's last guard (every guard before it has its own copy);
 *  - its object is the same in every iteration: a preamble value or a constant, not a
 *    label argument or a value the body computes (otherwise the store belongs to this
 *    iteration's object, which no later exit would write);
 *  - every guard of the body performs a write of that object's field in its resume
 *    data, so whichever exit the loop takes, memory gets the field's current value;
 *  - nothing in the body reads the field from memory: no other `getfield` or
 *    `setfield` with that descriptor (a store that `heap` forced before a read or a
 *    call shows up as one), and no call that could read the heap.
 *
 * A guard's delayed write names the value of its own iteration (by the peeling
 * argument of unroll.ts the body's values are those of the current iteration), so the
 * value memory would have had from the dropped store is never needed. In the backend
 * the store was one memory write per iteration of the tightest loops: V8 cannot drop it
 * (the object is reachable). RPython and LuaJIT keep this store; with every exit
 * carrying the field, we do not need to.
 */

import { type Op, Trace, type Value } from "../ir/trace.js";
import { type OptStats, countRule } from "./stats.js";

/** The trace with the dead stores before a peeled loop's back edge removed. */
export function sinkBackEdgeStores(trace: Trace, stats?: OptStats): Trace {
  const ops = trace.ops;
  const jump = ops[ops.length - 1];
  if (trace.kind !== "loop" || !jump || jump.name !== "jump") return trace;
  let labelAt = ops.length - 1;
  while (labelAt >= 0 && ops[labelAt]!.name !== "label") labelAt--;
  const label = ops[labelAt];
  if (!label || label.descr !== jump.descr || labelAt === 0) return trace;
  const body = ops.slice(labelAt + 1, -1);
  // A call that may read the heap makes every store of the body observable.
  if (body.some((op) => op.info.call && !op.info.pure)) return trace;
  const definedInBody = new Set<Value>([...label.args, ...body]);
  const guards = body.filter((op) => op.info.guard);
  const afterLastGuard = guards.length === 0 ? 0 : body.lastIndexOf(guards[guards.length - 1]!) + 1;

  const dead = new Set<Op>();
  for (let k = afterLastGuard; k < body.length; k++) {
    const store = body[k]!;
    if (store.name !== "setfield") continue;
    const [obj] = store.args;
    if (definedInBody.has(obj!)) continue;
    const touched = body.some((op) => op !== store && (op.name === "getfield" || op.name === "setfield") && op.descr === store.descr);
    if (touched) continue;
    const everyExitWrites = guards.every(
      (g) => g.snapshot?.pendingWrites.some((w) => w.kind === "field" && w.obj === obj && w.descr === store.descr) ?? false,
    );
    if (!everyExitWrites) continue;
    dead.add(store);
    countRule(stats, "backedge-store-sunk");
  }
  if (dead.size === 0) return trace;
  return new Trace(trace.inputs.slice(), ops.filter((op) => !dead.has(op)), trace.kind, trace.title);
}
