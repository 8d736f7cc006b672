/**
 * @fileoverview Descriptors: the static facts an op carries besides its arguments.
 *
 * A field access carries a FieldDescr (which class declares the field, its name, its
 * kind, whether it is immutable), an array access an ArrayDescr (what kind of array),
 * an allocation a ClassDescr, a call a CallDescr (what it may read and write, whether it
 * can throw). Descriptors are created by the translator from the interpreter's types and
 * are shared by every trace; the optimizer's alias analysis is type based: two accesses
 * with different descriptors never touch the same memory.
 *
 * Descriptors live in the backend's constant side table, never in generated source,
 * except for identifiers (field and method names) that the translator has checked.
 */

import type { Kind } from "./ops.js";

let nextDescrId = 0;

/** Base of every descriptor: a unique id and a printable name. */
export abstract class Descr {
  readonly id = nextDescrId++;
  abstract readonly name: string;
  toString(): string {
    return this.name;
  }
}

/** A field of an interpreter class, identified by the class that declares it. */
export class FieldDescr extends Descr {
  readonly name: string;
  constructor(
    readonly owner: string,
    readonly field: string,
    readonly kind: Kind,
    /** `readonly` in the source: never written after construction. */
    readonly immutable: boolean,
    /** Marked quasi-immutable: rarely written; writes invalidate dependent traces. */
    readonly quasiImmutable = false,
  ) {
    super();
    this.name = `${owner}.${field}`;
  }
}

/** The JS array flavours the IR knows. */
export type ArrayFlavour =
  | "Array"
  | "Uint8Array"
  | "Int8Array"
  | "Uint16Array"
  | "Int16Array"
  | "Uint32Array"
  | "Int32Array"
  | "Float32Array"
  | "Float64Array";

/** The typed-array flavours, in one place for the translator and the parser. */
export const TYPED_ARRAY_FLAVOURS: readonly ArrayFlavour[] = [
  "Uint8Array",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
];

/** A kind of array: its flavour and its element type (the alias class). */
export class ArrayDescr extends Descr {
  readonly name: string;
  constructor(
    readonly flavour: ArrayFlavour,
    /** Printable element type, e.g. `number` or `W_Object`; part of the alias class. */
    readonly elementType: string,
    readonly itemKind: Kind,
    /** `readonly T[]` in the source: items never written after construction. */
    readonly immutable: boolean,
  ) {
    super();
    const base = flavour === "Array" ? `Array<${elementType}>` : flavour;
    this.name = immutable ? `readonly ${base}` : base;
  }
  get typed(): boolean {
    return this.flavour !== "Array";
  }
}

/**
 * The argument that makes the constructor of an interpreter class, in the `jit` variant
 * the translator emits, return at once: `new C(BLANK_ALLOCATION)` is an instance of C
 * with no own properties yet (see `ClassDescr`). A registered symbol, so the variant's
 * modules (which spell it `Symbol.for("tsjit.blank")`) and the JIT agree on it without
 * importing each other.
 */
export const BLANK_ALLOCATION: unique symbol = Symbol.for("tsjit.blank") as never;

/**
 * An interpreter class: how to allocate it and the fields it has.
 *
 * The `new` op allocates a *blank* instance, `new ctor(BLANK_ALLOCATION)`: the class's
 * own construct path (so V8 gives it the class's initial hidden class) with the
 * constructor body skipped; the trace then sets the fields as the constructor would,
 * in the same order, and the object is one `new C(...)` could have made.
 */
export class ClassDescr extends Descr {
  /** Fields in layout order (JS own-property order), inherited ones first. Filled in by the translator. */
  fields: FieldDescr[] = [];
  constructor(
    readonly name: string,
    /** The JS constructor; called with BLANK_ALLOCATION, it returns a blank instance. */
    public ctor: (new (...args: never[]) => object) | null,
    readonly parent: ClassDescr | null = null,
  ) {
    super();
  }
  /** True when `this` is `other` or derives from it. */
  isSubclassOf(other: ClassDescr): boolean {
    for (let c: ClassDescr | null = this; c; c = c.parent) if (c === other) return true;
    return false;
  }
}

/** What a call may do to the heap. */
export interface EffectInfo {
  /** Writes: every field and array (`all`), or the listed descriptors only. */
  readonly writes: "all" | { readonly fields: ReadonlySet<FieldDescr>; readonly arrays: ReadonlySet<ArrayDescr> };
  /** The result may depend on heap contents, so it cannot be reused across writes. */
  readonly readsHeap: boolean;
}

