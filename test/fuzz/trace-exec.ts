/**
 * @fileoverview The concrete world of the optimizer fuzz test and a whole-trace
 * executor (after the one at the end of test/optimizer/unroll.test.ts).
 *
 * The world: two interpreter-like classes `A` (fields x, y, next, and the immutable k)
 * and `B` (x, z), a third class `C` that traces never expect (for failing
 * guard_class), plain `Array`s, `Uint8Array`s, `Int32Array`s, `Int8Array`s,
 * `Float64Array`s and a never-written `readonly Array<number>`, and residual functions whose descriptors tell the truth
 * about their effects: `fAll` (writes A.x and A.y, may raise; effects "all"), `fY`
 * (writes A.y only), `fArr` (writes Uint8Array items only), `fRead` (reads, writes
 * nothing), `fNone` (neither reads nor writes) and the elidable `fPure`. Every residual
 * function appends to the call log, which is part of what a run is compared on.
 *
 * A World is the set of objects one generated trace may see (as inputs or as
 * ConstPtr constants); `reset()` puts every one back into its initial state, so the
 * same trace objects (whose constants point into the world) can run many times.
 *
 * `execute` runs a trace: a `jump` to a label of the trace assigns the label's
 * arguments at once and goes on after it (so a peeled loop with an entry label and a
 * body label runs as the backend would run it); a failing guard performs its delayed
 * writes, materializes its virtuals and leaves with its frames' values. `describeRun` turns where a run left,
 * those values, every object of the world (and every object allocated by the trace
 * that is reachable) and the call log into one canonical string: two runs agree when
 * their strings are equal. Objects are named by a canonical numbering, so runs on two
 * isomorphic heaps compare equal even though the trace allocated different objects.
 */

import { ArrayDescr, BLANK_ALLOCATION, CallDescr, ClassDescr, type Descr, EFFECTS_ALL, EFFECTS_NONE, EFFECTS_READONLY, FieldDescr } from "../../src/ir/descr.js";
import { type ParseEnv } from "../../src/ir/parser.js";
import { executeOp } from "../../src/ir/semantics.js";
import { Const, type ResumeCode, type Snapshot, type Trace, type Value } from "../../src/ir/trace.js";
import { resumeValues } from "../../src/tracer/resume.js";

// ---- classes, descriptors, functions ------------------------------------------------

// A and B can be allocated blank, as the translator's `jit` variant of an interpreter
// class can: `new A(BLANK_ALLOCATION)` (the `new` op) has no own property yet, and a
// field the trace did not set reads `undefined`.
export class A {
  declare x: number;
  declare y: number;
  declare next: A | null;
  /** Immutable (FieldDescr A.k is `readonly`): never written after construction. */
  declare k: number;
  constructor(blank?: typeof BLANK_ALLOCATION) {
    if (blank === BLANK_ALLOCATION) return;
    this.x = 0;
    this.y = 0;
    this.next = null;
    this.k = 0;
  }
}
export class B {
  declare x: number;
  declare z: number;
  constructor(blank?: typeof BLANK_ALLOCATION) {
    if (blank === BLANK_ALLOCATION) return;
    this.x = 0;
    this.z = 0;
  }
}
/** A class no trace expects: guard_class(p, descr=A) fails on it. */
export class C {
  w: number = 0;
}

export const CLS_A = new ClassDescr("A", A);
export const CLS_B = new ClassDescr("B", B);
export const A_X = new FieldDescr("A", "x", "n", false);
export const A_Y = new FieldDescr("A", "y", "n", false);
export const A_NEXT = new FieldDescr("A", "next", "p", false);
export const A_K = new FieldDescr("A", "k", "n", true);
export const B_X = new FieldDescr("B", "x", "n", false);
export const B_Z = new FieldDescr("B", "z", "n", false);
CLS_A.fields = [A_X, A_Y, A_NEXT, A_K];
CLS_B.fields = [B_X, B_Z];

