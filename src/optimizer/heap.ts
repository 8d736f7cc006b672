/**
 * @fileoverview The heap pass (RPython's `optimizeopt/heap.py`, LuaJIT's
 * `lj_opt_mem.c`): one forward walk that remembers what the trace itself wrote to and
 * read from the heap, so that it does not read it again, and that delays field writes
 * until something could observe them.
 *
 * An interpreter keeps its state in objects (`tape.pos`, `frame.sp`), so a trace reads
 * the same field over and over, and writes one several times in an iteration. Inside a
 * trace that is mostly waste: nothing but the trace runs, and the trace knows what it
 * did. What the pass knows at each point:
 *
 * - **Field cache**: (object, FieldDescr) → the value in that field now. A `getfield`
 *   with an entry is removed and its uses take the value; otherwise it is emitted and its
 *   result becomes the entry. Entries of immutable fields (not quasi-immutable ones:
 *   those are written, rarely) survive calls.
 * - **Lazy field writes**: a `setfield` is not emitted but kept pending (and is the
 *   field's entry). A later write to the same field of the same object replaces it
 *   (keeping the first write's place in the order of writes). A
 *   pending write is emitted ("forced") only when something may observe the memory: a
 *   load of that field from an object that may be the same one (the load misses the
 *   cache), a write of that field to a possibly-same object (so writes to possibly-same
 *   memory keep their order), a call that may read or write the heap, and the end of
 *   the trace or a `label`, a `guard_not_invalidated` (it checks what writes of
 *   quasi-immutable fields did). Another guard does not force anything: its resume data gets the
 *   pending writes (`{setfield(…)}` in the text), and resuming performs them before the
 *   interpreter goes on. So a write whose value is overwritten later in the iteration
 *   only ever happens on the way out. Objects allocated by the trace (`new`) are blank:
 *   a field the trace has not written is not defined (it is not known to hold
 *   `undefined`, and a write of `undefined` is never dropped as redundant), and their
 *   writes are forced in the order they were made (see `forceWhere`).
 * - **Array cache**: (array, ArrayDescr, index) → item, and (array, ArrayDescr) →
 *   length. Array writes are emitted at once (never delayed), then update the cache.
 *   Typed arrays convert what they store (a Uint8Array keeps `v & 255`), so a load after
 *   a store reads the converted value: the conversion is emitted when (if) a load is
 *   forwarded, and folded when the value is a constant; a Float32Array store is not
 *   cached at all (rounding to single precision has no op). A store to a typed array
 *   outside its bounds is ignored and a load there gives `undefined`, so a typed
 *   store → load forward needs proof that the index is in bounds: an integer (an int op
 *   result, a length, sums of those) that guards showed to be `>= 0` and `< arraylen(a)`.
 *   Proof from a guard that a comparison was *false* is sound only for a non-NaN
 *   index, which being an integer guarantees. Two loads with nothing in between that may
 *   write the item read the same thing, in or out of bounds, so load → load needs no
 *   proof. A typed array's length never changes; an `Array`'s changes with stores.
 *
 * Aliasing is type based (two accesses with different descriptors never touch the same
 * memory) plus identity: two values certainly are different objects when both are
 * allocations (`new`, `new_array`) of this trace, or both are different constants, or
 * one is an allocation and the other existed before it (a constant, an input or an
 * earlier op). Anything else may be the same object. Two array indices certainly differ
 * only when both are constants with different property keys (`0` and `-0` are the same
 * item).
 *
 * Calls: `call_pure` neither reads nor writes. A residual `call` that may read or write
 * the heap forces every pending write, and afterwards the entries its CallDescr says it
 * may write are dropped. At a `label` every pending write is forced and everything known
 * (entries, allocations, bounds) is forgotten: the loop body is also entered from its
 * back edge, where the label's arguments are other values and none of it is known.
 *
 * A peeled loop (`PassContext.boundary`): at the end of the preamble the pending writes
 * to objects the trace allocated are forced (nothing is forgotten). Such a write, if the
 * first iteration delayed it to the end of the body, would there store (on phis), every
 * iteration, what the iteration before had stored already: each iteration's object is
 * another one, so the body's own write does not replace it (a box stored into a global
 * got its field written twice). A delayed write to an object that existed before, such
 * as `tape.pos`, is usually replaced by the body's own write, so it stays delayed and
 * costs nothing. Writes to a fresh object never alias another pending write, so forcing
 * them alone keeps the order of writes that matters.
 *
 * The pass builds a new trace with a TraceRewriter; its input is not modified.
 */

