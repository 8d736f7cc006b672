/**
 * @fileoverview The forwarding machinery shared by the passes that rebuild a trace
 * (rewrite, pure): a map from values of the input trace to their replacement in the
 * output, and an emitter that copies an op with its arguments and resume data resolved
 * through that map.
 *
 * Passes never mutate their input. Every op a rebuilding pass keeps is a fresh Op in the
 * output; the old op is forwarded to it, so later arguments *and snapshots* that name
 * the old op name the new one. When a pass removes an op because its value is known
 * (a folded constant, an earlier identical op), it forwards the old op to that value
 * instead. A value of the output can itself be forwarded, e.g. to a constant after a
 * `guard_value`: lookups follow the chain. Values that no op defines (input arguments,
 * virtuals named only in resume data) map to themselves.
 */

import { type Descr, type LocationDescr } from "../ir/descr.js";
import { type OpName } from "../ir/ops.js";
import { executeOp } from "../ir/semantics.js";
import { Const, Op, Trace, type Value } from "../ir/trace.js";

/** Builds the output trace of a pass from an input trace. */
export class TraceRewriter {
  private readonly forward = new Map<Value, Value>();
  readonly ops: Op[] = [];

  constructor(readonly source: Trace) {}

  /** The current replacement of `v` (itself when none). */
  get(v: Value): Value {
    if (v instanceof Const) return v;
    let x = v;
    for (let n = this.forward.get(x); n !== undefined; n = this.forward.get(x)) x = n;
    return x;
  }

  /**
   * From now on, `from` stands for `to` (in arguments and resume data alike). `from` is
   * an op of the input that is being dropped, or a value of the output (which ops
   * emitted earlier keep using; only later ones see the replacement).
   */
  replace(from: Value, to: Value): void {
    const target = this.get(to);
    if (target !== from && !(from instanceof Const)) this.forward.set(from, target);
  }

  /** `old`'s arguments, resolved. */
  args(old: Op): Value[] {
    return old.args.map((a) => this.get(a));
  }

  /**
   * Appends a copy of `old` (optionally with another name, arguments or descriptor; the
   * result kind must stay the same) with resolved resume data, and forwards `old` to it.
   */
  emit(old: Op, name: OpName = old.name, args: Value[] = this.args(old), descr: Descr | null = old.descr): Op {
    const op = new Op(name, args, descr);
    if (old.snapshot) op.snapshot = old.snapshot.map((v) => this.get(v));
    op.guardIndex = old.guardIndex;
    this.ops.push(op);
    if (old.kind !== "-") this.forward.set(old, op);
    return op;
  }

  /**
   * The output trace: same inputs, kind and title as the source. A virtual that resume
   * data describes and that a later op allocates (it was forced after the guard) is
   * renamed to that op's copy in the output, so that both keep one name.
   */
  finish(): Trace {
    let position: Map<Value, number> | null = null; // made when first needed
    this.ops.forEach((op, k) => {
      const s = op.snapshot;
      if (!s || s.virtuals.size === 0) return;
      position ??= new Map(this.ops.map((o, j) => [o, j]));
      const rename = new Map<Value, Value>();
      for (const key of s.virtuals.keys()) {
        const copy = this.forward.get(key);
        if (copy instanceof Op && copy.info.alloc && (position.get(copy) ?? -1) > k) rename.set(key, copy);
      }
      if (rename.size > 0) op.snapshot = s.map((v) => rename.get(v) ?? v);
    });
    return new Trace(this.source.inputs.slice(), this.ops, this.source.kind, this.source.title);
  }
}

/** Runs an op on constants; undefined when running it throws. */
export function tryRun(name: OpName, args: readonly Const[], descr: Descr | null): { value: unknown } | undefined {
  try {
    return { value: executeOp(name, args.map((c) => c.value), descr) };
  } catch {
    return undefined;
  }
}

/** True when every value is a constant. */
export function allConst(values: readonly Value[]): values is Const[] {
  return values.every((v) => v instanceof Const);
}

/** A constant number equal to `n` under `Object.is` (so 0 and -0 differ). */
export function isConstNumber(v: Value, n: number): boolean {
  return v instanceof Const && typeof v.value === "number" && Object.is(v.value, n);
}

/**
 * Stable string keys for values, for hashing ops (CSE) and resume states (shared
 * bridges): objects and symbols by identity, other constants by value with `Object.is`
 * equality (0 and -0 differ, NaN equals NaN). Keys are equal exactly when the values
 * are the same for as long as the ValueKeys lives.
 */
export class ValueKeys {
  private readonly ids = new Map<unknown, number>();

  key(v: Value): string {
    return v instanceof Const ? this.constant(v.value) : `v${this.id(v)}`;
  }

  /** The key of a run-time value, as of a constant holding it. */
  constant(x: unknown): string {
    if (typeof x === "object" ? x !== null : typeof x === "function" || typeof x === "symbol") return `K${this.id(x)}`;
    if (typeof x === "number") return Object.is(x, -0) ? "#-0" : `#${x}`;
    return typeof x === "string" ? `'${JSON.stringify(x)}` : `=${String(x)}`;
  }

  private id(x: unknown): number {
    let id = this.ids.get(x);
    if (id === undefined) this.ids.set(x, (id = this.ids.size));
    return id;
  }
}

/** What a pass may be told about the trace it optimizes. */
export interface PassContext {
  /** The trace is a peeled loop whose final jump only carries unroll's value pairs. */
  readonly peeled?: boolean;
  /** In a peeled loop: the descr of the debug_merge_point between preamble and body. */
  readonly boundary?: LocationDescr;
}
