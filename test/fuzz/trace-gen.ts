/**
 * @fileoverview Random well-formed traces for the optimizer fuzz test (after RPython's
 * test_random.py): loops `label(inputs) … jump(…)` with loop-carried values, and
 * bridges/entries that end in a jump to a loop outside the trace or in `finish`.
 *
 * As in test_random.py, the generator runs every op it emits on concrete values (the
 * "reference" inputs) while it builds the trace, so each guard is emitted with the
 * polarity that passes in the first iteration, guard_value names the value it sees,
 * and static types stay honest. Later iterations (and the other input variants) may
 * fail any guard: those are the trace's exits. A loop has a counter input and a guard
 * `num_lt(counter + 1, K)` at a random place, so it ends after at most K iterations;
 * after generation, guards on numbers and booleans that the reference run fails early
 * are mostly dropped (and the trace re-run) so that most loops run to the counter's
 * exit and the peeled loop body really iterates.
 *
 * Well-formed means what the optimizer may assume of a real trace:
 *
 * - every field access is on a non-null object of the field's class (pointer inputs
 *   whose value may be wrong are checked by guard_nonnull/guard_class at the top of
 *   the loop body, before any access; loaded `A.next` values are guarded before use);
 * - an array descriptor is only used on arrays of its flavour; the immutable field A.k
 *   is written only right after the `new` that allocates its object (as an inlined
 *   constructor does), and the `readonly Array<number>` never (by the trace or by calls);
 * - call descriptors tell the truth about the functions' effects;
 * - to_str takes numbers, booleans and strings only (as the tracer records it);
 * - nothing but a residual call throws.
 *
 * Reads at indices that may be out of bounds or fractional give `undefined` in JS,
 * even though the descriptor's kind is `n`: such values ("u" here) flow only where an
 * undefined number is harmless to the kind-based algebra (comparisons, int ops,
 * guards, resume data, typed-array stores, calls), never into `num_*` arithmetic, field
 * stores, plain-array stores or loop-carried numbers.
 */

import { LocationDescr, TargetToken, type CallDescr, type Descr } from "../../src/ir/descr.js";
import { type OpName, opInfo } from "../../src/ir/ops.js";
import { executeOp } from "../../src/ir/semantics.js";
import { Const, InputArg, Op, Snapshot, Trace, type Value } from "../../src/ir/trace.js";
import { Rng } from "./prng.js";
import {
  A,
  ARRAY_DESCR,
  A_K,
  A_NEXT,
  A_X,
  A_Y,
  B_X,
  B_Z,
  CALL_ALL,
  CALL_ARR,
  CALL_NONE,
  CALL_PURE,
  CALL_READ,
  CALL_Y,
  CLS_A,
  CLS_B,
  FUNCTIONS,
  INNER,
  RUN,
  type ArrayType,
  type SType,
  World,
  execute,
} from "./trace-exec.js";

/** One generated test case: a trace, its world, and inputs to run it on. */
export interface FuzzCase {
  readonly seed: number;
  readonly trace: Trace;
  readonly world: World;
  /** Input values; the first set is the reference inputs the trace was built with. */
  readonly variants: unknown[][];
}

const NUMS = [0, 1, -1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 100, 255, 256, -0, 0.5, 1.5, -2.5, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53, 1e-7];
const RARE_NUMS = [NaN, Infinity, -Infinity, 1e21];
const NUM_BIN: OpName[] = ["num_add", "num_sub", "num_mul", "num_div", "num_mod"];
const INT_BIN: OpName[] = ["int_and", "int_or", "int_xor", "int_shl", "int_shr", "int_ushr"];
const CMP: OpName[] = ["num_lt", "num_le", "num_gt", "num_ge"];
const ARRAY_TYPES: readonly ArrayType[] = ["Array", "U8", "I32", "I8", "F64", "RO"];
/** Writable arrays; a Float64Array keeps what it stores, so (like a plain Array) it gets no "u" values. */
const WRITABLE: readonly ArrayType[] = ["Array", "U8", "I32", "I8", "F64"];
const PTR_TYPES: SType[] = ["A", "A?", "B", ...ARRAY_TYPES];
/** True when an array of type `t` may be given an undefined "number" to store. */
const storesU = (t: SType): boolean => t !== "Array" && t !== "F64";