import { ArrayDescr, type ArrayFlavour, CallDescr, FieldDescr } from "../ir/descr.js";
import { type OpName } from "../ir/ops.js";
import { executeOp } from "../ir/semantics.js";
import { Const, InputArg, Op, type PendingWrite, Snapshot, type Trace, type Value } from "../ir/trace.js";
import { simplifyAlgebra } from "./algebra.js";
import { type PassContext, TraceRewriter, ValueKeys } from "./rewriter.js";
import { type OptStats, countRule } from "./stats.js";

/** How a typed array converts a stored number: ops applied in turn with a constant. */
export const CONVERSIONS: Partial<Record<ArrayFlavour, readonly (readonly [OpName, number])[]>> = {
  Uint8Array: [["int_and", 255]],
  Uint16Array: [["int_and", 65535]],
  Int32Array: [["int_or", 0]],
  Uint32Array: [["int_ushr", 0]],
  Int8Array: [
    ["int_shl", 24],
    ["int_shr", 24],
  ],
  Int16Array: [
    ["int_shl", 16],
    ["int_shr", 16],
  ],
  Float64Array: [],
  // Float32Array: rounding to single precision has no op; stores are not cached.
};

/** Ops whose result is an integer of magnitude below 2^32. */
const SMALL_INT_OPS: ReadonlySet<OpName> = new Set<OpName>(["int_and", "int_or", "int_xor", "int_shl", "int_shr", "int_not", "int_ushr", "arraylen", "str_len"]);
/** Below this magnitude every integer is a double, so sums of such integers are exact. */
const EXACT = 2 ** 53;

/** A field no write ever changes (quasi-immutable ones are written, rarely). */
function permanent(fd: FieldDescr): boolean {
  return fd.immutable && !fd.quasiImmutable;
}

interface FieldEntry {
  readonly obj: Value;
  readonly value: Value;
}
interface Pending {
  readonly obj: Value;
  readonly descr: FieldDescr;
  value: Value;
  /** The setfield of the input, emitted when the write is forced. */
  readonly op: Op;
}
interface ItemEntry {
  readonly arr: Value;
  readonly index: Value;
  /** What a load here reads, once known. */
  value: Value | null;
  /** A typed-array store: the stored number, converted on the first forward. */
  readonly stored: Value | null;
  /** Forwarding needs the index to be proved in bounds (a typed-array store). */
  readonly needsBounds: boolean;
}
interface LenEntry {
  readonly arr: Value;
  readonly value: Value;
}

/** A nested map: descriptor → key → entry. */
class Table<D, E> {
  readonly byDescr = new Map<D, Map<string, E>>();
  get(d: D, key: string): E | undefined {
    return this.byDescr.get(d)?.get(key);
  }
  set(d: D, key: string, e: E): void {
    let m = this.byDescr.get(d);
    if (!m) this.byDescr.set(d, (m = new Map()));
    m.set(key, e);
  }
  /** Drops the entries of `d` (of every descriptor when `d` is null) that `test` selects. */
  drop(d: D | null, test: (e: E, d: D) => boolean): void {
    const one = d === null ? null : this.byDescr.get(d);
    const tables: Iterable<[D, Map<string, E>]> = d === null ? this.byDescr : one ? [[d, one]] : [];
    for (const [descr, m] of tables) for (const [k, e] of m) if (test(e, descr)) m.delete(k);
  }
  clear(): void {
    this.byDescr.clear();
  }
}

class HeapPass {
  private readonly rw: TraceRewriter;
  private readonly keys = new ValueKeys();
  private readonly fields = new Table<FieldDescr, FieldEntry>();
  /** Pending field writes by `descr/object`, in the order they were made. */
  private readonly pending = new Map<string, Pending>();
  private readonly items = new Table<ArrayDescr, ItemEntry>();
  private readonly lengths = new Table<ArrayDescr, LenEntry>();
  /** Position of every output op, and of allocations since the last label. */
  private readonly position = new Map<Value, number>();
  private readonly allocated = new Map<Value, number>();
  /** Values that guards showed to be `>= 0` (unless NaN), by key. */
  private readonly nonNegative = new Set<string>();
  /** `index<array` keys: guards showed `index < arraylen(array)` (unless NaN). */
  private readonly belowLength = new Set<string>();
  /** Output `arraylen` ops of typed arrays, with the array they measure. */
  private readonly lengthOf = new Map<Value, Value>();

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

  private key(v: Value): string {
    return this.keys.key(v);
  }

