/**
 * @fileoverview Allocation removal (RPython's `optimizeopt/virtualize.py`): objects and
 * small arrays that a trace allocates are kept *virtual* — their fields live in trace
 * values, not in memory — until something needs them as real objects.
 *
 * An interpreter written the natural way allocates all the time: a box for every
 * integer result, a small array for every call's arguments. Most of those objects are
 * read back a few ops later and then forgotten. In a trace, the optimizer sees the whole
 * life of such an object, so it can leave out the allocation and let every read of a
 * field take the value last written to it.
 *
 * What the pass does, in one forward walk:
 *
 * - `new(descr=C)` makes a virtual object of class C with no known fields; `new_array(n,
 *   fill)` with a constant integer length n (at most MAX_VIRTUAL_ARRAY) makes a virtual
 *   array whose n items all start as `fill`. Nothing is emitted. Float32Arrays stay
 *   real (their rounding has no op), and typed arrays only hold numbers while virtual.
 * - `setfield` / `getfield` on a virtual write / read its field (by property name, as JS
 *   does). A read of a field the trace never wrote is *not* guessed — the constructor
 *   gave it a default the optimizer does not know — so the virtual is forced first.
 *   `setarrayitem` / `getarrayitem` at a constant in-bounds integer index and `arraylen`
 *   likewise; a typed array converts what it stores, so a read applies the conversion
 *   (`int_and(v, 255)` for a Uint8Array; folded for a constant).
 *   A `setarrayitem` just past the end of a virtual plain array appends (JS grows the
 *   array), up to MAX_VIRTUAL_ARRAY items: an array literal filled item by item stays
 *   virtual.
 * - What a fresh object is decides tests on it: `guard_nonnull`, `guard_true`,
 *   `guard_class` with its own class pass and go; `guard_isnull`, `guard_false`,
 *   `guard_class` with another class and `guard_value` against anything but itself
 *   would always fail, so they become `guard_true(false)` (the trace still leaves there,
 *   through the same resume data, so it stays correct; the blackhole interpreter goes
 *   on). `eq` / `ne` with a virtual fold: a fresh object is identical only to itself,
 *   since anything else that could be the same object would have forced it. `truthy`,
 *   `bool_not`, `type_of`, `same_as` and (when the classes decide it) `instance_of`
 *   fold too.
 * - Any other use is an escape: an argument of a call, a value stored into a real
 *   object or array, a guard or comparison the pass cannot decide, a `finish` or
 *   `jump` argument. The virtual is forced right there: its `new` (or `new_array(n,
 *   fill)`) is emitted, then a `setfield` for each known field (a `setarrayitem` for
 *   each item that is not the fill value), forcing the virtuals stored in it first. A
 *   virtual is marked real *before* its fields are forced, so cycles end. From then on
 *   it is an ordinary value. At a `label` every virtual is forced: code after a label
 *   also runs on the back edge, where nothing the pass knows before it holds.
 * - Resume data: a guard whose snapshot names a virtual (in a frame, in a field of
 *   another virtual, in a delayed write) gets it described in `snapshot.virtuals` —
 *   class and current fields, or array descriptor and items — instead of forcing it.
 *   A failing guard materializes it (`src/tracer/resume.ts`).
 *
 * The value that stands for a virtual is the `new` op that would allocate it (a fresh
 * Op, to which the input's op is forwarded): resume data names it, and forcing emits
 * that very op, so a guard before the force and ops after it name the same value.
 *
 * Loops (with `unroll`): the pass runs over the peeled straight line `preamble <boundary>
 * body jump(…, W, W')`, whose final jump only records what each preamble value became
 * one iteration later (`PassContext.peeled`); its arguments are not uses, so nothing
 * is forced there. A virtual carried from one iteration to the next (allocated in
 * iteration one and passed through the jump to iteration two) is then simply virtual
 * in both: the body's reads of it take its field values, which become the loop's phis,
 * and the body allocates nothing — RPython's *virtual state*, here a consequence of
 * peeling by copy-substitution. When a phi would have to carry a virtual itself (a
 * preamble value that the body uses is a virtual one iteration later), `closeLoop`
 * refuses; the pipeline then peels two iterations, where such a value is usually
 * virtual on both sides (see unroll.ts), and failing that optimizes the loop without
 * peeling, where the jump forces it.
 *
 * Why that is sound: the body stands for every iteration after the first, so each of
 * its virtuals must be forced at most once over the iterations. A virtual allocated in
 * iteration one and still virtual at the boundary may be forced in the body (it is the
 * previous iteration's object there, allocated from the phis of its fields), but then
 * its copy, the body's own allocation, must stay virtual to the back edge. It does:
 * iteration two runs the same ops as iteration one on values that are at least as
 * virtual and as constant (iteration one starts from real inputs), and more virtual or
 * constant operands only ever spare a virtual from being forced, never force it.
 * `closeLoop` checks it anyway and refuses a loop where the copy was allocated.
 *
 * The pass builds a new trace with a TraceRewriter; its input is not modified.
 */

