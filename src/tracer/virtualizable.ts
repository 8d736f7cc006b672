/**
 * @fileoverview Virtualizable frames, as RPython's virtualizables: the fields of the
 * interpreter's frame object named by the driver's `virtualizables` option (a stack
 * pointer, every item of a value stack and of the locals) live in trace values while
 * compiled code runs, instead of being read and written through the heap.
 *
 * The frame exists before the loop starts, so without this every value pushed on its
 * stack escapes (it is stored into an object the trace did not allocate). With it:
 * - a loop's inputs are the reds, then the virtualizable's values: its plain fields,
 *   then the items of each array in order (the *layout*: the arrays' lengths, fixed
 *   while a frame lives). The engine reads them from the frame when it enters compiled
 *   code, and every jump passes them, so a peeled loop carries them in loop arguments;
 * - while tracing, reads and writes of them on the frame red record nothing (the
 *   concrete frame is still updated, as tracing runs the interpreter for real);
 * - wherever control leaves compiled code they are written back: every guard's resume
 *   data holds them as delayed writes (flagged `vable`), a jump to a loop that is not
 *   compiled yet (a stub) makes the engine store them, and a residual call that gets the
 *   frame or one of its arrays as an argument is bracketed by writing them all and
 *   reading them again.
 *
 * What RPython does beyond this and we do not: its compiled code sets a `vable_token`
 * in the frame, and any access from outside the JIT checks it and *forces* the frame
 * (fills in the fields from the machine frame). Plain JS cannot be made to check, so the
 * contract in hints.ts forbids code called from a trace to reach the frame except as an
 * argument.
 */

import { type ArrayDescr, type Descr, FieldDescr } from "../ir/descr.js";
import { Const, type PendingWrite, type Snapshot, type Value } from "../ir/trace.js";
import type { Unit } from "../interp-dsl/jitcode.js";

/** The array lengths of a frame: the shape of the trace values holding its virtualizable. */
export type VableLayout = readonly number[];

/** The portal's virtualizable red, with its live descriptors. */
export class VirtualizableInfo {
  private constructor(
    /** Index of the frame among the reds. */
    readonly red: number,
    readonly fields: readonly FieldDescr[],
    readonly arrays: readonly { readonly field: FieldDescr; readonly items: ArrayDescr }[],
  ) {}

  static of(unit: Unit): VirtualizableInfo | null {
    const raw = unit.portal?.virtualizable;
    if (!raw) return null;
    return new VirtualizableInfo(
      raw.red,
      raw.fields.map((f) => unit.descrs[f.descr] as FieldDescr),
      raw.arrays.map((a) => ({ field: unit.descrs[a.descr] as FieldDescr, items: unit.descrs[a.items] as ArrayDescr })),
    );
  }

  /** Index of `descr` among the plain fields, or -1. */
  fieldIndex(descr: Descr | null): number {
    return descr instanceof FieldDescr ? this.fields.findIndex((f) => sameField(f, descr)) : -1;
  }
  /** Index of `descr` among the array fields, or -1. */
  arrayIndex(descr: Descr | null): number {
    return descr instanceof FieldDescr ? this.arrays.findIndex((a) => sameField(a.field, descr)) : -1;
  }
  /** True when `descr` is a field the virtualizable's class keeps in trace values. */
  isVirtualizableField(descr: Descr | null): boolean {
    return this.fieldIndex(descr) >= 0 || this.arrayIndex(descr) >= 0;
  }

