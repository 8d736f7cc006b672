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

import { type FieldDescr, type FrameShape, type ShapeNode, frameShapeArity } from "../ir/descr.js";
import type { Kind } from "../ir/ops.js";
import { executeOp } from "../ir/semantics.js";
import { Const, InputArg, Op, Trace, type Value } from "../ir/trace.js";
import type { VableLayout, VirtualizableInfo } from "./virtualizable.js";

/**
 * The trace of the frame entry of a function whose recorded trace is `base` (inputs:
 * `reds` reds, the frame the `vinfo.red`-th, then the frame's virtualizable values in
 * `layout`), for frames of `shape`. Its inputs are the other reds, then the leaves of
 * the shape. Null when the shape does not hold the virtualizable's fields as `layout`
 * says (a plain field, and an array of that length for each array field).
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
  // The prologue: every object and array of the shape allocated, then filled in (so
  // the order of allocations does not matter), from the leaves, depth first.
  const allocs: Op[] = [];
  const stores: Op[] = [];
  const contents = new Map<Value, Value[]>(); // an object's field values, an array's items
  const build = (node: ShapeNode, kind: Kind): Value => {
    if (node === null) {
      const arg = new InputArg(kind);
      inputs.push(arg);
      return arg;
    }
    if ("cls" in node) {
      const obj = new Op("new", [], node.cls);
      allocs.push(obj);
      const fields = node.fields.map(([fd, f]) => build(f, fd.kind));
      node.fields.forEach(([fd], i) => stores.push(new Op("setfield", [obj, fields[i]!], fd)));
      contents.set(obj, fields);
      return obj;
    }
    const arr = new Op("new_array", [Const.of(node.items.length), Const.of(null)], node.array);
    allocs.push(arr);
    const items = node.items.map((item) => build(item, node.array.itemKind));
    items.forEach((item, i) => stores.push(new Op("setarrayitem", [arr, Const.of(i), item], node.array)));
    contents.set(arr, items);
    return arr;
  };
  const frame = build(shape, "p");
  subst.set(base.inputs[vinfo.red]!, frame);
  // The base trace's virtualizable inputs are the frame's own fields and items.
  const field = (fd: FieldDescr): { node: ShapeNode; value: Value } | null => {
    const i = shape.fields.findIndex(([f]) => f.owner === fd.owner && f.field === fd.field);
    return i < 0 ? null : { node: shape.fields[i]![1], value: contents.get(frame)![i]! };
  };
  let j = reds;
  for (const fd of vinfo.fields) {
    const f = field(fd);
    if (!f) return null;
    subst.set(base.inputs[j++]!, f.value);
  }
  for (const [k, a] of vinfo.arrays.entries()) {
    const f = field(a.field);
    if (!f || f.node === null || !("array" in f.node) || f.node.items.length !== layout[k]) return null;
    for (const item of contents.get(f.value)!) subst.set(base.inputs[j++]!, item);
  }
  const c = (v: Value): Value => (v instanceof Const ? v : (subst.get(v) ?? v));
  const ops = base.ops.map((op) => {
    const copy = new Op(op.name, op.args.map(c), op.descr);
    if (op.snapshot) copy.snapshot = op.snapshot.map(c);
    subst.set(op, copy);
    return copy;
  });
  return new Trace(inputs, [...allocs, ...stores, ...ops], base.kind, `${base.title} (frame entry ${shape.cls.name})`);
}

/**
 * Allocates the frame a call passed by its contents: `values[from …]` are the leaves of
 * its shape, depth first (what the frame entry's inputs are after the other reds).
 */
export function materializeFrame(shape: FrameShape, values: ArrayLike<unknown>, from: number): object {
  if (values.length < from + frameShapeArity(shape)) throw new Error("frame entry: too few values for the frame");
  let j = from;
  const build = (node: ShapeNode): unknown => {
    if (node === null) return values[j++];
    if ("cls" in node) {
      const obj = executeOp("new", [], node.cls);
      for (const [fd, f] of node.fields) executeOp("setfield", [obj, build(f)], fd);
      return obj;
    }
    const arr = executeOp("new_array", [node.items.length, null], node.array) as unknown[];
    node.items.forEach((item, i) => (arr[i] = build(item)));
    return arr;
  };
  return build(shape) as object;
}
