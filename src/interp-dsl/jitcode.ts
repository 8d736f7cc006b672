/**
 * @fileoverview The jitcode format: what the translator produces from each interpreter
 * function, and what the tracer and the blackhole interpreter run.
 *
 * A jitcode is register-based three-address code (`op src1, src2 -> dst`, as Inferno's
 * Dis): registers hold the function's locals and temporaries, operands are registers
 * (>= 0) or constants (< 0, `-(k+1)` is entry k of the unit's constant pool). Most
 * instructions are an op of the trace IR (`op`), so the tracer records them as they
 * are; the rest is control flow, calls and the JIT hints.
 *
 * A translation unit (every jitcode of one interpreter) is plain JSON, cached on disk
 * by the translator, and made live by `loadUnit`: descriptors become Descr objects and
 * constants that name module globals or host globals become the actual values.
 */

import { type Descr, ArrayDescr, CallDescr, ClassDescr, EFFECTS_ALL, EFFECTS_NONE, EFFECTS_READONLY, FieldDescr, type ArrayFlavour } from "../ir/descr.js";
import type { Kind, OpName } from "../ir/ops.js";

/** A register (>= 0) or a constant (< 0). */
export type Operand = number;

/** One jitcode instruction. `d` is a destination register, -1 when the result is unused. */
export type Insn =
  | { readonly o: "move"; readonly a: Operand; readonly d: number }
  /** An IR op executed and recorded as is. */
  | { readonly o: "op"; readonly n: OpName; readonly a: readonly Operand[]; readonly descr: number; readonly d: number }
  | { readonly o: "goto"; readonly t: number }
  /** Goes to `t` when register `a` (a boolean) is false. */
  | { readonly o: "br"; readonly a: Operand; readonly t: number }
  /** Goes to the target of the case equal (===) to `a`, else to `t`. */
  | { readonly o: "switch"; readonly a: Operand; readonly cases: readonly (readonly [Operand, number])[]; readonly t: number }
  /** Direct call of a translated function (jitcode index `f`). */
  | { readonly o: "call"; readonly f: number; readonly a: readonly Operand[]; readonly d: number }
  /**
   * `new C(a...)` of interpreter class `c`: the tracer records a blank allocation and
   * inlines the class's init code on it (or, when the class cannot be allocated blank,
   * records a residual `new`); the blackhole runs `new C(a...)` as plain JS.
   */
  | { readonly o: "new"; readonly c: number; readonly a: readonly Operand[]; readonly d: number }
  /** Method call dispatched on the receiver `a[0]`'s class. */
  | { readonly o: "callm"; readonly m: string; readonly a: readonly Operand[]; readonly d: number }
  /** Residual call: the tracer records it, never looks inside. `descr` is a CallDescr; `p` marks an elidable (pure) call. */
  | { readonly o: "rcall"; readonly descr: number; readonly a: readonly Operand[]; readonly d: number; readonly p?: true }
  | { readonly o: "ret"; readonly a: Operand | null }
  | { readonly o: "throw"; readonly a: Operand }
  /** `driver.jitMergePoint(...)`: greens and reds in the driver's order. */
  | { readonly o: "merge"; readonly g: readonly Operand[]; readonly r: readonly Operand[] }
  /** `driver.canEnterJit(...)`. */
  | { readonly o: "cej"; readonly g: readonly Operand[]; readonly r: readonly Operand[] }
  /** `promote(a)`: the trace gets a guard and a constant. */
  | { readonly o: "promote"; readonly a: Operand; readonly d: number };

/** A try/catch region: instructions [start, end) go to `handler` with the exception in `reg`. */
export interface Handler {
  readonly start: number;
  readonly end: number;
  readonly handler: number;
  readonly reg: number;
}

/** A jitcode as JSON. */
export interface RawJitCode {
  readonly name: string;
  /** `file:line` of the declaration, for messages. */
  readonly where: string;
  readonly nparams: number;
  readonly nregs: number;
  readonly regNames: readonly string[];
  readonly insns: readonly Insn[];
  readonly handlers: readonly Handler[];
  /** The function contains a loop (the tracer calls it instead of inlining). */
  readonly hasLoop: boolean;
  /** Constant operand (< 0) of the function value, for residual calls; 0 for methods. */
  readonly fnConst: number;
  /** Hint registrations: elidable, dontLookInside, unrollSafe. */
  readonly hints: readonly string[];
  /**
   * Set on a class's init code: what `new C(...)` does to the blank instance in
   * register 0 (field initializers, parameter properties, the constructor body, the
   * `super(...)` chain as calls of the parent's init code); returns the instance.
   */
  readonly init?: true;
}