import { ArrayDescr, ClassDescr, FieldDescr, TargetToken, type ShapeNode } from "../ir/descr.js";
import { executeOp } from "../ir/semantics.js";
import { Const, Op, Snapshot, type Trace, type Value, type VirtualDesc } from "../ir/trace.js";
import { CONVERSIONS } from "./heap.js";
import { type PassContext, TraceRewriter, allConst, tryRun } from "./rewriter.js";
import { type OptStats, countRule } from "./stats.js";

/** The longest array that is kept virtual (longer ones are allocated as usual). */
export const MAX_VIRTUAL_ARRAY = 64;

interface VirtualObject {
  readonly kind: "object";
  /** The `new` op that allocates it when forced (also the value that names it). */
  readonly alloc: Op;
  readonly cls: ClassDescr;
  /** Known fields by property name, in the order they were first written. */
  readonly fields: Map<string, [FieldDescr, Value]>;
}

interface VirtualArray {
  readonly kind: "array";
  /** The `new_array(length, fill)` op that allocates it when forced. */
  readonly alloc: Op;
  readonly descr: ArrayDescr;
  readonly fill: Value;
  readonly items: Value[];
}

type Virtual = VirtualObject | VirtualArray;

/** True when `fd` is a field of instances of `cls` (declared by it or an ancestor). */
function hasField(cls: ClassDescr, fd: FieldDescr): boolean {
  if (cls.fields.includes(fd)) return true;
  for (let c: ClassDescr | null = cls; c; c = c.parent) if (c.name === fd.owner) return true;
  return false;
}

/**
 * Whether an instance of `cls` passes `guard_class(descr=other)`: the same class is
 * the same descriptor (one per class) or the same constructor.
 */
function sameClass(cls: ClassDescr, other: ClassDescr): boolean {
  return cls === other || (cls.ctor !== null && cls.ctor === other.ctor);
}

/** `x instanceof other.ctor` for a fresh instance of `cls`, or null when not certain. */
function isInstance(cls: ClassDescr, other: ClassDescr): boolean | null {
  if (cls.isSubclassOf(other)) return true;
  if (cls.ctor && other.ctor) return cls.ctor === other.ctor || cls.ctor.prototype instanceof other.ctor;
  return null;
}

/** The item index a constant names when it is an integer in 0..length-1, else null. */
function constIndex(v: Value, length: number): number | null {
  if (!(v instanceof Const) || typeof v.value !== "number") return null;
  const i = v.value;
  return Number.isInteger(i) && i >= 0 && i < length ? i : null;
}

class VirtualizePass {
  private readonly rw: TraceRewriter;
  /** The virtuals, by the value that names them (their allocating op). */
  private readonly virtuals = new Map<Value, Virtual>();

