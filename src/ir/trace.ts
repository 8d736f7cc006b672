/**
 * @fileoverview Trace data structures: values, operations, snapshots (resume data) and
 * the trace itself.
 *
 * A trace is a straight line of operations in SSA form. Each operation is also the value
 * it produces (as in RPython's resoperations); the other values are input arguments and
 * constants. A guard carries a Snapshot: the meta-level frames that were active when the
 * tracer recorded it, each with the jitcode, the position to resume at and the value of
 * every live register, plus the virtual objects and delayed writes the optimizer removed
 * from the trace. Resuming after a failed guard means rebuilding those frames.
 */

import { type ArrayDescr, type ClassDescr, type Descr, CallDescr, FieldDescr, ArrayDescr as ArrayDescrClass } from "./descr.js";
import { type Kind, type OpInfo, type OpName, OPS } from "./ops.js";

/** Anything an op can take as an argument. */
export type Value = Const | InputArg | Op;

/** A constant value, known when the trace is recorded. */
export class Const {
  constructor(
    readonly value: unknown,
    readonly kind: Kind,
  ) {}
  static of(value: unknown): Const {
    return new Const(value, kindOfJsValue(value));
  }
}

/** The kind of a concrete JS value, used for constants and input arguments. */
export function kindOfJsValue(value: unknown): Kind {
  switch (typeof value) {
    case "number":
      return "n";
    case "boolean":
      return "b";
    case "string":
      return "s";
    case "object":
    case "function":
      return "p";
    default:
      return "v";
  }
}

/** An input argument of a trace (a loop's or a bridge's). */
export class InputArg {
  constructor(readonly kind: Kind) {}
}

/** Where a frame of resume data belongs: anything with a printable name. */
export interface ResumeCode {
  readonly name: string;
}

/** One meta-level frame in a snapshot. */
export interface FrameSnapshot {
  /** The jitcode of the frame; null in hand-written test traces. */
  readonly code: ResumeCode | null;
  /** Where to resume: the instruction to re-execute (innermost) or the call (outer frames). */
  readonly pc: number;
  /** Values of the live registers at `pc`, in the jitcode's liveness order. */
  readonly values: Value[];
  /**
   * For a portal frame, the greens its invocation is known by to the tracer (where its
   * trace started, or the entry of an inlined guest call): a bridge traced from here
   * needs them to tell a recursive guest call. Not part of the text format.
   */
  readonly entry?: readonly unknown[];
}

/** A virtual object (or array) that the optimizer removed; rebuilt on guard failure. */
export type VirtualDesc =
  | { readonly kind: "object"; readonly cls: ClassDescr; readonly fields: [FieldDescr, Value][] }
  | { readonly kind: "array"; readonly descr: ArrayDescr; readonly items: Value[] };

/**
 * A write the optimizer delayed, or a field of the virtualizable frame that lives in a
 * trace value (`vable`, set by the tracer); performed when the guard fails. A bridge
 * traced from the guard starts with the delayed writes as ops, but keeps the
 * virtualizable's values in trace values (see tracer/virtualizable.ts).
 */
export type PendingWrite =
  | { readonly kind: "field"; readonly obj: Value; readonly descr: FieldDescr; readonly value: Value; readonly vable?: true }
  | { readonly kind: "item"; readonly obj: Value; readonly descr: ArrayDescr; readonly index: Value; readonly value: Value; readonly vable?: true };

/**
 * The op that performs a pending write (`setfield(obj, value)` or
 * `setarrayitem(obj, index, value)`), with its arguments mapped by `f`: to trace values
 * to record it, or to run-time values to run it.
 */
export function pendingWriteOp<T>(w: PendingWrite, f: (v: Value) => T): { readonly name: "setfield" | "setarrayitem"; readonly args: T[] } {
  return w.kind === "field" ? { name: "setfield", args: [f(w.obj), f(w.value)] } : { name: "setarrayitem", args: [f(w.obj), f(w.index), f(w.value)] };
}

/** Resume data of a guard. */
export class Snapshot {
  constructor(
    /** Outermost frame first. */
    readonly frames: FrameSnapshot[],
    /** Values in frames that stand for removed allocations, with what they contain. */
    readonly virtuals: Map<Value, VirtualDesc> = new Map(),
    readonly pendingWrites: PendingWrite[] = [],
    /** The guard resumes after a call whose exception is pending (guard_no_exception). */
    readonly afterCallRaising = false,
  ) {}

  /** Every value this snapshot refers to, in a fixed order (virtual fields included). */
  forEachValue(fn: (v: Value) => void): void {
    for (const f of this.frames) for (const v of f.values) fn(v);
    for (const [, d] of this.virtuals) {
      if (d.kind === "object") for (const [, v] of d.fields) fn(v);
      else for (const v of d.items) fn(v);
    }
    for (const w of this.pendingWrites) {
      fn(w.obj);
      if (w.kind === "item") fn(w.index);
      fn(w.value);
    }
  }

