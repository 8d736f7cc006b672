/**
 * @fileoverview Resuming after a failed guard: rebuilds the meta-level frames of the
 * guard's resume data from the values the compiled code handed back, materializes the
 * virtual objects the optimizer removed and performs the writes it delayed, so the
 * blackhole interpreter can go on exactly where the trace left the interpreter.
 */

import { ClassDescr } from "../ir/descr.js";
import { Const, Op, pendingWriteOp, type Snapshot, type Trace, type Value } from "../ir/trace.js";
import { executeOp, failedConditionValue } from "../ir/semantics.js";
import type { JitCode } from "../interp-dsl/jitcode.js";
import type { Frame } from "./blackhole.js";

/**
 * What resuming at `snapshot` does before any frame runs: performs its delayed writes,
 * materializing the virtuals they name. Returns the run-time value of any value of the
 * snapshot, materializing virtuals on first use (each once, so shared and cyclic
 * virtuals come out as one object); `valueOf` gives the values the compiled code
 * handed back.
 */
export function resumeValues(snapshot: Snapshot, valueOf: (v: Value) => unknown): (v: Value) => unknown {
  const materialized = new Map<Value, unknown>();
  const get = (v: Value): unknown => {
    if (v instanceof Const) return v.value;
    if (materialized.has(v)) return materialized.get(v);
    const virt = snapshot.virtuals.get(v);
    if (!virt) return valueOf(v);
    if (virt.kind === "object") {
      const obj = executeOp("new", [], virt.cls);
      materialized.set(v, obj);
      for (const [fd, fv] of virt.fields) executeOp("setfield", [obj, get(fv)], fd);
      return obj;
    }
    const arr = executeOp("new_array", [virt.items.length, 0], virt.descr) as unknown[];
    materialized.set(v, arr);
    virt.items.forEach((it, i) => (arr[i] = get(it)));
    return arr;
  };
  for (const w of snapshot.pendingWrites) {
    const { name, args } = pendingWriteOp(w, get);
    executeOp(name, args, w.descr);
  }
  return get;
}

/**
 * Rebuilds the frames of `snapshot`; `get` (from resumeValues) gives the run-time value
 * of a trace value, the same object for a virtual each time it is asked.
 */
export function framesFromSnapshot(snapshot: Snapshot, get: (v: Value) => unknown): Frame[] {
  const frames: Frame[] = [];
  snapshot.frames.forEach((fs, k) => {
    const code = fs.code as JitCode;
    const regs = new Array<unknown>(code.nregs);
    const live = code.liveIn![fs.pc]!;
    live.forEach((r, i) => (regs[r] = get(fs.values[i]!)));
    let retDst = -1;
    if (k > 0) {
      const prev = snapshot.frames[k - 1]!;
      const call = (prev.code as JitCode).insns[prev.pc]!;
      retDst = "d" in call ? call.d : -1;
    }
    frames.push({ code, pc: fs.pc, regs, retDst, ...(fs.entry ? { entry: fs.entry } : {}) });
  });
  return frames;
}

/**
 * The trace values of the registers of each frame of `snapshot`, for tracing on from
 * it (a bridge, or the exit of an inner loop): constants stay, every other value is
 * replaced by `boxOf(value)`.
 */
export function boxesFromSnapshot(snapshot: Snapshot, boxOf: (v: Value) => Value): Value[][] {
  return snapshot.frames.map((fs) => {
    const code = fs.code as JitCode;
    const boxes: Value[] = new Array(code.nregs);
    code.liveIn![fs.pc]!.forEach((reg, i) => {
      const v = fs.values[i]!;
      boxes[reg] = v instanceof Const ? v : boxOf(v);
    });
    return boxes;
  });
}

/**
 * The ops a trace that starts from `snapshot` (a bridge) must begin with, so that it
 * does what resuming does before the frames run again: allocate the virtuals (every
 * `new` / `new_array` first, then their fields and items, so that virtuals pointing at
 * each other, cycles included, need no order), then the delayed writes. Not the
 * virtualizable's writes (flagged `vable`): the bridge keeps those values in trace
 * values (see virtualizable.ts), through the `boxOf` returned, which maps a virtual to
 * its allocating op. Every other value is replaced by `boxOf(value)`. The bridge's own
 * optimization makes the allocations virtual again.
 */
export function resumeOps(snapshot: Snapshot, boxOf: (v: Value) => Value): { ops: Op[]; boxOf: (v: Value) => Value } {
  const allocs = new Map<Value, Op>();
  for (const [v, d] of snapshot.virtuals) {
    allocs.set(v, d.kind === "object" ? new Op("new", [], d.cls) : new Op("new_array", [Const.of(d.items.length), Const.of(0)], d.descr));
  }
  const box = (v: Value): Value => (v instanceof Const ? v : (allocs.get(v) ?? boxOf(v)));
  const ops: Op[] = [...allocs.values()];
  for (const [v, d] of snapshot.virtuals) {
    const obj = allocs.get(v)!;
    if (d.kind === "object") for (const [fd, fv] of d.fields) ops.push(new Op("setfield", [obj, box(fv)], fd));
    else d.items.forEach((item, i) => ops.push(new Op("setarrayitem", [obj, Const.of(i), box(item)], d.descr)));
  }
  for (const w of snapshot.pendingWrites) {
    if (w.vable) continue;
    const { name, args } = pendingWriteOp(w, box);
    ops.push(new Op(name, args, w.descr));
  }
  return { ops, boxOf: box };
}

/**
 * What is known about the values of a guard's resume data when that guard has failed,
 * for tracing a bridge from it: the guard's own condition has the value that made it
 * fail (`guard_true(b)` failed: b is false), and values whose class an earlier
 * `guard_class` of `trace` (the trace holding the guard) checked, or that a `new` of it
 * allocated, still have that class. `inputClasses` are the classes the inputs of
 * `trace` were known to have when it was traced (a bridge's, from the guard it hangs
 * from): the tracer records no `guard_class` for those, so without them a bridge of a
 * bridge would check them again.
 */
export function factsAtFailure(
  guard: Op,
  trace: Trace,
  inputClasses: ReadonlyMap<Value, ClassDescr> = new Map(),
): { consts: Map<Value, Const>; classes: Map<Value, ClassDescr> } {
  const consts = new Map<Value, Const>();
  const classes = new Map<Value, ClassDescr>(inputClasses);
  const cond = guard.args[0];
  const failedWith = failedConditionValue(guard.name);
  if (failedWith !== null && cond !== undefined && !(cond instanceof Const) && cond.kind === "b") consts.set(cond, Const.of(failedWith));
  for (const op of trace.ops) {
    if (op === guard) break;
    if (op.name === "guard_class" && op.descr instanceof ClassDescr && !(op.args[0] instanceof Const)) classes.set(op.args[0]!, op.descr);
    if (op.name === "new" && op.descr instanceof ClassDescr) classes.set(op, op.descr);
  }
  return { consts, classes };
}
