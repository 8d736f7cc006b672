/**
 * @fileoverview Frame entries: the second way into a guest function's compiled code,
 * for a call that passes the callee's frame by its contents (see FrameEntry in
 * ir/descr.ts).
 *
 * An interpreter written the natural way allocates a frame object for every guest
 * call, with its value stack and its locals in arrays. A trace that calls a function's
 * compiled code (`call_assembler`) allocates that frame and hands it over, so a
 * recursive function pays for a frame and two arrays per call even though the caller
 * never looks at the frame again. When the optimizer finds the frame virtual at the
 * call and unused after it, it passes the frame's fields (and the items of its array
 * fields) as arguments instead, to a frame entry of the callee: the callee's function
 * trace with a prologue that allocates the frame from those arguments. Optimized, the
 * prologue's allocations are virtual like any other: the frame exists only where it
 * escapes, and a failing guard's resume data describes it, so it is materialized then.
 *
 * The frame entry is derived from the function trace recorded at the callee's entry
 * (the trace as the tracer recorded it, before optimization): its inputs, the reds
 * then the virtualizable's values, become the other reds, the new frame, and the
 * arguments that filled the frame's fields and items. Bridges of a frame entry are
 * traced from its own guards, as for any tree.
 */

import { type FrameShape, frameShapeArity, type FieldDescr } from "../ir/descr.js";
import { executeOp } from "../ir/semantics.js";
import { Const, InputArg, Op, Trace, type Value } from "../ir/trace.js";
import type { VableLayout, VirtualizableInfo } from "./virtualizable.js";

/**
 * The trace of the frame entry of a function whose recorded trace is `base` (inputs:
 * `reds` reds, the frame the `red`-th, then the frame's virtualizable values in
 * `layout`), for frames of `shape`. Its inputs are the other reds, then the frame's
 * contents in shape order. Null when the shape does not hold the virtualizable's fields
 * (a frame of another layout, or without one of them).
 */
export function frameEntryTrace(
  base: Trace,
  shape: FrameShape,
  vinfo: VirtualizableInfo,
  layout: VableLayout,
  reds: number,
): Trace | null {
  if (base.inputs.length !== reds + vinfo.size(layout)) return null;
  const inputs: InputArg[] = [];
  const subst = new Map<Value, Value>();
  base.inputs.slice(0, reds).forEach((input, i) => {
    if (i === vinfo.red) return;
    const arg = new InputArg(input.kind);
    inputs.push(arg);
    subst.set(input, arg);
  });
  // The frame's contents: one input per plain field, one per item of an array field.
  const frame = new Op("new", [], shape.cls);
  const prologue: Op[] = [frame];
  const stores: Op[] = [];
  const leavesOf = new Map<FieldDescr, InputArg[]>();
  for (const f of shape.fields) {
    if (f.array === null) {
      const arg = new InputArg(f.field.kind);
      inputs.push(arg);
      leavesOf.set(f.field, [arg]);
      stores.push(new Op("setfield", [frame, arg], f.field));
      continue;
    }
    const arr = new Op("new_array", [Const.of(f.length), Const.of(null)], f.array);
    prologue.push(arr);
    const items = Array.from({ length: f.length }, () => new InputArg(f.array!.itemKind));
    inputs.push(...items);
    leavesOf.set(f.field, items);
    items.forEach((item, i) => prologue.push(new Op("setarrayitem", [arr, Const.of(i), item], f.array)));
    stores.push(new Op("setfield", [frame, arr], f.field));
  }
  prologue.push(...stores);
  subst.set(base.inputs[vinfo.red]!, frame);
  // The base trace's virtualizable inputs are the frame's own fields and items.
  const leaves = (field: FieldDescr, length: number): InputArg[] | null => {
    for (const [fd, args] of leavesOf) if (fd.owner === field.owner && fd.field === field.field) return args.length === length ? args : null;
    return null;
  };
  let j = reds;
  for (const field of vinfo.fields) {
    const args = leaves(field, 1);
    if (!args || shape.fields.find((f) => f.field.field === field.field)?.array) return null;
    subst.set(base.inputs[j++]!, args[0]!);
  }
  for (const [k, a] of vinfo.arrays.entries()) {
    const args = leaves(a.field, layout[k]!);
    if (!args) return null;
    for (const arg of args) subst.set(base.inputs[j++]!, arg);
  }
  const c = (v: Value): Value => (v instanceof Const ? v : (subst.get(v) ?? v));
  const ops = base.ops.map((op) => {
    const copy = new Op(op.name, op.args.map(c), op.descr);
    if (op.snapshot) copy.snapshot = op.snapshot.map(c);
    subst.set(op, copy);
    return copy;
  });
  return new Trace(inputs, [...prologue, ...ops], base.kind, `${base.title} (frame entry ${shape.cls.name})`);
}

/**
 * Allocates the frame a call passed by its contents: `values[from …]` are its fields
 * and items in shape order (what the frame entry's inputs are after the other reds).
 */
export function materializeFrame(shape: FrameShape, values: ArrayLike<unknown>, from: number): object {
  if (values.length < from + frameShapeArity(shape)) throw new Error("frame entry: too few values for the frame");
  const frame = executeOp("new", [], shape.cls) as object;
  let j = from;
  for (const f of shape.fields) {
    if (f.array === null) {
      executeOp("setfield", [frame, values[j++]], f.field);
      continue;
    }
    const arr = executeOp("new_array", [f.length, null], f.array) as unknown[];
    for (let i = 0; i < f.length; i++) arr[i] = values[j++];
    executeOp("setfield", [frame, arr], f.field);
  }
  return frame;
}