export const ARR = new ArrayDescr("Array", "number", "n", false);
export const U8 = new ArrayDescr("Uint8Array", "number", "n", false);
export const I32 = new ArrayDescr("Int32Array", "number", "n", false);
export const I8 = new ArrayDescr("Int8Array", "number", "n", false);
export const F64 = new ArrayDescr("Float64Array", "number", "n", false);
export const RO = new ArrayDescr("Array", "number", "n", true);

/**
 * The residual calls made by the running trace: each function logs its name and
 * arguments, the executor then logs `returned <result>` or `raised <message>`.
 */
export const callLog: unknown[][] = [];

/** Writes A.x and A.y; raises for some arguments. Effects: all. */
export function fAll(p: A, n: number): number {
  callLog.push(["fAll", p, n]);
  p.x = (n | 0) + p.y;
  p.y = p.y + 1;
  if ((n | 0) % 7 === 3) throw new Error("fAll raised");
  return p.x * 2;
}
/** Writes A.y only (and reads A.x). */
export function fY(p: A, n: number): number {
  callLog.push(["fY", p, n]);
  p.y = p.y + n;
  return p.x;
}
/** Writes an item of a Uint8Array only. */
export function fArr(a: Uint8Array, i: number, v: number): number {
  callLog.push(["fArr", a, i, v]);
  a[i & 3] = v;
  return a[0]!;
}
/** Reads the heap, writes nothing. */
export function fRead(p: A): number {
  callLog.push(["fRead", p]);
  return p.x - p.y;
}
/** Neither reads nor writes the heap. */
export function fNone(a: number, b: number): number {
  callLog.push(["fNone", a, b]);
  return a * 3 + b;
}
/** Elidable (call_pure): no log, since the optimizer may fold or share it. */
export function fPure(a: number, b: number): number {
  return a * a - b;
}

const FN = { kind: "function" } as const;
const writes = (fields: FieldDescr[], arrays: ArrayDescr[]) => ({ writes: { fields: new Set(fields), arrays: new Set(arrays) }, readsHeap: true });
export const CALL_ALL = new CallDescr("fAll", "n", EFFECTS_ALL, true, FN);
export const CALL_Y = new CallDescr("fY", "n", writes([A_Y], []), false, FN);
export const CALL_ARR = new CallDescr("fArr", "n", writes([], [U8]), false, FN);
export const CALL_READ = new CallDescr("fRead", "n", EFFECTS_READONLY, false, FN);
export const CALL_NONE = new CallDescr("fNone", "n", EFFECTS_NONE, false, FN);
export const CALL_PURE = new CallDescr("fPure", "n", EFFECTS_NONE, false, FN);

export const FUNCTIONS: Readonly<Record<string, (...args: never[]) => unknown>> = { fAll, fY, fArr, fRead, fNone, fPure };
for (const [name, f] of Object.entries(FUNCTIONS)) Object.defineProperty(f, "tsjitLabel", { value: name, enumerable: false });

/** Resume codes of the generated snapshots: `run` (outer frame) and `inner`. */
export const RUN: ResumeCode = { name: "run" };
export const INNER: ResumeCode = { name: "inner" };

const DESCRS: Record<string, Descr> = {};
for (const d of [CLS_A, CLS_B, A_X, A_Y, A_NEXT, A_K, B_X, B_Z, ARR, U8, I32, I8, F64, RO, CALL_ALL, CALL_Y, CALL_ARR, CALL_READ, CALL_NONE, CALL_PURE]) DESCRS[d.name] = d;

// ---- the world --------------------------------------------------------------------

/** Static types of the generator (also the types of world objects). */
export type SType = "n" | "u" | "b" | "s" | "A" | "A?" | "B" | "Array" | "U8" | "I32" | "I8" | "F64" | "RO";
/** The array types, and the typed ones. */
export type ArrayType = "Array" | "U8" | "I32" | "I8" | "F64" | "RO";

/** The descriptor of each array type. */
export const ARRAY_DESCR: Readonly<Record<string, ArrayDescr>> = { Array: ARR, U8, I32, I8, F64, RO };