/** A descriptor as JSON. */
export type RawDescr =
  | { readonly t: "field"; readonly owner: string; readonly field: string; readonly kind: Kind; readonly immutable: boolean; readonly quasiImmutable?: true }
  | { readonly t: "array"; readonly flavour: ArrayFlavour; readonly elem: string; readonly kind: Kind; readonly immutable: boolean }
  | { readonly t: "class"; readonly cls: number }
  | {
      readonly t: "call";
      readonly name: string;
      readonly kind: Kind | "-";
      readonly effects: "all" | "none" | "readonly";
      readonly canRaise: boolean;
      readonly spelling: CallDescr["spelling"];
    };

/** A constant as JSON. */
export type RawConst =
  | { readonly t: "json"; readonly v: string | boolean | null | number }
  | { readonly t: "num"; readonly v: "NaN" | "Infinity" | "-Infinity" | "-0" }
  | { readonly t: "undefined" }
  /** A module-level declaration of an interpreter module. */
  | { readonly t: "global"; readonly module: number; readonly name: string }
  /** A host global reached by a property path, e.g. `Math.floor`. */
  | { readonly t: "host"; readonly path: string }
  /** An export of a tsjit runtime module (`hints` or `io`). */
  | { readonly t: "runtime"; readonly module: "hints" | "io"; readonly name: string };

/** An interpreter class. */
export interface RawClass {
  readonly name: string;
  /** Constant-pool index of the class constructor. */
  readonly ctorConst: number;
  readonly parent: number;
  /** Method name -> jitcode index, own methods only. */
  readonly methods: Readonly<Record<string, number>>;
  /**
   * Descriptor indices of the fields this class declares, in the order a construction
   * first defines them (JS own-property order): parameter properties, then property
   * declarations in source order.
   */
  readonly fields: readonly number[];
  /** Jitcode index of the init code, or -1: `new` of this class stays a residual call. */
  readonly init: number;
  /** Why `new` of this class is a residual call (null when it is allocated blank). */
  readonly residualWhy: string | null;
}

/** The portal: the function with the driver's merge point. */
export interface RawPortal {
  readonly code: number;
  /** Constant-pool index of the JitDriver instance. */
  readonly driverConst: number;
  readonly name: string;
  readonly greens: readonly string[];
  readonly reds: readonly string[];
  /**
   * The portal has function entries: each invocation calls the engine's entry hook, and
   * an invocation can be resumed at its merge point (see build.ts, portalPrologue).
   */
  readonly entries: boolean;
  /** The driver's virtualizable red and its fields, checked by the translator; null if none. */
  readonly virtualizable: RawVirtualizable | null;
}

/** A field of an interpreter class, by the class that declares it (as a FieldDescr names it). */
export interface RawFieldRef {
  readonly owner: string;
  readonly field: string;
  /** Index of its FieldDescr in the unit. */
  readonly descr: number;
}

/** An array field of a virtualizable, with the descriptor of its items. */
export interface RawArrayFieldRef extends RawFieldRef {
  /** Index of the ArrayDescr of the array's items. */
  readonly items: number;
}

/**
 * The frame red whose fields live in trace values (see `virtualizables` in hints.ts):
 * `fields` are plain fields, `arrays` fields holding arrays whose items are virtualizable.
 */
export interface RawVirtualizable {
  /** Index of the frame among the driver's reds. */
  readonly red: number;
  readonly fields: readonly RawFieldRef[];
  readonly arrays: readonly RawArrayFieldRef[];
}

/** A whole translation unit as JSON (what the translator caches). */
export interface RawUnit {
  readonly modules: readonly string[];
  readonly codes: readonly RawJitCode[];
  readonly descrs: readonly RawDescr[];
  readonly consts: readonly RawConst[];
  readonly classes: readonly RawClass[];
  readonly portal: RawPortal | null;
}

/** A live jitcode. */
export interface JitCode extends RawJitCode {
  readonly index: number;
  /** Registers live on entry to each instruction (computed by `liveness.ts`). */
  liveIn: Int32Array[] | null;
  /** Set by the tracer: the function is elidable / must not be looked inside / may unroll. */
  readonly elidable: boolean;
  readonly dontLookInside: boolean;
  readonly unrollSafe: boolean;
}

/** A live class: its descriptor and its methods by name (own and inherited). */
export interface ClassInfo {
  readonly raw: RawClass;
  readonly descr: ClassDescr;
  readonly parent: ClassInfo | null;
  readonly methods: Map<string, JitCode>;
  /** The init code run on a blank instance by `new`, or null (a residual `new`). */
  readonly init: JitCode | null;
  /** How many init codes `new` of this class runs nested (its own and its ancestors'). */
  readonly initDepth: number;
}