  layoutOf(frame: unknown): VableLayout {
    return this.arrays.map((a) => {
      const arr = (frame as Record<string, unknown>)[a.field.field];
      return Array.isArray(arr) ? arr.length : -1;
    });
  }
  /** The concrete values of `frame`, fields then items, in layout order. */
  read(frame: unknown, layout: VableLayout): unknown[] {
    const f = frame as Record<string, unknown>;
    const out = this.fields.map((d) => f[d.field]);
    this.arrays.forEach((a, k) => {
      const arr = f[a.field.field] as unknown[];
      for (let i = 0; i < layout[k]!; i++) out.push(arr[i]);
    });
    return out;
  }
  /** Stores `values[from ...]` (fields then items) into `frame`. */
  write(frame: unknown, values: ArrayLike<unknown>, from: number, layout: VableLayout): void {
    const f = frame as Record<string, unknown>;
    let j = from;
    for (const d of this.fields) f[d.field] = values[j++];
    this.arrays.forEach((a, k) => {
      const arr = f[a.field.field] as unknown[];
      for (let i = 0; i < layout[k]!; i++) arr[i] = values[j++];
    });
  }
  /** Number of values in a layout: fields plus items. */
  size(layout: VableLayout): number {
    return layout.reduce((n, len) => n + len, this.fields.length);
  }
}

function sameField(a: FieldDescr, b: FieldDescr): boolean {
  return a === b || (a.owner === b.owner && a.field === b.field);
}

export function sameLayout(a: VableLayout, b: VableLayout): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** The virtualizable as the tracer holds it: the frame and the trace values of its fields and items. */
export interface VableBoxes {
  /** The frame's trace value (the red's). */
  readonly frame: Value;
  /** The concrete frame. */
  readonly obj: object;
  readonly layout: VableLayout;
  readonly fields: Value[];
  /** Per array field: the array's trace value (null until needed, for an empty array) and its items. */
  readonly arrays: { box: Value | null; readonly obj: unknown[]; readonly items: Value[] }[];
}

/** The trace values of the virtualizable, fields then items: what a loop's inputs and jumps carry after the reds. */
export function vableValues(v: VableBoxes): Value[] {
  return [...v.fields, ...v.arrays.flatMap((a) => a.items)];
}

/** The writes that put the virtualizable's trace values back into the frame, in layout order. */
export function vableWrites(info: VirtualizableInfo, v: VableBoxes): PendingWrite[] {
  const out: PendingWrite[] = info.fields.map((descr, k) => ({ kind: "field", obj: v.frame, descr, value: v.fields[k]!, vable: true }));
  v.arrays.forEach((a, k) => {
    a.items.forEach((value, i) => out.push({ kind: "item", obj: a.box!, descr: info.arrays[k]!.items, index: Const.of(i), value, vable: true }));
  });
  return out;
}

/**
 * The virtualizable a bridge starts with, from the resume data of the guard it is
 * traced from: the values of its flagged writes (in layout order, see `vableWrites`)
 * mapped by `boxOf`, on the frame `valueOf` gives concretely. `frame` is the frame's
 * value in the snapshot when known from elsewhere (the portal's red register); null
 * when the snapshot does not describe the virtualizable.
 */
export function vableFromSnapshot(
  info: VirtualizableInfo,
  snapshot: Snapshot,
  frame: Value | null,
  boxOf: (v: Value) => Value,
  valueOf: (v: Value) => unknown,
): VableBoxes | null {
  const writes = snapshot.pendingWrites.filter((w) => w.vable);
  const frameValue = info.fields.length > 0 ? writes[0]?.obj : frame;
  if (!frameValue) return null;
  const obj = valueOf(frameValue);
  if (obj === null || typeof obj !== "object") return null;
  const layout = info.layoutOf(obj);
  if (writes.length !== info.size(layout)) return null;
  const box = (v: Value): Value => (v instanceof Const ? v : boxOf(v));
  let j = 0;
  const fields = info.fields.map(() => box(writes[j++]!.value));
  const arrays = info.arrays.map((a, k) => {
    const items: Value[] = [];
    let arrBox: Value | null = null;
    for (let i = 0; i < layout[k]!; i++) {
      const w = writes[j++]!;
      arrBox = box(w.obj);
      items.push(box(w.value));
    }
    return { box: arrBox, obj: (obj as Record<string, unknown>)[a.field.field] as unknown[], items };
  });
  return { frame: box(frameValue), obj, layout, fields, arrays };
}