  /**
   * A copy with every value mapped through `fn` (virtual placeholders too); this
   * snapshot itself when `fn` changes no value (snapshots are never modified, and most
   * passes leave most resume data as it is).
   */
  map(fn: (v: Value) => Value): Snapshot {
    // Every pass maps the resume data of every guard it keeps: nothing is allocated
    // for the parts that stay the same (values are visited in forEachValue's order).
    const frames = mapSame(this.frames, (fr) => {
      const values = mapSame(fr.values, fn);
      return values === fr.values ? fr : { ...fr, values };
    });
    let virtuals = this.virtuals;
    if (virtuals.size > 0) {
      let changed = false;
      const mapped = new Map<Value, VirtualDesc>();
      for (const [k, d] of this.virtuals) {
        const key = fn(k);
        let desc: VirtualDesc = d;
        if (d.kind === "object") {
          const fields = mapSame(d.fields, (field): [FieldDescr, Value] => {
            const v = fn(field[1]);
            return v === field[1] ? field : [field[0], v];
          });
          if (fields !== d.fields) desc = { kind: "object", cls: d.cls, fields };
        } else {
          const items = mapSame(d.items, fn);
          if (items !== d.items) desc = { kind: "array", descr: d.descr, items };
        }
        if (key !== k || desc !== d) changed = true;
        mapped.set(key, desc);
      }
      if (changed) virtuals = mapped;
    }
    const pendingWrites = mapSame(this.pendingWrites, (w): PendingWrite => {
      const obj = fn(w.obj);
      const index = w.kind === "item" ? fn(w.index) : null;
      const value = fn(w.value);
      if (obj === w.obj && value === w.value && (w.kind === "field" || index === w.index)) return w;
      return w.kind === "field" ? { ...w, obj, value } : { ...w, obj, index: index!, value };
    });
    if (frames === this.frames && virtuals === this.virtuals && pendingWrites === this.pendingWrites) return this;
    return new Snapshot(frames, virtuals, pendingWrites, this.afterCallRaising);
  }

  /**
   * The values the compiled code must hand back when this guard fails: every
   * non-constant value referred to, except placeholders of virtuals, each once.
   */
  failArgs(): Value[] {
    const seen = new Set<Value>();
    const out: Value[] = [];
    this.forEachValue((v) => {
      if (v instanceof Const || seen.has(v) || this.virtuals.has(v)) return;
      seen.add(v);
      out.push(v);
    });
    return out;
  }
}

/** `items` mapped through `fn`, in order: the same array when `fn` returns every item itself. */
function mapSame<T>(items: T[], fn: (item: T) => T): T[] {
  let out: T[] | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const x = fn(item);
    if (x !== item) (out ??= items.slice())[i] = x;
  }
  return out ?? items;
}

let nextOpId = 0;

/** One operation of a trace; also the value it produces. */
export class Op {
  readonly id = nextOpId++;
  readonly kind: Kind | "-";
  /** The op table's facts about `name` (kept here: passes ask for them at every op). */
  readonly info: OpInfo;
  /** Resume data, for guards. */
  snapshot: Snapshot | null = null;
  /** Set by the backend: this guard's index in its function's exit table. */
  guardIndex = -1;
  constructor(
    readonly name: OpName,
    public args: Value[],
    readonly descr: Descr | null = null,
  ) {
    this.info = OPS[name];
    this.kind = resultKindOf(name, args, descr);
  }
}

/** The kind of the value `name` produces with these arguments and descriptor. */
export function resultKindOf(name: OpName, args: readonly Value[], descr: Descr | null): Kind | "-" {
  const r = OPS[name].result;
  if (r === "descr") {
    if (descr instanceof FieldDescr) return descr.kind;
    if (descr instanceof ArrayDescrClass) return descr.itemKind;
    if (descr instanceof CallDescr) return descr.resultKind;
    throw new Error(`op ${name} needs a descriptor that gives its result kind`);
  }
  if (name === "same_as") return args[0]!.kind;
  return r;
}

/** What a trace is: a loop (label … jump), or a bridge/entry that ends in a jump or finish. */
export type TraceKind = "loop" | "bridge" | "entry";

/** A trace: input arguments and a straight line of operations. */
export class Trace {
  constructor(
    readonly inputs: InputArg[],
    readonly ops: Op[],
    public kind: TraceKind = "loop",
    public title = "",
  ) {}

  /** Number of ops that do real work (no labels or debug markers). */
  get realOpCount(): number {
    let n = 0;
    for (const op of this.ops) if (!op.info.marker) n++;
    return n;
  }
}