export const EFFECTS_NONE: EffectInfo = { writes: { fields: new Set(), arrays: new Set() }, readsHeap: false };
export const EFFECTS_READONLY: EffectInfo = { writes: { fields: new Set(), arrays: new Set() }, readsHeap: true };
export const EFFECTS_ALL: EffectInfo = { writes: "all", readsHeap: true };

/** How a call is made and what it may do. */
export class CallDescr extends Descr {
  constructor(
    readonly name: string,
    readonly resultKind: Kind | "-",
    readonly effects: EffectInfo,
    readonly canRaise: boolean,
    /**
     * How the backend spells the call. `function`: `f(a, b)` with arg 0 the function;
     * `method`: `a.name(b)` (dynamic dispatch on the receiver, arg 0 unused);
     * `template`: a builtin's own JS spelling, `$1` … `$n` the arguments after arg 0.
     */
    readonly spelling: { kind: "function" } | { kind: "method"; method: string } | { kind: "template"; template: string },
  ) {
    super();
  }
  /** True when the call may write `field`. */
  mayWriteField(field: FieldDescr): boolean {
    const w = this.effects.writes;
    return w === "all" || w.fields.has(field);
  }
  /** True when the call may write items or length of arrays described by `array`. */
  mayWriteArray(array: ArrayDescr): boolean {
    const w = this.effects.writes;
    return w === "all" || w.arrays.has(array);
  }
  get writesNothing(): boolean {
    const w = this.effects.writes;
    return w !== "all" && w.fields.size === 0 && w.arrays.size === 0;
  }
}

/**
 * How a guest call passes a frame by its contents instead of as an object (see
 * `FrameEntry`): a tree of objects and arrays whose other values are passed one
 * argument each (the *leaves*, `null` here), depth first in field and item order. An
 * object lists its fields in the order it defines them.
 */
export type ShapeNode =
  | null
  | { readonly cls: ClassDescr; readonly fields: readonly (readonly [FieldDescr, ShapeNode])[] }
  | { readonly array: ArrayDescr; readonly items: readonly ShapeNode[] };

/** The shape of a frame passed by its contents: an object. */
export type FrameShape = Extract<ShapeNode, { readonly cls: ClassDescr }>;

/** A string that is equal for equal shapes (classes, fields, array lengths). */
export function frameShapeKey(node: ShapeNode): string {
  if (node === null) return "*";
  if ("cls" in node) return `${node.cls.name}{${node.fields.map(([f, n]) => (n === null ? f.field : `${f.field}:${frameShapeKey(n)}`)).join(",")}}`;
  return `[${node.items.map(frameShapeKey).join(",")}]`;
}

/** The number of arguments that pass a value of this shape. */
export function frameShapeArity(node: ShapeNode): number {
  if (node === null) return 1;
  if ("cls" in node) return node.fields.reduce((n, [, f]) => n + frameShapeArity(f), 0);
  return node.items.reduce((n, item) => n + frameShapeArity(item), 0);
}

/**
 * The other entry of a portal invocation, for a guest call whose caller allocated the
 * callee's frame in its trace and never uses it after the call: the frame need not be
 * allocated at all. `call_assembler(reds…, descr=T)` becomes `call_assembler(the
 * other reds…, the frame's contents…, descr=entry(shape))`, whose code starts from
 * the frame as a virtual object (allocated only if it escapes, or when a guard fails).
 */
export interface FrameEntry {
  /** The index of the frame among the call's reds. */
  readonly red: number;
  /** The number of reds (the call's arguments after them are the frame's virtualizable values). */
  readonly reds: number;
  /** The token entered with the frame passed by `shape`, or null when there is none. */
  readonly entry: (shape: FrameShape) => TargetToken | null;
}

/** The place a jump goes to: a loop's label. */
export class TargetToken extends Descr {
  /** The engine's record of the code this token enters (set by the engine; opaque here). */
  owner: unknown = null;
  /** For a portal entry whose frame may be passed by its contents (set by the engine). */
  frameEntry: FrameEntry | null = null;
  /**
   * What `call_assembler(args, descr=this)` calls: runs the portal invocation whose
   * merge point this token enters, with `args` as its red values, to its return, and
   * returns the portal's result (set by the engine; throws until then).
   */
  assembler: (...reds: unknown[]) => unknown = () => {
    throw new Error(`call_assembler: no code behind ${this.name}`);
  };
  constructor(readonly name: string) {
    super();
  }
}

/** The guest-level location of a merge point, as the driver's printable location says. */
export class LocationDescr extends Descr {
  constructor(
    readonly name: string,
    /** The green values at this merge point. */
    readonly greens: readonly unknown[] = [],
  ) {
    super();
  }
}