type Role =
  | { readonly role: "counter" }
  | { readonly role: "pos" }
  | { readonly role: "num" }
  | { readonly role: "bool" }
  | { readonly role: "ptr"; readonly type: "A" | "B"; readonly check: "none" | "nonnull" | "class" }
  | { readonly role: "array"; readonly type: ArrayType };

class Generator {
  readonly ops: Op[] = [];
  readonly types = new Map<Value, SType>();
  /** Values the trace has defined so far (inputs and op results), in order. */
  readonly live: Value[] = [];
  /** Concrete values of the reference run. */
  readonly conc = new Map<Value, unknown>();
  /** Values certainly an integer index in 0..3 (every array has at least 4 items). */
  readonly safe = new Set<Value>();
  /** Guards that may be dropped to make the loop iterate longer (number/boolean guards). */
  readonly removable = new Set<Op>();
  /** Guards by their resume location text. */
  readonly guardAt = new Map<string, Op>();
  private guardNo = 0;
  private raised = false;

  constructor(
    readonly rng: Rng,
    readonly world: World,
  ) {}

  // ---- values ------------------------------------------------------------------

  val(v: Value): unknown {
    return v instanceof Const ? v.value : this.conc.get(v);
  }

  typeOf(v: Value): SType {
    const t = this.types.get(v);
    if (t) return t;
    if (v instanceof Const) {
      const x = v.value;
      if (typeof x === "number") return "n";
      if (typeof x === "boolean") return "b";
      if (typeof x === "string") return "s";
      if (x === null) return "A?";
      const wt = this.world.typeOf(x);
      if (wt && wt !== "C") return wt;
    }
    throw new Error(`generator: no static type for a value`);
  }

  define(v: Value, t: SType, concrete: unknown): void {
    this.types.set(v, t);
    this.conc.set(v, concrete);
    this.live.push(v);
  }

  /** Live values of the given types (recent ones twice as likely). */
  liveOf(types: readonly SType[], filter: (v: Value) => boolean = () => true): Value[] {
    const out: Value[] = [];
    this.live.forEach((v, i) => {
      if (!types.includes(this.typeOf(v)) || !filter(v)) return;
      out.push(v);
      if (i > this.live.length - 6) out.push(v);
    });
    return out;
  }

  numConst(): Const {
    return Const.of(this.rng.chance(0.04) ? this.rng.pick(RARE_NUMS) : this.rng.pick(NUMS));
  }

  /** A number: a live one (possibly undefined when `allowU`) or a constant. */
  num(allowU = false): Value {
    const c = this.liveOf(allowU ? ["n", "u"] : ["n"]);
    return c.length > 0 && this.rng.chance(0.7) ? this.rng.pick(c) : this.numConst();
  }

  /** A non-null object of class A or B (live or a world constant), or null if none. */
  obj(type: "A" | "B"): Value | null {
    const c: Value[] = this.liveOf([type]);
    if (c.length === 0 || this.rng.chance(0.2)) {
      const w = this.world.byType(type);
      if (w.length > 0) c.push(Const.of(this.rng.pick(w).obj));
    }
    return c.length > 0 ? this.rng.pick(c) : null;
  }

  array(types: readonly SType[]): Value | null {
    const c: Value[] = this.liveOf(types);
    if (c.length === 0 || this.rng.chance(0.2)) {
      const w = this.world.objects.filter((o) => types.includes(o.type as SType));
      if (w.length > 0) c.push(Const.of(this.rng.pick(w).obj));
    }
    return c.length > 0 ? this.rng.pick(c) : null;
  }

  /** An array index: a safe one (0..3) or one that may be out of bounds or fractional. */
  index(): Value {
    return this.rng.weighted<() => Value>([
      [35, () => Const.of(this.rng.range(0, 3))],
      [
        20,
        () => {
          const op = this.emit("int_and", [this.num(true), Const.of(3)], null, "n");
          this.safe.add(op);
          return op;
        },
      ],
      [15, () => (this.safe.size > 0 ? this.rng.pick([...this.safe]) : Const.of(0))],
      [15, () => Const.of(this.rng.pick([-1, 4, 5, 6, 1.5, -0, NaN, 100]))],
      [15, () => this.num(true)],
    ])();
  }