  constructor(
    trace: Trace,
    private readonly stats: OptStats | undefined,
    private readonly context: PassContext,
  ) {
    this.rw = new TraceRewriter(trace);
  }

  private count(rule: string): void {
    countRule(this.stats, rule);
  }

  /** The virtual that `v` (a value of the input) stands for now, if any. */
  private virtualOf(v: Value): Virtual | undefined {
    return this.virtuals.get(this.rw.get(v));
  }

  run(): Trace {
    const ops = this.rw.source.ops;
    ops.forEach((op, k) => {
      const d = op.descr;
      switch (op.name) {
        case "new":
          if (d instanceof ClassDescr) return this.allocObject(op, d);
          break;
        case "new_array":
          if (d instanceof ArrayDescr && this.allocArray(op, d)) return;
          break;
        case "getfield":
          if (d instanceof FieldDescr && this.getfield(op, d)) return;
          break;
        case "setfield":
          if (d instanceof FieldDescr && this.setfield(op, d)) return;
          break;
        case "getarrayitem":
          if (this.getarrayitem(op)) return;
          break;
        case "setarrayitem":
          if (this.setarrayitem(op)) return;
          break;
        case "arraylen":
          if (this.arraylen(op)) return;
          break;
        case "eq":
        case "ne":
          if (this.identity(op)) return;
          break;
        case "truthy":
        case "bool_not":
        case "type_of":
        case "instance_of":
        case "same_as":
          if (this.fold(op)) return;
          break;
        case "call_assembler":
          if (d instanceof TargetToken && this.passFrame(op, k, d)) return;
          break;
        case "label":
          for (let n = this.virtuals.size; n > 0; n--) this.count("virtualize-escape-label");
          this.forceAll();
          break;
        case "jump":
          if (this.context.peeled && k === ops.length - 1) {
            // Unroll's bookkeeping jump: its arguments are not uses (see the overview).
            this.rw.emit(op);
            return;
          }
          break;
        default:
          if (op.info.guard && this.guard(op)) return;
          if (this.foldConstant(op)) return;
      }
      this.escape(op);
    });
    return this.rw.finish();
  }

  // ---- allocations ----------------------------------------------------------------

  private allocObject(op: Op, cls: ClassDescr): void {
    const alloc = new Op("new", [], cls);
    this.rw.replace(op, alloc);
    this.virtuals.set(alloc, { kind: "object", alloc, cls, fields: new Map() });
    this.count("virtualize-new");
  }

  private allocArray(op: Op, descr: ArrayDescr): boolean {
    const [length, fill] = this.rw.args(op) as [Value, Value];
    const n = length instanceof Const && typeof length.value === "number" ? length.value : -1;
    if (!Number.isInteger(n) || n < 0 || n > MAX_VIRTUAL_ARRAY) return false;
    if (descr.typed && (!CONVERSIONS[descr.flavour] || fill.kind !== "n")) return false;
    const alloc = new Op("new_array", [length, fill], descr);
    this.rw.replace(op, alloc);
    this.virtuals.set(alloc, { kind: "array", alloc, descr, fill, items: new Array<Value>(n).fill(fill) });
    this.count("virtualize-new-array");
    return true;
  }

  // ---- fields and items -----------------------------------------------------------

  private getfield(op: Op, fd: FieldDescr): boolean {
    const v = this.virtualOf(op.args[0]!);
    if (v?.kind !== "object" || !hasField(v.cls, fd)) return false;
    const known = v.fields.get(fd.field);
    // Never written by the trace: the constructor's default, which is not known here.
    if (!known) return false;
    this.count("virtualize-getfield");
    this.rw.replace(op, known[1]);
    return true;
  }

  private setfield(op: Op, fd: FieldDescr): boolean {
    const v = this.virtualOf(op.args[0]!);
    if (v?.kind !== "object" || !hasField(v.cls, fd)) return false;
    v.fields.set(fd.field, [fd, this.rw.get(op.args[1]!)]);
    this.count("virtualize-setfield");
    return true;
  }