  run(): Trace {
    for (const op of this.rw.source.ops) {
      const info = op.info;
      const d = op.descr;
      if (op.name === "getfield" && d instanceof FieldDescr) this.getfield(op, d);
      else if (op.name === "setfield" && d instanceof FieldDescr) this.setfield(op, d);
      else if (op.name === "getarrayitem" && d instanceof ArrayDescr) this.getarrayitem(op, d);
      else if (op.name === "setarrayitem" && d instanceof ArrayDescr) this.setarrayitem(op, d);
      else if (op.name === "arraylen" && d instanceof ArrayDescr) this.arraylen(op, d);
      else if (info.guard) this.guard(op);
      else if ((info.call && !info.pure) || info.heapRead || info.heapWrite) this.call(op);
      else if (op.name === "debug_merge_point" && op.descr === this.context.boundary) {
        // The end of the preamble: what it still delays to objects it allocated is
        // written here, once, rather than by every iteration of the body (see the file
        // overview).
        this.forceWhere((w) => this.allocated.has(w.obj));
        this.emit(op);
      } else if (info.final || op.name === "label") {
        this.forceAll();
        if (op.name === "label") this.forgetAll();
        this.emit(op);
      } else {
        const out = this.emit(op);
        if (info.alloc) this.allocated.set(out, this.position.get(out)!);
      }
    }
    return this.rw.finish();
  }

  /** Emits a copy of `op` (see TraceRewriter.emit) and records its position. */
  private emit(op: Op, args: Value[] = this.rw.args(op)): Op {
    const out = this.rw.emit(op, op.name, args);
    this.position.set(out, this.rw.ops.length - 1);
    return out;
  }

  // ---- aliasing ---------------------------------------------------------------

  /** False when `a` and `b` are certainly different objects. */
  private mayAlias(a: Value, b: Value): boolean {
    if (a === b) return true;
    if (a instanceof Const && b instanceof Const) return this.key(a) === this.key(b);
    const ia = this.allocated.get(a);
    const ib = this.allocated.get(b);
    if (ia !== undefined && ib !== undefined) return false;
    if (ia !== undefined) return !this.existedBefore(b, ia);
    if (ib !== undefined) return !this.existedBefore(a, ib);
    return true;
  }

  /** True when `v` had its value before the output op at `pos` ran. */
  private existedBefore(v: Value, pos: number): boolean {
    if (v instanceof Const || v instanceof InputArg) return true;
    const p = this.position.get(v);
    return p !== undefined && p < pos;
  }

  /** True when the indices `i` and `j` certainly name different items. */
  private differentIndex(i: Value, j: Value): boolean {
    if (!(i instanceof Const) || !(j instanceof Const)) return false;
    const ok = (x: unknown): boolean => typeof x === "number" || typeof x === "string";
    return ok(i.value) && ok(j.value) && String(i.value) !== String(j.value);
  }

  // ---- fields -----------------------------------------------------------------

  private getfield(op: Op, d: FieldDescr): void {
    const obj = this.rw.get(op.args[0]!);
    const k = this.key(obj);
    const hit = this.fields.get(d, k);
    if (hit) {
      this.count("heap-getfield-forwarded");
      this.rw.replace(op, hit.value);
      return;
    }
    this.forceWhere((w) => w.descr === d && this.mayAlias(w.obj, obj));
    const out = this.emit(op, [obj]);
    this.fields.set(d, k, { obj, value: out });
  }

  private setfield(op: Op, d: FieldDescr): void {
    const [obj, value] = this.rw.args(op) as [Value, Value];
    const k = this.key(obj);
    const pk = `${d.id}/${k}`;
    const known = this.fields.get(d, k);
    const mine = this.pending.get(pk);
    if (!mine && known && this.key(known.value) === this.key(value)) {
      // The field already holds this value (as loaded or stored and forced): no change.
      this.count("heap-setfield-redundant");
      return;
    }
    this.forceWhere((w) => w !== mine && w.descr === d && this.mayAlias(w.obj, obj));
    this.fields.drop(d, (e) => e.obj !== obj && this.mayAlias(e.obj, obj));
    this.fields.set(d, k, { obj, value });
    if (mine) {
      this.count("heap-setfield-overwritten");
      mine.value = value;
    } else {
      this.pending.set(pk, { obj, descr: d, value, op });
    }
  }