  isSafe(v: Value): boolean {
    return this.safe.has(v) || (v instanceof Const && [0, 1, 2, 3].some((k) => Object.is(v.value, k)));
  }

  // ---- emitting ------------------------------------------------------------------

  snapshot(): Snapshot {
    const pick = (n: number): Value[] => {
      const out: Value[] = [];
      for (let i = 0; i < n; i++) {
        if (this.rng.chance(0.1)) out.push(this.numConst());
        else if (this.live.length > 0) {
          // Prefer recent values.
          const k = this.live.length - 1 - Math.min(this.live.length - 1, Math.floor(Math.abs(this.rng.next() - this.rng.next()) * this.live.length));
          out.push(this.live[k]!);
        }
      }
      return out;
    };
    const no = ++this.guardNo;
    const frames = [{ code: RUN, pc: no, values: pick(this.rng.range(0, 5)) }];
    if (this.rng.chance(0.25)) frames.push({ code: INNER, pc: this.rng.range(0, 9), values: pick(this.rng.range(0, 3)) });
    return new Snapshot(frames);
  }

  /** Appends an op, runs it on the reference values and defines its result. */
  emit(name: OpName, args: Value[], descr: Descr | null, type?: SType): Op {
    const op = new Op(name, args, descr);
    const info = opInfo(name);
    this.ops.push(op);
    if (info.guard) {
      op.snapshot = this.snapshot();
      this.guardAt.set("guard " + op.snapshot.frames.map((f) => `${f.code!.name}@${f.pc}`).join("; "), op);
    }
    if (info.marker || info.final) return op;
    const a = args.map((v) => this.val(v));
    let r: unknown;
    if (info.call && !info.pure) {
      try {
        r = executeOp(name, a, descr);
        this.raised = false;
      } catch {
        r = undefined;
        this.raised = true;
      }
    } else if (name === "guard_no_exception") {
      r = !this.raised;
    } else {
      r = executeOp(name, a, descr);
    }
    if (op.kind !== "-") this.define(op, type ?? (op.kind as SType), r);
    return op;
  }

  /** Sometimes the other zero (0 === -0, so guards still pass). */
  zeroSwap(x: unknown): unknown {
    return x === 0 && this.rng.chance(0.5) ? (Object.is(x, 0) ? -0 : 0) : x;
  }

  /** A guard on `b` (a boolean, or any value by truthiness) that passes now. */
  guardTruth(b: Value): Op {
    const g = this.emit(this.val(b) ? "guard_true" : "guard_false", [b], null);
    this.removable.add(g);
    return g;
  }

  /** Makes an `A?` value usable as an A (guard_nonnull or guard_class), if it is not null now. */
  refine(p: Value): boolean {
    if (this.val(p) === null) {
      this.emit("guard_isnull", [p], null);
      return false;
    }
    const r = this.rng.next();
    if (r < 0.4) this.emit("guard_nonnull", [p], null);
    else if (r < 0.8) this.emit("guard_class", [p], CLS_A);
    else this.emit("guard_true", [p], null);
    this.types.set(p, "A");
    return true;
  }

  // ---- random ops -----------------------------------------------------------------

  step(): void {
    this.rng.weighted<() => void>([
      [14, () => this.arith()],
      [8, () => this.compare()],
      [3, () => this.equality()],
      [2, () => this.emit("bool_not", [this.bool()], null)],
      [2, () => this.misc()],
      [2, () => this.strings()],
      [10, () => this.guard()],
      [10, () => this.getfield()],
      [9, () => this.setfield()],
      [6, () => this.getitem()],
      [6, () => this.setitem()],
      [3, () => this.arraylen()],
      [2, () => this.checkedAccess()],
      [5, () => this.alloc()],
      [6, () => this.call()],
      [1, () => this.emit("debug_merge_point", [], new LocationDescr(`pc=${this.ops.length}`))],
    ])();
  }

  bool(): Value {
    const c = this.liveOf(["b"]);
    if (c.length === 0) return this.compare();
    return this.rng.pick(c);
  }