  private getarrayitem(op: Op): boolean {
    const v = this.virtualOf(op.args[0]!);
    if (v?.kind !== "array") return false;
    const i = constIndex(this.rw.get(op.args[1]!), v.items.length);
    if (i === null) return false;
    this.count("virtualize-getarrayitem");
    this.rw.replace(op, this.converted(this.rw.get(v.items[i]!), v.descr));
    return true;
  }

  private setarrayitem(op: Op): boolean {
    const v = this.virtualOf(op.args[0]!);
    if (v?.kind !== "array") return false;
    const value = this.rw.get(op.args[2]!);
    // A store just past the end of a plain array appends to it (its length grows by one).
    const index = this.rw.get(op.args[1]!);
    if (!v.descr.typed && index instanceof Const && index.value === v.items.length && v.items.length < MAX_VIRTUAL_ARRAY) {
      v.items.push(value);
      this.count("virtualize-append");
      return true;
    }
    const i = constIndex(index, v.items.length);
    if (i === null || (v.descr.typed && value.kind !== "n")) return false;
    v.items[i] = value;
    this.count("virtualize-setarrayitem");
    return true;
  }

  private arraylen(op: Op): boolean {
    const v = this.virtualOf(op.args[0]!);
    if (v?.kind !== "array") return false;
    this.count("virtualize-arraylen");
    this.rw.replace(op, Const.of(v.items.length));
    return true;
  }

  /** What reading back `stored` from an array of `descr` gives (typed arrays convert). */
  private converted(stored: Value, descr: ArrayDescr): Value {
    if (!descr.typed) return stored;
    let x = stored;
    for (const [name, c] of CONVERSIONS[descr.flavour]!) {
      if (x instanceof Const) {
        x = Const.of(executeOp(name, [x.value, c], null));
        continue;
      }
      const out = new Op(name, [x, Const.of(c)]);
      this.rw.ops.push(out);
      x = out;
    }
    return x;
  }

  /**
   * A pure op whose arguments became constants by this pass's forwarding (a virtual's
   * field read back, say `frame.sp + 1`) is folded here, not only by the rewrite pass
   * after it: an index computed so must be a constant when the next store into a
   * virtual array uses it, or the array would be forced.
   */
  private foldConstant(op: Op): boolean {
    const info = op.info;
    if (!info.pure || info.call) return false;
    const args = this.rw.args(op);
    const r = allConst(args) ? tryRun(op.name, args, op.descr) : undefined;
    if (!r) return false;
    this.count("virtualize-fold-const");
    this.rw.replace(op, Const.of(r.value));
    return true;
  }

  // ---- tests on virtuals ----------------------------------------------------------

  /** `eq` / `ne` with a virtual: a fresh object is identical only to itself. */
  private identity(op: Op): boolean {
    const [a, b] = this.rw.args(op) as [Value, Value];
    if (!this.virtuals.has(a) && !this.virtuals.has(b)) return false;
    this.count("virtualize-identity");
    this.rw.replace(op, Const.of((a === b) === (op.name === "eq")));
    return true;
  }

  /** Pure ops whose result a fresh object decides. */
  private fold(op: Op): boolean {
    const x = this.rw.get(op.args[0]!);
    const v = this.virtuals.get(x);
    if (!v) return false;
    let result: Value;
    switch (op.name) {
      case "truthy":
        result = Const.of(true);
        break;
      case "bool_not":
        result = Const.of(false);
        break;
      case "type_of":
        result = Const.of("object");
        break;
      case "same_as":
        result = x;
        break;
      default: {
        const is = v.kind === "object" && op.descr instanceof ClassDescr ? isInstance(v.cls, op.descr) : null;
        if (is === null) return false;
        result = Const.of(is);
      }
    }
    this.count("virtualize-fold");
    this.rw.replace(op, result);
    return true;
  }