  /**
   * Emits the pending writes that `test` selects, in the order they were made. A write
   * to an allocation of this trace takes along the writes to the same object made
   * before it: a `new` object is blank, its first write of a field defines it, so its
   * fields must be defined in the order the trace (the constructor) wrote them — the
   * JS property order, hence the V8 hidden class, of an object `new C(...)` makes.
   */
  private forceWhere(test: (w: Pending) => boolean): void {
    if (this.pending.size === 0) return;
    const writes = [...this.pending.values()];
    const chosen = new Set(writes.filter(test));
    for (let i = writes.length - 1; i >= 0; i--) {
      const w = writes[i]!;
      if (!chosen.has(w) || !this.allocated.has(w.obj)) continue;
      for (let j = 0; j < i; j++) if (writes[j]!.obj === w.obj) chosen.add(writes[j]!);
    }
    if (chosen.size === 0) return;
    for (const [k, w] of this.pending) {
      if (!chosen.has(w)) continue;
      this.pending.delete(k);
      this.emit(w.op, [this.rw.get(w.obj), this.rw.get(w.value)]);
    }
  }

  private forceAll(): void {
    this.forceWhere(() => true);
  }

  // ---- arrays -----------------------------------------------------------------

  private getarrayitem(op: Op, d: ArrayDescr): void {
    const [arr, index] = this.rw.args(op) as [Value, Value];
    const k = `${this.key(arr)}/${this.key(index)}`;
    const hit = this.items.get(d, k);
    if (hit && (!hit.needsBounds || this.inBounds(arr, index))) {
      hit.value ??= this.convert(hit.stored!, CONVERSIONS[d.flavour]!);
      this.count("heap-getarrayitem-forwarded");
      this.rw.replace(op, hit.value);
      return;
    }
    const out = this.emit(op, [arr, index]);
    this.items.set(d, k, { arr, index, value: out, stored: null, needsBounds: false });
  }

  private setarrayitem(op: Op, d: ArrayDescr): void {
    const [arr, index, value] = this.rw.args(op) as [Value, Value, Value];
    this.emit(op, [arr, index, value]);
    this.items.drop(d, (e) => this.mayAlias(e.arr, arr) && !this.differentIndex(e.index, index));
    if (!d.typed) this.lengths.drop(d, (e) => this.mayAlias(e.arr, arr));
    const k = `${this.key(arr)}/${this.key(index)}`;
    if (!d.typed) {
      this.items.set(d, k, { arr, index, value, stored: null, needsBounds: false });
      return;
    }
    const steps = CONVERSIONS[d.flavour];
    if (!steps || value.kind !== "n") return;
    const folded = value instanceof Const ? this.convert(value, steps) : null;
    this.items.set(d, k, { arr, index, value: folded, stored: value, needsBounds: true });
  }

  private arraylen(op: Op, d: ArrayDescr): void {
    const arr = this.rw.get(op.args[0]!);
    const k = this.key(arr);
    const hit = this.lengths.get(d, k);
    if (hit) {
      this.count("heap-arraylen-forwarded");
      this.rw.replace(op, hit.value);
      return;
    }
    const out = this.emit(op, [arr]);
    this.lengths.set(d, k, { arr, value: out });
    if (d.typed) this.lengthOf.set(out, arr);
  }

  /**
   * The value a typed array holds after storing `v`: the conversion ops applied to v,
   * folded when v is a constant or an algebra rule knows the result, else emitted here.
   */
  private convert(v: Value, steps: readonly (readonly [OpName, number])[]): Value {
    let x = v;
    for (const [name, c] of steps) {
      const args = [x, Const.of(c)];
      if (x instanceof Const) {
        x = Const.of(executeOp(name, [x.value, c], null));
        continue;
      }
      const s = simplifyAlgebra({ name, args, descr: null }, (y) => this.rw.get(y));
      if (s && "value" in s) {
        this.count(s.rule);
        x = s.value;
        continue;
      }
      const out = new Op(name, args);
      this.rw.ops.push(out);
      this.position.set(out, this.rw.ops.length - 1);
      x = out;
    }
    return x;
  }

  /** True when `index` is certainly a valid integer index of the typed array `arr`. */
  private inBounds(arr: Value, index: Value): boolean {
    if (!this.isInteger(index)) return false;
    const nonNeg = index instanceof Const ? (index.value as number) >= 0 : this.nonNegative.has(this.key(index));
    if (!nonNeg) return false;
    if (this.belowLength.has(`${this.key(index)}<${this.key(arr)}`)) return true;
    if (!(index instanceof Const) || !(arr instanceof Const) || !ArrayBuffer.isView(arr.value)) return false;
    return (index.value as number) < (arr.value as unknown as { length: number }).length;
  }