  /** truthy, instance_of, same_as, type_of, num_pow. */
  misc(): void {
    this.rng.weighted<() => void>([
      [2, () => this.emit("truthy", [this.rng.chance(0.5) ? this.num(true) : this.anyValue()], null)],
      [
        2,
        () => {
          const c = this.liveOf(PTR_TYPES);
          const p = c.length > 0 && this.rng.chance(0.85) ? this.rng.pick(c) : Const.of(null);
          this.emit("instance_of", [p], this.rng.chance(0.6) ? CLS_A : CLS_B);
        },
      ],
      [
        2,
        () => {
          const v = this.anyValue();
          if (!(v instanceof Const)) this.emit("same_as", [v], null, this.typeOf(v));
        },
      ],
      // Not on "u" values: type_of of an `n` value folds to "number".
      [1, () => this.emit("type_of", [this.liveOf(["n", "b", "s", ...PTR_TYPES]).length > 0 ? this.rng.pick(this.liveOf(["n", "b", "s", ...PTR_TYPES])) : this.numConst()], null)],
      [1, () => this.emit("num_pow", [this.num(false), Const.of(this.rng.pick([0, -0, 1, 2, 0.5, -1]))], null)],
    ])();
  }

  /** Any live value (or a number). */
  anyValue(): Value {
    return this.live.length > 0 && this.rng.chance(0.8) ? this.rng.pick(this.live) : this.numConst();
  }

  /**
   * A value to_str may take: a number (possibly undefined), a boolean or a string. The
   * tracer records ToString of anything else as a residual call (an object's ToString
   * reads its contents), so a to_str of a reference is not a well-formed trace.
   */
  printable(): Value {
    const c = this.liveOf(["n", "u", "b", "s"]);
    return c.length > 0 && this.rng.chance(0.8) ? this.rng.pick(c) : this.numConst();
  }

  str(): Value {
    const c = this.liveOf(["s"]);
    if (c.length > 0 && this.rng.chance(0.7)) return this.rng.pick(c);
    return Const.of(this.rng.pick(["", "a", "xy", "0", "-0", "NaN"]));
  }

  strings(): void {
    this.rng.weighted<() => void>([
      [3, () => this.emit("to_str", [this.rng.chance(0.7) ? this.num(true) : this.printable()], null)],
      [3, () => this.emit("str_concat", [this.str(), this.str()], null)],
      [2, () => this.emit("str_len", [this.str()], null)],
      [1, () => this.emit("str_charcodeat", [this.str(), Const.of(0)], null)],
      [2, () => this.emit(this.rng.pick<OpName>(["eq", "ne"]), [this.str(), this.str()], null)],
      [
        1,
        () => {
          const c = this.liveOf(["s"]);
          if (c.length === 0) return;
          const x = this.rng.pick(c);
          this.removable.add(this.emit("guard_value", [x, Const.of(this.val(x))], null));
        },
      ],
    ])();
  }

  arith(): void {
    if (this.rng.chance(0.1)) {
      this.emit(this.rng.pick<OpName>(["num_neg", "int_not"]), [this.num(false)], null);
      return;
    }
    if (this.rng.chance(0.45)) {
      const name = this.rng.pick(INT_BIN);
      const op = this.emit(name, [this.num(true), this.num(true)], null);
      if (name === "int_and" && op.args[1] instanceof Const && op.args[1].value === 3) this.safe.add(op);
      return;
    }
    this.emit(this.rng.pick(NUM_BIN), [this.num(false), this.num(false)], null);
  }

  compare(): Op {
    const x = this.num(true);
    // Against a constant near the value, so the guard on it is often stable.
    let y: Value;
    const cx = this.val(x);
    if (this.rng.chance(0.4) && typeof cx === "number" && Number.isFinite(cx)) y = Const.of(Math.trunc(cx) + this.rng.range(-3, 40));
    else y = this.num(true);
    return this.emit(this.rng.pick(CMP), this.rng.chance(0.5) ? [x, y] : [y, x], null);
  }

  equality(): void {
    const name = this.rng.pick<OpName>(["eq", "ne"]);
    const kind = this.rng.pick(["n", "b", "p"] as const);
    if (kind === "n") {
      const x = this.num(true);
      // Often against the value it has now, so a guard on the result makes x a constant.
      const y = this.rng.chance(0.5) && !(x instanceof Const) ? Const.of(this.zeroSwap(this.val(x))) : this.num(true);
      this.emit(name, this.rng.chance(0.5) ? [x, y] : [y, x], null);
    }
    else if (kind === "b") this.emit(name, [this.bool(), this.rng.chance(0.5) ? this.bool() : Const.of(this.rng.chance(0.5))], null);
    else {
      const ptr = (): Value => {
        const c = this.liveOf(PTR_TYPES);
        if (c.length > 0 && this.rng.chance(0.7)) return this.rng.pick(c);
        return this.rng.chance(0.2) ? Const.of(null) : Const.of(this.rng.pick(this.world.objects.filter((o) => o.type !== "C")).obj);
      };
      this.emit(name, [ptr(), ptr()], null);
    }
  }