interface WorldObject {
  readonly name: string;
  /** "C" for the objects of the class no trace expects. */
  readonly type: SType | "C";
  readonly obj: object;
  /** Puts the object back in its initial state. */
  readonly reset: () => void;
}

/** The objects one trace may see, with their initial states. */
export class World {
  readonly objects: WorldObject[] = [];

  add(name: string, type: SType | "C", obj: object, reset: () => void): object {
    Object.defineProperty(obj, "tsjitLabel", { value: name, enumerable: false });
    this.objects.push({ name, type, obj, reset });
    reset();
    return obj;
  }

  /** An A with the given fields; `next` is resolved by name at reset time. */
  addA(name: string, x: number, y: number, k: number, next: () => A | null): A {
    const a = new A();
    return this.add(name, "A", a, () => {
      a.x = x;
      a.y = y;
      a.next = next();
      a.k = k;
    }) as A;
  }

  addB(name: string, x: number, z: number): B {
    const b = new B();
    return this.add(name, "B", b, () => {
      b.x = x;
      b.z = z;
    }) as B;
  }

  addArray(name: string, type: ArrayType, items: readonly number[]): object {
    if (type === "Array" || type === "RO") {
      const a: unknown[] = [];
      return this.add(name, type, a, () => {
        a.length = 0;
        for (const key of Object.keys(a)) delete (a as unknown as Record<string, unknown>)[key];
        a.push(...items);
      });
    }
    const a = new { U8: Uint8Array, I32: Int32Array, I8: Int8Array, F64: Float64Array }[type](items.length);
    return this.add(name, type, a, () => {
      // `ta[undefined] = v` (an index that is no number) adds an ordinary property.
      for (const key of Object.keys(a)) if (!/^\d+$/.test(key)) delete (a as unknown as Record<string, unknown>)[key];
      a.set(items);
    });
  }

  addC(name: string): object {
    const c = new C();
    return this.add(name, "C", c, () => (c.w = 0));
  }

  reset(): void {
    for (const o of this.objects) o.reset();
    callLog.length = 0;
  }

  byType(t: SType | "C"): WorldObject[] {
    return this.objects.filter((o) => o.type === t);
  }

  /** The static type of a world object (undefined for other values). */
  typeOf(obj: unknown): SType | "C" | undefined {
    return this.objects.find((o) => o.obj === obj)?.type;
  }

  /** The parse environment in which this world's traces print and read back. */
  env(): ParseEnv {
    const consts: Record<string, unknown> = { ...FUNCTIONS };
    for (const o of this.objects) consts[o.name] = o.obj;
    return { consts, descrs: DESCRS, codes: { run: RUN, inner: INNER } };
  }
}

// ---- executing traces ---------------------------------------------------------------

/** Where a run of a trace left. */
export interface Exit {
  /** `guard run@3; inner@1`, `jump Loop9`, `finish`, `error …` or `fuel`. */
  readonly at: string;
  readonly values: unknown[];
  /** Jumps back to a label of the trace (loop iterations after the first). */
  readonly jumps: number;
}

/**
 * Runs a whole trace on concrete inputs with `executeOp` (see the file overview). An
 * op other than a call that throws ends the run with `error`; running out of fuel (a
 * loop that does not end) with `fuel`.
 */