  /** A guard on a virtual: removed when it passes, `guard_true(false)` when it fails. */
  private guard(op: Op): boolean {
    const args = this.rw.args(op);
    const v = args[0] === undefined ? undefined : this.virtuals.get(args[0]);
    let passes: boolean;
    if (op.name === "guard_value") {
      if (!v && !this.virtuals.has(args[1]!)) return false;
      passes = args[0] === args[1];
    } else {
      if (!v) return false;
      switch (op.name) {
        case "guard_true":
        case "guard_nonnull":
          passes = true;
          break;
        case "guard_false":
        case "guard_isnull":
          passes = false;
          break;
        case "guard_class":
          if (v.kind !== "object" || !(op.descr instanceof ClassDescr)) return false;
          passes = sameClass(v.cls, op.descr);
          break;
        default:
          return false;
      }
    }
    if (passes) {
      this.count("virtualize-guard-removed");
      return true;
    }
    this.count("virtualize-guard-fails");
    this.withResume(this.rw.emit(op, "guard_true", [Const.of(false)], null));
    return true;
  }

  // ---- guest calls ----------------------------------------------------------------

  /**
   * A guest call whose callee frame is a virtual that nothing uses after the call: the
   * call passes the frame's contents to the callee's frame entry instead (see
   * FrameEntry in ir/descr.ts), and the frame is never allocated here. A virtual the
   * frame holds (an array of its fields, a box in that array) is passed by its contents
   * in turn when only its holder refers to it and nothing uses it after the call; any
   * other value is one argument, forced if virtual. Not at all when the frame is used by
   * a later op (the final bookkeeping jump of a peeled loop aside), named by later
   * resume data, or held by another virtual: the callee changes it.
   */
  private passFrame(op: Op, k: number, token: TargetToken): boolean {
    const fe = token.frameEntry;
    if (fe === null) return false;
    const args = this.rw.args(op);
    const frame = args[fe.red];
    if (frame === undefined || this.virtuals.get(frame)?.kind !== "object") return false;
    const holders = this.holderCounts();
    const later = this.usedAfter(k);
    const parts = new Set<Value>();
    const leaves: Value[] = [];
    const build = (x: Value, holds: number): ShapeNode => {
      const v = this.virtuals.get(x);
      if (!v || parts.has(x) || (v.kind === "array" && v.descr.typed) || (holders.get(x) ?? 0) !== holds || later.has(x)) {
        leaves.push(x);
        return null;
      }
      parts.add(x);
      if (v.kind === "array") return { array: v.descr, items: v.items.map((item) => build(this.rw.get(item), 1)) };
      return { cls: v.cls, fields: [...v.fields.values()].map(([fd, value]): [FieldDescr, ShapeNode] => [fd, build(this.rw.get(value), 1)]) };
    };
    const shape = build(frame, 0);
    if (shape === null || !("cls" in shape)) return false;
    const reds = args.slice(0, fe.reds).filter((_, i) => i !== fe.red);
    if (reds.some((x) => parts.has(x))) return false;
    const entry = fe.entry(shape);
    if (entry === null) return false;
    for (const x of parts) this.virtuals.delete(x);
    this.rw.emit(op, op.name, [...reds, ...leaves].map((x) => this.force(x)), entry);
    this.count("virtualize-frame-passed");
    return true;
  }

  /** How many references the virtuals' fields and items make to each value. */
  private holderCounts(): Map<Value, number> {
    const counts = new Map<Value, number>();
    for (const v of this.virtuals.values()) {
      const held = v.kind === "object" ? [...v.fields.values()].map(([, value]) => value) : v.items;
      for (const value of held) {
        const x = this.rw.get(value);
        counts.set(x, (counts.get(x) ?? 0) + 1);
      }
    }
    return counts;
  }