  guard(): void {
    this.rng.weighted<() => void>([
      [5, () => this.guardTruth(this.bool())],
      [1, () => this.guardTruth(this.num(true))],
      [
        2,
        () => {
          const c = this.liveOf(["n", "u"], (v) => !Number.isNaN(this.val(v)));
          if (c.length === 0) return;
          const x = this.rng.pick(c);
          this.removable.add(this.emit("guard_value", [x, Const.of(this.zeroSwap(this.val(x)))], null));
        },
      ],
      [
        1,
        () => {
          const c = this.liveOf(PTR_TYPES);
          if (c.length === 0) return;
          const x = this.rng.pick(c);
          this.removable.add(this.emit("guard_value", [x, Const.of(this.val(x))], null));
        },
      ],
      [
        2,
        () => {
          const c = this.liveOf(["A?"]);
          if (c.length > 0) this.refine(this.rng.pick(c));
          else {
            const o = this.obj(this.rng.pick(["A", "B"] as const));
            if (o && !(o instanceof Const)) this.emit("guard_class", [o], this.typeOf(o) === "A" ? CLS_A : CLS_B);
          }
        },
      ],
    ])();
  }

  getfield(): void {
    const type = this.rng.chance(0.75) ? "A" : "B";
    const o = this.obj(type);
    if (!o) return;
    const f = type === "A" ? this.rng.pick([A_X, A_X, A_Y, A_NEXT, A_NEXT, A_K]) : this.rng.pick([B_X, B_Z]);
    const r = this.emit("getfield", [o], f, f === A_NEXT ? "A?" : "n");
    if (f === A_NEXT && this.rng.chance(0.6)) this.refine(r);
  }

  setfield(): void {
    const type = this.rng.chance(0.75) ? "A" : "B";
    const o = this.obj(type);
    if (!o) return;
    const f = type === "A" ? this.rng.pick([A_X, A_X, A_Y, A_NEXT]) : this.rng.pick([B_X, B_Z]);
    let v: Value;
    if (f === A_NEXT) {
      const c = this.liveOf(["A", "A?"]);
      v = c.length > 0 && this.rng.chance(0.8) ? this.rng.pick(c) : (this.obj("A") ?? Const.of(null));
      if (this.rng.chance(0.1)) v = Const.of(null);
    } else v = this.num(false);
    this.emit("setfield", [o, v], f);
  }

  getitem(): void {
    const a = this.array(ARRAY_TYPES);
    if (!a) return;
    const i = this.index();
    this.emit("getarrayitem", [a, i], ARRAY_DESCR[this.typeOf(a)]!, this.isSafe(i) ? "n" : "u");
  }

  setitem(): void {
    const a = this.array(WRITABLE);
    if (!a) return;
    const t = this.typeOf(a);
    const i = this.index();
    this.emit("setarrayitem", [a, i, this.num(storesU(t))], ARRAY_DESCR[t]!);
  }

  arraylen(): void {
    const a = this.array(ARRAY_TYPES);
    if (a) this.emit("arraylen", [a], ARRAY_DESCR[this.typeOf(a)]!);
  }

  /** The bounds checks an interpreter makes, then a store and/or a load at that index. */
  checkedAccess(): void {
    const a = this.array(WRITABLE);
    if (!a) return;
    const t = this.typeOf(a);
    const d = ARRAY_DESCR[t]!;
    const i = this.rng.chance(0.3) ? this.index() : this.num(false);
    this.guardTruth(this.emit(this.rng.pick<OpName>(["num_ge", "num_lt"]), this.rng.chance(0.5) ? [i, Const.of(0)] : [Const.of(0), i], null));
    const len = this.emit("arraylen", [a], d);
    this.guardTruth(this.emit(this.rng.pick<OpName>(["num_lt", "num_ge"]), [i, len], null));
    if (this.rng.chance(0.7)) this.emit("setarrayitem", [a, i, this.num(storesU(t))], d);
    if (this.rng.chance(0.8)) this.emit("getarrayitem", [a, i], d, "u");
  }