  /** True when `v` is certainly an integer (so not NaN). */
  private isInteger(v: Value): boolean {
    const bound = this.intBound(v, 4);
    return bound !== null && bound < EXACT;
  }

  /** A bound on |v| when v is certainly an integer, else null. */
  private intBound(v: Value, depth: number): number | null {
    if (v instanceof Const) return typeof v.value === "number" && Number.isInteger(v.value) ? Math.abs(v.value) : null;
    if (!(v instanceof Op)) return null;
    if (SMALL_INT_OPS.has(v.name)) return 2 ** 32;
    if (depth === 0 || (v.name !== "num_add" && v.name !== "num_sub")) return null;
    const a = this.intBound(this.rw.get(v.args[0]!), depth - 1);
    const b = a === null ? null : this.intBound(this.rw.get(v.args[1]!), depth - 1);
    return a === null || b === null ? null : a + b;
  }

  // ---- guards, calls, labels ----------------------------------------------------

  private guard(op: Op): void {
    const args = this.rw.args(op);
    // guard_not_invalidated tests what earlier writes of quasi-immutable fields did:
    // they must have happened (simplest: every pending write).
    if (this.pending.size > 0 && (!op.snapshot || op.name === "guard_not_invalidated")) this.forceAll();
    const out = this.emit(op, args);
    if (this.pending.size > 0 && out.snapshot) {
      const s = out.snapshot;
      const writes: PendingWrite[] = [...this.pending.values()].map((w) => ({
        kind: "field",
        obj: this.rw.get(w.obj),
        descr: w.descr,
        value: this.rw.get(w.value),
      }));
      out.snapshot = new Snapshot(s.frames, s.virtuals, [...s.pendingWrites, ...writes], s.afterCallRaising);
    }
    if (op.name === "guard_true" || op.name === "guard_false") this.learnBounds(args[0]!, op.name === "guard_true");
  }

  /**
   * Bound facts from a guard on a comparison: `lo <= x` / `lo < x` with a constant lo
   * make x non-negative, `x < n` with n an `arraylen(a)` puts x below a's length. A
   * comparison guarded false gives the opposite relation for non-NaN operands only; the
   * facts are used for integer indices only, which are never NaN.
   */
  private learnBounds(cond: Value, truth: boolean): void {
    if (!(cond instanceof Op)) return;
    const [x, y] = cond.args.map((a) => this.rw.get(a)) as [Value, Value];
    // As `small (<|<=) big`.
    let rel: [Value, boolean, Value];
    switch (cond.name) {
      case "num_lt":
        rel = truth ? [x, true, y] : [y, false, x];
        break;
      case "num_le":
        rel = truth ? [x, false, y] : [y, true, x];
        break;
      case "num_gt":
        rel = truth ? [y, true, x] : [x, false, y];
        break;
      case "num_ge":
        rel = truth ? [y, false, x] : [x, true, y];
        break;
      default:
        return;
    }
    const [small, strict, big] = rel;
    if (small instanceof Const && typeof small.value === "number" && small.value >= (strict ? -1 : 0)) this.nonNegative.add(this.key(big));
    const arr = this.lengthOf.get(big);
    if (strict && arr !== undefined) this.belowLength.add(`${this.key(small)}<${this.key(arr)}`);
  }

  /**
   * A residual call. A call without a CallDescr, or a heap op without the expected
   * descriptor, is taken to read and write everything.
   */
  private call(op: Op): void {
    const d = op.descr;
    const effects = op.info.call && d instanceof CallDescr ? d : null;
    if (!effects || !effects.writesNothing || effects.effects.readsHeap) this.forceAll();
    this.emit(op);
    if (effects && effects.writesNothing) return;
    const field = (fd: FieldDescr): boolean => !permanent(fd) && (!effects || effects.mayWriteField(fd));
    const array = (ad: ArrayDescr): boolean => !ad.immutable && (!effects || effects.mayWriteArray(ad));
    this.fields.drop(null, (_e, fd) => field(fd));
    this.items.drop(null, (_e, ad) => array(ad));
    this.lengths.drop(null, (_e, ad) => !ad.typed && array(ad));
  }

  /** At a label: nothing known holds on the back edge. */
  private forgetAll(): void {
    this.fields.clear();
    this.items.clear();
    this.lengths.clear();
    this.allocated.clear();
    this.nonNegative.clear();
    this.belowLength.clear();
    this.lengthOf.clear();
  }
}

/** The heap pass: load/store forwarding and lazy field writes. */
export function heap(trace: Trace, stats?: OptStats, context: PassContext = {}): Trace {
  return new HeapPass(trace, stats, context).run();
}