  /**
   * The values that the ops of the input after the k-th, or their resume data, name
   * (the final bookkeeping jump of a peeled loop aside).
   */
  private usedAfter(k: number): Set<Value> {
    const ops = this.rw.source.ops;
    const used = new Set<Value>();
    const add = (x: Value): void => {
      if (!(x instanceof Const)) used.add(this.rw.get(x));
    };
    for (let j = k + 1; j < ops.length; j++) {
      const op = ops[j]!;
      if (this.context.peeled && op.name === "jump" && j === ops.length - 1) continue;
      op.args.forEach(add);
      op.snapshot?.forEachValue(add);
    }
    return used;
  }

  // ---- escapes ----------------------------------------------------------------------

  /**
   * Emits `op` as it is, forcing the virtuals among its arguments first (counted as
   * `virtualize-escape-<op>`, so `--stats` says where objects escape).
   */
  private escape(op: Op): void {
    const args = this.rw.args(op).map((a) => {
      if (this.virtuals.has(a)) this.count(`virtualize-escape-${op.name}`);
      return this.force(a);
    });
    const out = this.rw.emit(op, op.name, args);
    if (out.snapshot) this.withResume(out);
  }

  /** Makes `x` a real object if it is a virtual (see the overview); returns `x`. */
  private force(x: Value): Value {
    const v = this.virtuals.get(x);
    if (!v) return x;
    this.virtuals.delete(x);
    this.count("virtualize-force");
    if (v.kind === "object") {
      this.rw.ops.push(v.alloc);
      for (const [fd, value] of v.fields.values()) this.rw.ops.push(new Op("setfield", [v.alloc, this.force(this.rw.get(value))], fd));
      return x;
    }
    const fill = this.force(this.rw.get(v.fill));
    v.alloc.args = [Const.of(v.items.length), fill];
    this.rw.ops.push(v.alloc);
    v.items.forEach((item, i) => {
      const value = this.force(this.rw.get(item));
      if (value !== fill) this.rw.ops.push(new Op("setarrayitem", [v.alloc, Const.of(i), value], v.descr));
    });
    return x;
  }

  private forceAll(): void {
    for (const x of [...this.virtuals.keys()]) this.force(x);
  }

  /** Describes, in `guard`'s resume data, every virtual it refers to (transitively). */
  private withResume(guard: Op): void {
    const s = guard.snapshot;
    if (!s || this.virtuals.size === 0) return;
    const described = new Map<Value, VirtualDesc>(s.virtuals);
    const work: Value[] = [];
    s.forEachValue((x) => work.push(x));
    let added = 0;
    for (let k = 0; k < work.length; k++) {
      const x = work[k]!;
      const v = this.virtuals.get(x);
      if (!v || described.has(x)) continue;
      added++;
      let desc: VirtualDesc;
      if (v.kind === "object") {
        const fields = [...v.fields.values()].map(([fd, value]): [FieldDescr, Value] => [fd, this.rw.get(value)]);
        desc = { kind: "object", cls: v.cls, fields };
        for (const [, value] of fields) work.push(value);
      } else {
        const items = v.items.map((item) => this.rw.get(item));
        desc = { kind: "array", descr: v.descr, items };
        work.push(...items);
      }
      described.set(x, desc);
    }
    if (added === 0) return;
    countRule(this.stats, "virtualize-resume-virtual", added);
    guard.snapshot = new Snapshot(s.frames, described, s.pendingWrites, s.afterCallRaising);
  }
}

/** The virtualize pass: allocation removal (see the file overview). */
export function virtualize(trace: Trace, stats?: OptStats, context: PassContext = {}): Trace {
  // Without an allocation there is no virtual, and then the walk changes nothing (the
  // constants it folds are those a read of a virtual's field produced): an interpreter
  // that allocates nothing in a loop (BF) skips it. The input is returned as is, which
  // the pipeline allows (a pass never modifies its input).
  if (!trace.ops.some((op) => op.info.alloc)) return trace;
  return new VirtualizePass(trace, stats, context).run();
}