export function execute(t: Trace, inputs: readonly unknown[], fuel = 200_000): Exit {
  const env = new Map<Value, unknown>();
  const get = (v: Value): unknown => {
    if (v instanceof Const) return v.value;
    if (!env.has(v)) throw new Error("executor: value used before it is defined");
    return env.get(v);
  };
  t.inputs.forEach((v, k) => env.set(v, inputs[k]));
  const labels = new Map<Descr | null, number>();
  t.ops.forEach((op, k) => op.name === "label" && labels.set(op.descr, k));
  let raised = false;
  let jumps = 0;
  for (let pc = 0; pc < t.ops.length; ) {
    if (fuel-- === 0) return { at: "fuel", values: [], jumps };
    const op = t.ops[pc++]!;
    const info = op.info;
    if (info.marker) continue;
    let args: unknown[];
    try {
      args = op.args.map(get);
    } catch (e) {
      return { at: `error ${(e as Error).message} (${op.name})`, values: [], jumps };
    }
    if (op.name === "jump") {
      const target = labels.get(op.descr);
      if (target === undefined) return { at: `jump ${op.descr!.name}`, values: args, jumps };
      t.ops[target]!.args.forEach((a, k) => env.set(a, args[k]));
      pc = target + 1;
      jumps++;
    } else if (op.name === "finish") {
      return { at: "finish", values: args, jumps };
    } else if (info.guard) {
      let ok: unknown;
      try {
        ok = op.name === "guard_no_exception" ? !raised : executeOp(op.name, args, op.descr);
      } catch (e) {
        return { at: `error ${(e as Error).message} (${op.name})`, values: [], jumps };
      }
      if (!ok) return leave(op.snapshot!, get, jumps);
    } else if (info.call && !info.pure) {
      try {
        const result = executeOp(op.name, args, op.descr);
        callLog.push(["returned", result]);
        env.set(op, result);
        raised = false;
      } catch (e) {
        callLog.push(["raised", (e as Error).message]);
        env.set(op, undefined);
        raised = true;
      }
    } else {
      try {
        env.set(op, executeOp(op.name, args, op.descr));
      } catch (e) {
        return { at: `error ${(e as Error).message} (${op.name})`, values: [], jumps };
      }
    }
  }
  return { at: "error fell off the end of the trace", values: [], jumps };
}

/**
 * Leaving through a guard, as resuming does (`resumeValues`): its delayed writes
 * happen and its virtuals are materialized; its frames give the values.
 */
function leave(s: Snapshot, valueOf: (v: Value) => unknown, jumps: number): Exit {
  const get = resumeValues(s, valueOf);
  return {
    at: "guard " + s.frames.map((f) => `${f.code?.name ?? "?"}@${f.pc}`).join("; "),
    values: s.frames.flatMap((f) => f.values.map(get)),
    jumps,
  };
}

// ---- describing a run -----------------------------------------------------------------

/**
 * A canonical description of the state after a run: where it left, the values it
 * left with, every object of the world and every allocated object reachable from
 * them, and the call log.
 */
export function describeRun(world: World, exit: Exit): string {
  const ids = new Map<object, string>();
  const queue: object[] = [];
  for (const o of world.objects) {
    ids.set(o.obj, o.name);
    queue.push(o.obj);
  }
  let fresh = 0;
  const show = (v: unknown): string => {
    switch (typeof v) {
      case "number":
        return Object.is(v, -0) ? "-0" : String(v);
      case "string":
        return JSON.stringify(v);
      case "object":
      case "function": {
        if (v === null) return "null";
        if (typeof v === "function") return `fn:${(v as { tsjitLabel?: string }).tsjitLabel ?? v.name}`;
        let id = ids.get(v);
        if (id === undefined) {
          id = `new${fresh++}`;
          ids.set(v, id);
          queue.push(v);
        }
        return id;
      }
      default:
        return String(v);
    }
  };
  const lines: string[] = [`exit: ${exit.at}`, `values: ${exit.values.map(show).join(", ")}`];
  lines.push(`calls: ${callLog.map((e) => e.map(show).join(" ")).join(" | ")}`);
  for (let i = 0; i < queue.length; i++) {
    const obj = queue[i]!;
    const id = ids.get(obj)!;
    const keys = Object.keys(obj);
    const isIndex = (k: string): boolean => /^(0|[1-9]\d*)$/.test(k);
    const ordered = [...keys.filter(isIndex), ...keys.filter((k) => !isIndex(k)).sort()];
    const rec = obj as Record<string, unknown>;
    const body = ordered.map((k) => `${k}=${show(rec[k])}`).join(" ");
    const len = Array.isArray(obj) || ArrayBuffer.isView(obj) ? `[${(obj as { length: number }).length}]` : "";
    lines.push(`${id}: ${obj.constructor.name}${len} ${body}`);
  }
  return lines.join("\n");
}