  /**
   * A Brainfuck-style head move: `pos + k` checked against 0 and the length of an array
   * (guard_false(num_lt(p, 0)), guard_false(num_ge(p, len)) when they pass now), then
   * an access there; sometimes a second move and access. Returns the new position.
   */
  movePos(pos: Value): Value {
    const a = this.array(WRITABLE);
    let p = pos;
    for (let n = this.rng.range(1, 2); n > 0; n--) {
      const k = this.rng.pick([1, 1, -1, 2, -2, 0]);
      p = this.emit(k >= 0 ? "num_add" : "num_sub", [p, Const.of(Math.abs(k))], null);
      if (!a) continue;
      const d = ARRAY_DESCR[this.typeOf(a)]!;
      this.guardTruth(this.emit("num_lt", [p, Const.of(0)], null));
      const len = this.emit("arraylen", [a], d);
      this.guardTruth(this.emit("num_ge", [p, len], null));
      if (this.rng.chance(0.5)) this.emit("setarrayitem", [a, p, this.num(storesU(this.typeOf(a)))], d);
      this.emit("getarrayitem", [a, p], d, "u");
    }
    return p;
  }

  /**
   * Allocations, for the virtualize pass: an A or B initialized as a constructor would
   * (some fields, sometimes all, A.k only here), sometimes read back at once or linked
   * to another A; or a small array of constant length. What happens to them later is
   * up to the other steps, which take them like any live value: field and item
   * accesses, guards, comparisons, calls and stores into other objects (escapes),
   * resume data, and loop-carried values at the jump.
   */
  alloc(): void {
    const r = this.rng.next();
    if (r < 0.45) {
      const p = this.emit("new", [], CLS_A, "A");
      const all = this.rng.chance(0.4);
      if (all || this.rng.chance(0.6)) this.emit("setfield", [p, this.num(false)], A_X);
      if (all || this.rng.chance(0.3)) this.emit("setfield", [p, this.num(false)], A_Y);
      // Always `next` (an A or null, as the generator's other steps take it for granted: a
      // blank allocation leaves an unwritten field undefined).
      const c = this.liveOf(["A", "A?"]);
      this.emit("setfield", [p, c.length > 0 && this.rng.chance(0.8) ? this.rng.pick(c) : Const.of(null)], A_NEXT);
      if (all || this.rng.chance(0.2)) this.emit("setfield", [p, this.num(false)], A_K);
      if (this.rng.chance(0.3)) this.emit("getfield", [p], A_X, "n");
      return;
    }
    if (r < 0.6) {
      const p = this.emit("new", [], CLS_B, "B");
      if (this.rng.chance(0.7)) this.emit("setfield", [p, this.num(false)], B_X);
      if (this.rng.chance(0.5)) this.emit("setfield", [p, this.num(false)], B_Z);
      return;
    }
    const type = this.rng.pick(["Array", "U8", "F64"] as const);
    const a = this.emit("new_array", [Const.of(this.rng.range(4, 5)), this.num(false)], ARRAY_DESCR[type]!, type);
    if (this.rng.chance(0.5)) this.emit("setarrayitem", [a, Const.of(this.rng.range(0, 3)), this.num(false)], ARRAY_DESCR[type]!);
  }

  call(): void {
    const fn = (d: CallDescr): Const => Const.of(FUNCTIONS[d.name]);
    this.rng.weighted<() => void>([
      [
        3,
        () => {
          const p = this.obj("A");
          if (!p) return;
          this.emit("call", [fn(CALL_ALL), p, this.num(false)], CALL_ALL);
          this.emit("guard_no_exception", [], null);
        },
      ],
      [
        2,
        () => {
          const p = this.obj("A");
          if (p) this.emit("call", [fn(CALL_Y), p, this.num(false)], CALL_Y);
        },
      ],
      [
        2,
        () => {
          const a = this.array(["U8"]);
          if (a) this.emit("call", [fn(CALL_ARR), a, this.num(true), this.num(true)], CALL_ARR);
        },
      ],
      [
        2,
        () => {
          const p = this.obj("A");
          if (p) this.emit("call", [fn(CALL_READ), p], CALL_READ);
        },
      ],
      [2, () => this.emit("call", [fn(CALL_NONE), this.num(true), this.num(true)], CALL_NONE)],
      [2, () => this.emit("call_pure", [fn(CALL_PURE), this.num(false), this.num(false)], CALL_PURE)],
    ])();
  }