/** A live translation unit, linked against the loaded interpreter modules. */
export interface Unit {
  readonly codes: readonly JitCode[];
  readonly descrs: readonly Descr[];
  readonly consts: readonly unknown[];
  readonly classes: readonly ClassInfo[];
  readonly classByCtor: Map<unknown, ClassInfo>;
  readonly portal: RawPortal | null;
}

/** The value of operand `op` given the registers of a frame. */
export function constIndex(op: Operand): number {
  return -op - 1;
}

/** What the loader needs to turn references into values. */
export interface LinkContext {
  /** Module-level declarations of each interpreter module, by module index. */
  readonly moduleGlobals: readonly Record<string, unknown>[];
  readonly runtime: { readonly hints: Record<string, unknown>; readonly io: Record<string, unknown> };
}

function resolveConst(c: RawConst, ctx: LinkContext): unknown {
  switch (c.t) {
    case "json":
      return c.v;
    case "num":
      return c.v === "-0" ? -0 : Number(c.v);
    case "undefined":
      return undefined;
    case "global": {
      const g = ctx.moduleGlobals[c.module];
      if (!g || !(c.name in g)) throw new Error(`link error: module ${c.module} has no global ${c.name}`);
      return g[c.name];
    }
    case "host": {
      let v: unknown = globalThis;
      for (const part of c.path.split(".")) v = (v as Record<string, unknown>)[part];
      return v;
    }
    case "runtime":
      return ctx.runtime[c.module][c.name];
  }
}

const EFFECTS = { all: EFFECTS_ALL, none: EFFECTS_NONE, readonly: EFFECTS_READONLY } as const;

/** Makes a raw unit live. */
export function loadUnit(raw: RawUnit, ctx: LinkContext): Unit {
  const consts = raw.consts.map((c) => resolveConst(c, ctx));
  const order = parentsFirst(raw.classes);
  const classDescrs: ClassDescr[] = [];
  for (const i of order) {
    const c = raw.classes[i]!;
    const parent = c.parent >= 0 ? classDescrs[c.parent]! : null;
    classDescrs[i] = new ClassDescr(c.name, consts[c.ctorConst] as ClassDescr["ctor"], parent);
  }
  const descrs: Descr[] = raw.descrs.map((d) => {
    switch (d.t) {
      case "field":
        return new FieldDescr(d.owner, d.field, d.kind, d.immutable, d.quasiImmutable === true);
      case "array":
        return new ArrayDescr(d.flavour, d.elem, d.kind, d.immutable);
      case "class":
        return classDescrs[d.cls]!;
      case "call":
        return new CallDescr(d.name, d.kind, EFFECTS[d.effects], d.canRaise, d.spelling);
    }
  });
  for (const i of order) {
    const parent = classDescrs[i]!.parent;
    classDescrs[i]!.fields = [...(parent ? parent.fields : []), ...raw.classes[i]!.fields.map((d) => descrs[d] as FieldDescr)];
  }
  const codes: JitCode[] = raw.codes.map((c, index) => ({
    ...c,
    index,
    liveIn: null,
    elidable: c.hints.includes("elidable"),
    dontLookInside: c.hints.includes("dontLookInside"),
    unrollSafe: c.hints.includes("unrollSafe"),
  }));
  const classes: ClassInfo[] = [];
  for (const i of order) {
    const c = raw.classes[i]!;
    const parent = c.parent >= 0 ? classes[c.parent]! : null;
    const methods = new Map<string, JitCode>(parent ? parent.methods : []);
    for (const [m, idx] of Object.entries(c.methods)) methods.set(m, codes[idx]!);
    const init = c.init >= 0 ? codes[c.init]! : null;
    classes[i] = { raw: c, descr: classDescrs[i]!, parent, methods, init, initDepth: init ? 1 + (parent?.initDepth ?? 0) : 0 };
  }
  const classByCtor = new Map<unknown, ClassInfo>();
  for (const c of classes) classByCtor.set(c.descr.ctor, c);
  return { codes, descrs, consts, classes, classByCtor, portal: raw.portal };
}

/** Class indices ordered so that every parent comes before its subclasses. */
function parentsFirst(classes: readonly RawClass[]): number[] {
  const order: number[] = [];
  const placed = new Set<number>();
  const place = (i: number): void => {
    if (placed.has(i)) return;
    placed.add(i);
    const p = classes[i]!.parent;
    if (p >= 0) place(p);
    order.push(i);
  };
  classes.forEach((_, i) => place(i));
  return order;
}