  // ---- inputs -------------------------------------------------------------------

  /** A value for an input of `role`: the reference one or a random variant. */
  inputValue(role: Role, reference: boolean, k: number): unknown {
    const w = this.world;
    const any = (t: SType | "C"): unknown => this.rng.pick(w.byType(t)).obj;
    switch (role.role) {
      case "counter":
        return reference ? 0 : this.rng.pick([0, 0, 0, 1, -3, 0.5, k - 1]);
      case "pos":
        return reference ? this.rng.range(0, 3) : this.rng.pick([0, 1, 2, 3, 4, -1, 0.5, NaN, -0]);
      case "num":
        return this.rng.chance(0.06) ? this.rng.pick(RARE_NUMS) : this.rng.pick(NUMS);
      case "bool":
        return this.rng.chance(0.5);
      case "ptr": {
        if (reference || role.check === "none") return any(role.type);
        const r = this.rng.next();
        if (r < 0.8) return any(role.type);
        if (r < 0.9 || role.check === "nonnull") return null;
        return any(this.rng.pick([role.type === "A" ? "B" : "A", "C"] as const));
      }
      case "array":
        return any(role.type);
    }
  }
}

/** The static type of an input of `role`. */
function roleType(role: Role): SType {
  switch (role.role) {
    case "counter":
    case "pos":
    case "num":
      return "n";
    case "bool":
      return "b";
    case "ptr":
      return role.check === "none" ? role.type : role.type === "A" ? "A?" : "B";
    case "array":
      return role.type;
  }
}

/** The world of one case: three As, two Bs, a C, and two arrays of each flavour. */
function makeWorld(rng: Rng): World {
  const w = new World();
  const as: A[] = [];
  const small = (): number => rng.pick([0, 1, 2, 3, 5, -1, 0.5, 10, 255, -0]);
  for (let i = 0; i < 3; i++) {
    const target = rng.range(-1, 2);
    as.push(w.addA(`a${i}`, small(), small(), small(), () => (target < 0 ? null : (as[target] ?? null))));
  }
  w.reset(); // now that every A exists, `next` links resolve
  for (let i = 0; i < 2; i++) w.addB(`b${i}`, small(), small());
  w.addC("c0");
  const items = (n: number, f: () => number): number[] => Array.from({ length: n }, f);
  for (let i = 0; i < 2; i++) w.addArray(`arr${i}`, "Array", items(rng.range(4, 6), small));
  for (let i = 0; i < 2; i++) w.addArray(`u8_${i}`, "U8", items(rng.range(4, 6), () => rng.range(0, 255)));
  for (let i = 0; i < 2; i++) w.addArray(`i32_${i}`, "I32", items(rng.range(4, 6), () => rng.range(-1000, 1000)));
  w.addArray("i8_0", "I8", items(rng.range(4, 6), () => rng.range(-128, 127)));
  w.addArray("f64_0", "F64", items(rng.range(4, 6), small));
  w.addArray("ro0", "RO", items(4, small));
  return w;
}

/**
 * Generates case `seed`: a loop (three in four) or a bridge/entry, with the reference
 * inputs and three more input variants.
 */
export function generateCase(seed: number): FuzzCase {
  const rng = new Rng(seed);
  const world = makeWorld(rng);
  const g = new Generator(rng, world);
  const isLoop = rng.chance(0.75);
  const roles: Role[] = [];
  if (isLoop) roles.push({ role: "counter" });
  const hasPos = isLoop && rng.chance(0.4);
  if (hasPos) roles.push({ role: "pos" });
  for (let i = rng.range(1, 3); i > 0; i--) roles.push({ role: "num" });
  if (rng.chance(0.3)) roles.push({ role: "bool" });
  for (let i = rng.range(1, 3); i > 0; i--) roles.push({ role: "ptr", type: "A", check: rng.pick(["none", "none", "nonnull", "class"] as const) });
  if (rng.chance(0.4)) roles.push({ role: "ptr", type: "B", check: rng.pick(["none", "class"] as const) });
  for (let i = rng.range(0, 3); i > 0; i--) roles.push({ role: "array", type: rng.pick(ARRAY_TYPES) });
  const order = rng.shuffle(roles);
  const iterations = rng.range(2, 12);
  const reference = order.map((r) => g.inputValue(r, true, iterations));
  const inputs = order.map((r) => new InputArg(r.role === "counter" || r.role === "pos" || r.role === "num" ? "n" : r.role === "bool" ? "b" : "p"));
  inputs.forEach((v, k) => g.define(v, roleType(order[k]!), reference[k]));

  const token = new TargetToken(isLoop ? "Loop0" : "Loop9");
  if (isLoop) g.emit("label", inputs.slice(), token);
  // Checks of pointer inputs that may be null or of another class, before any access.
  order.forEach((r, k) => {
    if (r.role !== "ptr" || r.check === "none") return;
    const p = inputs[k]!;
    if (r.check === "nonnull") g.emit("guard_nonnull", [p], null);
    else g.emit("guard_class", [p], r.type === "A" ? CLS_A : CLS_B);
    g.types.set(p, r.type);
  });

  const length = rng.range(isLoop ? 6 : 4, 32);
  const counterAt = rng.range(0, length);
  let counterNext: Value | null = null;
  let counterGuard: Op | null = null;
  const posAt = hasPos ? rng.range(0, length) : -1;
  let posNext: Value | null = null;
  for (let s = 0; s <= length; s++) {
    if (s === posAt) posNext = g.movePos(inputs[order.findIndex((r) => r.role === "pos")]!);
    if (isLoop && s === counterAt) {
      const c = inputs[order.findIndex((r) => r.role === "counter")]!;
      counterNext = g.emit("num_add", [c, Const.of(1)], null);
      counterGuard = g.emit("guard_true", [g.emit("num_lt", [counterNext, Const.of(iterations)], null)], null);
    } else g.step();
  }

  if (isLoop) {
    const args = order.map((r, k): Value => {
      const same = inputs[k]!;
      switch (r.role) {
        case "counter":
          return counterNext!;
        case "pos":
          return posNext!;
        case "num": {
          const c = g.liveOf(["n"], (v) => v instanceof Op);
          return c.length > 0 && rng.chance(0.8) ? rng.pick(c) : rng.chance(0.5) ? same : g.numConst();
        }
        case "bool": {
          const c = g.liveOf(["b"]);
          return c.length > 0 && rng.chance(0.8) ? rng.pick(c) : Const.of(rng.chance(0.5));
        }
        case "ptr": {
          if (rng.chance(0.6)) return same;
          const c = g.liveOf(r.check === "none" ? [r.type] : r.type === "A" ? ["A", "A?"] : ["B"]);
          return c.length > 0 ? rng.pick(c) : same;
        }
        case "array": {
          if (rng.chance(0.6)) return same;
          const c = g.liveOf([r.type]);
          return c.length > 0 ? rng.pick(c) : same;
        }
      }
    });
    g.emit("jump", args, token);
  } else if (rng.chance(0.7)) {
    g.emit("jump", rng.sample(g.live, rng.range(0, 4)), token);
  } else {
    g.emit("finish", rng.sample(g.live, rng.range(0, 3)), null);
  }

  // Drop most number/boolean guards the reference run fails before the counter's.
  let ops = g.ops;
  const kind = isLoop ? "loop" : rng.chance(0.5) ? "bridge" : "entry";
  let trace = new Trace(inputs, ops, kind, `fuzz ${seed}`);
  for (let repair = 0; isLoop && repair < 8; repair++) {
    world.reset();
    const exit = execute(trace, reference);
    const op = g.guardAt.get(exit.at);
    if (!op || op === counterGuard || !g.removable.has(op) || !rng.chance(0.85)) break;
    ops = ops.filter((o) => o !== op);
    trace = new Trace(inputs, ops, kind, `fuzz ${seed}`);
  }
  world.reset();

  const variants = [reference];
  for (let v = 0; v < 3; v++) variants.push(order.map((r) => g.inputValue(r, false, iterations)));
  return { seed, trace, world, variants };
}
