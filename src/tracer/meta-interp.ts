/**
 * @fileoverview The tracer: a meta-interpreter that runs the interpreter's jitcodes on
 * concrete values — really running the guest program — while recording every operation
 * into a trace.
 *
 * Each register holds a concrete value and a trace value (its "box"): a Const when the
 * value is known at trace time (greens, constants, reads of readonly fields of
 * constants), otherwise an input argument or the op that produced it. Operations on
 * constants are folded as they are recorded, so the interpreter's dispatch on a green
 * pc leaves nothing in the trace. Branches on non-constant values record guards with
 * resume data (the live registers of every frame). Calls into translated functions are
 * inlined (new frames), unless the function contains a loop (as in RPython, such calls
 * stay calls), is hinted `dontLookInside` or `elidable`; host calls are residual.
 * `new` of an interpreter class records a blank allocation (the `new` op) and inlines
 * the class's init code on it, so the trace holds the constructor's field writes as
 * `setfield`s (the optimizer can then remove the allocation); a class the translator
 * could not give an init code stays a residual `new`.
 * A read of a quasi-immutable field of a constant object is folded to its value and
 * watched (ir/quasi-immutable.ts), behind a `guard_not_invalidated`: one before the
 * first such read and again after each call or write of such a field that may have
 * changed one.
 *
 * The trace closes when the portal frame reaches its merge point with the green values
 * it started from; it ends with a jump when it reaches another compiled loop, and with
 * `finish` when the portal returns; it aborts past the length limit or on anything it
 * cannot follow (an exception), handing its concrete frames to the blackhole
 * interpreter. A call of the portal itself (a guest call) is followed up to the
 * callee's merge point and recorded as `call_assembler` of the code entered at the
 * callee's greens (see callAssembler).
 */

import { CallDescr, ClassDescr, EFFECTS_ALL, EFFECTS_NONE, FieldDescr, LocationDescr, TargetToken, type Descr } from "../ir/descr.js";
import { Validity, watchField } from "../ir/quasi-immutable.js";
import { opInfo, type OpName } from "../ir/ops.js";
import { executeOp } from "../ir/semantics.js";
import { Const, InputArg, kindOfJsValue, Op, pendingWriteOp, Snapshot, Trace, type FrameSnapshot, type Value } from "../ir/trace.js";
import type { Insn, JitCode, Unit } from "../interp-dsl/jitcode.js";
import type { BlackholeExit, Frame, PendingException } from "./blackhole.js";
import { InlinedCalls, sameGreens } from "./inlining.js";
import { sameLayout, vableValues, vableWrites, VirtualizableInfo, type VableBoxes, type VableLayout } from "./virtualizable.js";

/** A tracer frame: concrete registers plus their trace values. */
export interface TraceFrame extends Frame {
  readonly boxes: Value[];
  /**
   * A call of the portal, traced up to its first merge point, where it is either inlined
   * (the flag goes) or becomes a call_assembler.
   */
  portalCall?: true;
  /** For a portal frame: see FrameSnapshot.entry. */
  entry?: readonly unknown[];
}

/** What the tracer needs from the engine. */
export interface TracerHost {
  /** The compiled loop entered at these greens, if any (its label's token). */
  loopTokenFor(greens: readonly unknown[]): TargetToken | null;
  /** Marks the merge point with these greens as the header of a guest loop. */
  markLoopHeader(greens: readonly unknown[]): void;
  /**
   * The token a call_assembler to the portal invocation entered at these greens calls
   * (its compiled code, or a stub that runs the interpreter until there is some); null
   * when guest calls stay residual calls.
   */
  entryTokenFor(greens: readonly unknown[]): TargetToken | null;
  /** Runs a portal invocation from its merge point with these values in the plain interpreter, to its return. */
  runPortal(greens: readonly unknown[], reds: readonly unknown[]): unknown;
  /** The printable location of a merge point. */
  location(greens: readonly unknown[]): string;
  /** The virtualizable layout (array lengths) of the values a jump to `token` passes, once known. */
  vableLayout(token: TargetToken): VableLayout | null;
  setVableLayout(token: TargetToken, layout: VableLayout): void;
  readonly traceLimit: number;
  /**
   * The length past which a trace that inlined guest calls is too long: it becomes one
   * JS function, which V8 does not optimize past a size (the engine's `tree_limit`).
   */
  readonly inlinedTraceLimit: number;
  readonly inlineDepthLimit: number;
  /** How many levels of a recursive guest call are inlined before it is a call_assembler. */
  readonly maxUnrollRecursion: number;
  /** False once inlining the guest calls entered at these greens made a trace fail. */
  mayInline(greens: readonly unknown[]): boolean;
  /** Guest calls entered at these greens become call_assembler from now on. */
  forbidInline(greens: readonly unknown[]): void;
}

/** How tracing ended. */
export type TraceOutcome =
  /**
   * Closed a loop, or reached another loop, or the portal returned (the trace ends in
   * `finish`); `exit` is where the run goes on: the merge point where tracing ended
   * (greens then reds), or the portal's result.
   */
  | { readonly kind: "loop" | "entry"; readonly trace: Trace; readonly exit: BlackholeExit }
  /**
   * Gave up; the blackhole continues from `frames`. `learned`: the tracer forbade
   * inlining a guest call that made it fail, so tracing again may well succeed (the
   * abort does not count towards blacklisting the loop).
   */
  | {
      readonly kind: "abort";
      readonly reason: string;
      readonly frames: Frame[];
      readonly pending: PendingException | null;
      readonly partial: Trace;
      readonly learned: boolean;
    };

class Abort {
  constructor(
    readonly reason: string,
    readonly pending: PendingException | null = null,
    /** The frames to resume from, when they are not the tracer's own. */
    readonly frames: Frame[] | null = null,
    readonly learned = false,
  ) {}
}

/** Records one trace starting at the portal's merge point. */
export class MetaInterp {
  private readonly frames: TraceFrame[] = [];
  private readonly ops: Op[] = [];
  private readonly inputs: InputArg[] = [];
  private readonly knownClass = new Map<Value, ClassDescr>();
  private readonly callDescrs = new Map<string, CallDescr>();
  private startGreens: unknown[] = [];
  private started = false;
  /** This trace's validity, made at its first folded read of a quasi-immutable field. */
  private validity: Validity | null = null;
  /** A guard_not_invalidated was recorded and no call or quasi-immutable write since. */
  private invalidationChecked = false;
  private result: Exclude<TraceOutcome, { kind: "abort" }> | null = null;
  /** The driver's virtualizable frame, if it has one (see virtualizable.ts). */
  private readonly vinfo: VirtualizableInfo | null;
  /** The trace values of the virtualizable's fields and items while tracing. */
  private vable: VableBoxes | null = null;
  /** The frame itself holds the virtualizable's values (just after a call that got it): resume data needs no writes. */
  private vableInFrame = false;
  /** Values checked (by a guard) not to be the virtualizable frame. */
  private readonly notVable = new Set<Value>();
  /** The guest calls inlined into this trace (see guestCall). */
  private readonly inlined = new InlinedCalls<TraceFrame>();

  constructor(
    private readonly unit: Unit,
    private readonly host: TracerHost,
    private readonly token: TargetToken,
  ) {
    this.vinfo = VirtualizableInfo.of(unit);
  }

  /** Traces from the merge point with the given green and red values. */
  trace(greens: readonly unknown[], reds: readonly unknown[], title: string): TraceOutcome {
    const portal = this.unit.portal!;
    const code = this.unit.codes[portal.code]!;
    const mergePc = code.insns.findIndex((i) => i.o === "merge");
    const merge = code.insns[mergePc] as Extract<Insn, { o: "merge" }>;
    const frame: TraceFrame = { code, pc: mergePc, regs: new Array(code.nregs), boxes: new Array(code.nregs), retDst: -1, entry: [...greens] };
    merge.g.forEach((r, i) => {
      frame.regs[r] = greens[i];
      frame.boxes[r] = Const.of(greens[i]);
    });
    merge.r.forEach((r, i) => {
      const arg = new InputArg(kindOfJsValue(reds[i]));
      this.inputs.push(arg);
      frame.regs[r] = reds[i];
      frame.boxes[r] = arg;
    });
    this.frames.push(frame);
    this.startGreens = [...greens];
    return this.runToEnd("loop", title, () => {
      const vableInputs = this.vinfo ? this.vableInputs(reds[this.vinfo.red]) : [];
      this.record("label", [...this.inputs, ...vableInputs], this.token);
      this.inputs.push(...vableInputs);
      if (this.vable) this.vable.arrays.forEach((a, k) => a.items.length > 0 && this.arrayBox(k));
    });
  }

  /**
   * The trace starts with the virtualizable's values as inputs after the reds (the
   * engine reads them from the frame when it enters), in the token's layout.
   */
  private vableInputs(frame: unknown): InputArg[] {
    const vinfo = this.vinfo!;
    const layout = this.frameLayout(frame, this.token);
    const obj = frame as Record<string, unknown>; // an object: frameLayout checked it
    const fields = vinfo.fields.map((d) => new InputArg(d.kind));
    const arrays = vinfo.arrays.map((a, k) => ({
      box: null,
      obj: obj[a.field.field] as unknown[],
      items: Array.from({ length: layout[k]! }, () => new InputArg(a.items.itemKind)),
    }));
    const vable: VableBoxes = { frame: this.inputs[vinfo.red]!, obj, layout, fields, arrays };
    this.vable = vable;
    return vableValues(vable) as InputArg[];
  }

  /** The layout of a virtualizable `frame` entering `token` (checked against the token's: see checkLayout). */
  private frameLayout(frame: unknown, token: TargetToken): VableLayout {
    if (frame === null || typeof frame !== "object") throw new Abort("the virtualizable red is not an object");
    const layout = this.vinfo!.layoutOf(frame);
    if (layout.some((n) => n < 0)) throw new Abort("a virtualizable array field does not hold an array");
    this.checkLayout(token, layout);
    return layout;
  }

  /** A jump to `token` passes the virtualizable in the current layout: the token's, if it has one. */
  private checkLayout(token: TargetToken, layout: VableLayout): void {
    const known = this.host.vableLayout(token);
    if (known === null) this.host.setVableLayout(token, layout);
    else if (!sameLayout(known, layout)) throw new Abort(`the virtualizable's arrays have other lengths than ${token.name} expects`);
  }

  /**
   * Traces a bridge: from the state a failed guard describes (`frames`, concrete, with
   * `boxes` giving each live register's trace value) to the next compiled loop. The
   * trace starts with `prologue`: what resuming at that guard does before the frames
   * run (its delayed writes), already done concretely; `classes` are the inputs whose
   * class the trace the guard belongs to had checked.
   */
  traceBridge(
    frames: Frame[],
    boxes: Value[][],
    inputs: InputArg[],
    prologue: readonly Op[],
    classes: ReadonlyMap<Value, ClassDescr>,
    vable: VableBoxes | null,
    title: string,
  ): TraceOutcome {
    frames.forEach((f, i) => this.frames.push({ ...f, boxes: boxes[i]! }));
    this.vable = vable;
    for (const [v, cls] of classes) this.knownClass.set(v, cls);
    this.inputs.push(...inputs);
    this.ops.push(...prologue);
    this.started = true;
    this.bridge = true;
    return this.runToEnd("bridge", title);
  }

  /** Runs `start`, then steps until the trace closes, ends or aborts. */
  private runToEnd(kind: "loop" | "bridge", title: string, start: () => void = () => {}): TraceOutcome {
    try {
      start();
      while (this.result === null) this.step();
      this.result.trace.title = title;
      if (kind === "bridge") this.result.trace.kind = "bridge";
      return this.result;
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
      const partial = new Trace(this.inputs, this.ops, kind, title);
      return { kind: "abort", reason: e.reason, frames: e.frames ?? this.frames, pending: e.pending, partial, learned: e.learned };
    }
  }
  private bridge = false;

  // ---- recording ----

  private record(name: OpName, args: Value[], descr: Descr | null = null): Op {
    const op = new Op(name, args, descr);
    this.ops.push(op);
    if (name === "call" || name === "call_assembler" || (name === "setfield" && (descr as FieldDescr).quasiImmutable)) this.invalidationChecked = false;
    if (this.ops.length > this.host.traceLimit) throw this.tooLong();
    if (this.ops.length > this.host.inlinedTraceLimit && this.inlined.any) throw this.tooLong();
    return op;
  }

  /**
   * The trace is too long. If it inlined guest calls, the one that recorded the most
   * ops is called with call_assembler from now on (RPython's `dont_trace_here` on the
   * biggest function), so a new attempt may fit.
   */
  private tooLong(): Abort {
    const biggest = this.inlined.biggestAt(this.ops.length);
    if (!biggest) return new Abort("trace too long");
    this.host.forbidInline(biggest);
    return new Abort(`trace too long (the guest call at ${this.host.location(biggest)} is not inlined from now on)`, null, null, true);
  }

  /**
   * Resume data: every frame with the trace values of its live registers. After a call
   * that raised, the innermost frame goes on at the handler of the call's instruction
   * (or is unwound), so its registers that are dead there are left out (undefined):
   * a frame a guest call got, say, which the caller does not use once the call is over.
   */
  private snapshot(afterCallRaising = false): Snapshot {
    const innermost = this.frames[this.frames.length - 1];
    const frames: FrameSnapshot[] = this.frames.map((f) => {
      const liveAfter = afterCallRaising && f === innermost ? liveAtHandler(f.code, f.pc) : null;
      return {
        code: f.code,
        pc: f.pc,
        values: Array.from(f.code.liveIn![f.pc]!, (r) => (liveAfter && !liveAfter.includes(r) ? undefined : f.boxes[r]) ?? Const.of(undefined)),
        ...(f.entry ? { entry: f.entry } : {}),
      };
    });
    const writes = this.vable && !this.vableInFrame ? vableWrites(this.vinfo!, this.vable) : [];
    return new Snapshot(frames, new Map(), writes, afterCallRaising);
  }

  private guard(name: OpName, args: Value[], descr: Descr | null = null, afterCall = false): void {
    const op = this.record(name, args, descr);
    op.snapshot = this.snapshot(afterCall);
  }

  private box(f: TraceFrame, operand: number): Value {
    return operand >= 0 ? f.boxes[operand]! : (this.constBox(operand));
  }
  private value(f: TraceFrame, operand: number): unknown {
    return operand >= 0 ? f.regs[operand] : this.unit.consts[-operand - 1];
  }
  private readonly constBoxes = new Map<number, Const>();
  private constBox(operand: number): Const {
    let c = this.constBoxes.get(operand);
    if (!c) {
      c = Const.of(this.unit.consts[-operand - 1]);
      this.constBoxes.set(operand, c);
    }
    return c;
  }
  private set(f: TraceFrame, reg: number, v: unknown, box: Value): void {
    if (reg < 0) return;
    f.regs[reg] = v;
    f.boxes[reg] = box;
  }

  /** Makes `box` a constant behind a guard_value, returning the constant. */
  private promote(box: Value, v: unknown): Const {
    if (box instanceof Const) return box;
    this.guard("guard_value", [box, Const.of(v)]);
    return Const.of(v);
  }

  // ---- the meta-interpreter ----

  private step(): void {
    const f = this.frames[this.frames.length - 1]!;
    const ins = f.code.insns[f.pc]!;
    switch (ins.o) {
      case "move":
        this.set(f, ins.d, this.value(f, ins.a), this.box(f, ins.a));
        f.pc++;
        return;
      case "op":
        return this.irOp(f, ins);
      case "goto":
        f.pc = ins.t;
        return;
      case "br": {
        const v = this.value(f, ins.a);
        const b = this.box(f, ins.a);
        if (!(b instanceof Const)) this.guard(v ? "guard_true" : "guard_false", [b]);
        f.pc = v ? f.pc + 1 : ins.t;
        return;
      }
      case "switch": {
        const v = this.value(f, ins.a);
        const b = this.box(f, ins.a);
        if (!(b instanceof Const)) {
          this.promote(b, v);
          if (ins.a >= 0) f.boxes[ins.a] = Const.of(v);
        }
        const c = ins.cases.find((x) => this.value(f, x[0]) === v);
        f.pc = c ? c[1] : ins.t;
        return;
      }
      case "promote": {
        const v = this.value(f, ins.a);
        const c = this.promote(this.box(f, ins.a), v);
        this.set(f, ins.d, v, c);
        f.pc++;
        return;
      }
      case "call": {
        const code = this.unit.codes[ins.f]!;
        return this.callCode(f, code, ins.a, ins.d, null);
      }
      case "callm":
        return this.callMethod(f, ins);
      case "new":
        return this.newObject(f, ins);
      case "rcall": {
        const descr = this.unit.descrs[ins.descr] as CallDescr;
        const args = ins.a.map((a) => this.box(f, a));
        return this.residual(f, descr, args, ins.a.map((a) => this.value(f, a)), ins.d, ins.p === true);
      }
      case "ret": {
        const v = ins.a === null ? undefined : this.value(f, ins.a);
        const b = ins.a === null ? Const.of(undefined) : this.box(f, ins.a);
        this.frames.pop();
        this.inlined.returned(f, this.ops.length);
        const caller = this.frames[this.frames.length - 1];
        if (!caller) {
          // The portal returns: the trace ends with the portal's result, after writing the
          // virtualizable back (the interpreter, or whoever made the frame, may read it).
          if (this.vable) this.storeVable();
          this.record("finish", [b]);
          if (!this.bridge) this.ops.shift(); // no label: nothing jumps back to the start
          this.result = { kind: "entry", trace: new Trace(this.inputs, this.ops, "entry"), exit: { done: true, value: v } };
          return;
        }
        this.set(caller, f.retDst, v, b);
        caller.pc++;
        return;
      }
      case "throw":
        throw new Abort("an exception was raised while tracing", { error: this.value(f, ins.a) });
      case "merge":
        return this.mergePoint(f, ins);
      case "cej":
        // A guest loop's back edge: its target is a loop header from now on, so traces
        // end there instead of unrolling the loop (canEnterJit is not called while
        // tracing, and a loop first run inside a trace would otherwise never be one).
        if (this.frames.length === 1) this.host.markLoopHeader(ins.g.map((r) => this.value(f, r)));
        else this.loopInCall();
        f.pc++;
        return;
    }
  }

  private irOp(f: TraceFrame, ins: Extract<Insn, { o: "op" }>): void {
    const descr = this.unit.descrs[ins.descr] ?? null;
    const boxes = ins.a.map((a) => this.box(f, a));
    const args = ins.a.map((a) => this.value(f, a));
    let v: unknown;
    try {
      v = executeOp(ins.n, args, descr);
    } catch (e) {
      throw new Abort(`${ins.n} raised an exception`, { error: e });
    }
    if (ins.n === "to_str" && !(boxes[0]!.kind === "n" || boxes[0]!.kind === "b" || boxes[0]!.kind === "s")) {
      // ToString of what may be an object reads its contents (an array's items) and may
      // run its own toString: a residual call with effects, never the pure op.
      const call = this.callDescr("to_str", { kind: "template", template: '("" + $1)' }, false);
      return this.residual(f, call, [Const.of(undefined), boxes[0]!], [undefined, args[0]], ins.d, false);
    }
    if (this.vable && this.virtualizableOp(f, ins, descr, boxes, args, v)) return;
    const info = opInfo(ins.n);
    const allConst = boxes.every((b) => b instanceof Const);
    if (ins.n === "getfield" && allConst && descr instanceof FieldDescr && descr.quasiImmutable && typeof args[0] === "object" && args[0] !== null) {
      // A quasi-immutable field of a constant: a constant, as long as the field is not written.
      if (!this.invalidationChecked) {
        this.validity ??= new Validity(`${this.token.name}.validity`);
        this.guard("guard_not_invalidated", [], this.validity);
        this.invalidationChecked = true;
      }
      watchField(args[0], descr.field, this.validity!);
      this.set(f, ins.d, v, Const.of(v));
      f.pc++;
      return;
    }
    const immutable = descr !== null && (descr as { immutable?: boolean }).immutable === true;
    if ((info.pure || (immutable && (ins.n === "getfield" || ins.n === "getarrayitem" || ins.n === "arraylen"))) && allConst) {
      this.set(f, ins.d, v, Const.of(v));
    } else {
      const op = this.record(ins.n, boxes, descr);
      this.set(f, ins.d, v, op);
    }
    f.pc++;
  }

  // ---- the virtualizable frame ----

  /**
   * Reads and writes of the virtualizable's fields and items on the frame red: they go
   * to trace values and record nothing (`v` is the op's concrete result, already
   * computed). Returns false for every other op, after checking that it does not reach
   * the frame's fields another way.
   */
  private virtualizableOp(f: TraceFrame, ins: Extract<Insn, { o: "op" }>, descr: Descr | null, boxes: Value[], args: unknown[], v: unknown): boolean {
    const vinfo = this.vinfo!;
    const vable = this.vable!;
    const stored = ins.n === "setfield" ? 1 : ins.n === "setarrayitem" ? 2 : -1;
    if (stored >= 0 && vable.arrays.some((a) => a.obj === args[stored])) throw new Abort("a virtualizable array escapes (stored into the heap)");
    switch (ins.n) {
      case "getfield":
      case "setfield": {
        const k = vinfo.fieldIndex(descr);
        const a = vinfo.arrayIndex(descr);
        if (k < 0 && a < 0) return false;
        if (boxes[0] !== vable.frame) {
          this.checkNotVable(boxes[0]!, args[0]);
          return false;
        }
        if (ins.n === "getfield") this.set(f, ins.d, v, k >= 0 ? vable.fields[k]! : this.arrayBox(a));
        else if (k >= 0) vable.fields[k] = boxes[1]!;
        else throw new Abort("a virtualizable array field is assigned");
        f.pc++;
        return true;
      }
      case "getarrayitem":
      case "setarrayitem":
      case "arraylen": {
        const a = vable.arrays.findIndex((x) => x.box !== null && x.box === boxes[0]);
        if (a < 0) {
          if (vable.arrays.some((x) => x.obj === args[0])) throw new Abort("a virtualizable array is reached through another reference");
          return false;
        }
        const items = vable.arrays[a]!.items;
        if (ins.n === "arraylen") {
          this.set(f, ins.d, v, Const.of(items.length));
          f.pc++;
          return true;
        }
        const index = args[1];
        if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= items.length) {
          throw new Abort("a virtualizable array is indexed outside its length");
        }
        const c = this.promote(boxes[1]!, index);
        if (c !== boxes[1]) this.replaceBox(boxes[1]!, c);
        if (ins.n === "getarrayitem") this.set(f, ins.d, v, items[index]!);
        else items[index] = boxes[2]!;
        f.pc++;
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * After a guard made `old` a constant: every register and virtualizable value holding
   * it holds the constant from now on, so what is computed from it folds (a stack
   * pointer promoted once makes every later push and pop constant).
   */
  private replaceBox(old: Value, c: Const): void {
    for (const f of this.frames) for (let r = 0; r < f.boxes.length; r++) if (f.boxes[r] === old) f.boxes[r] = c;
    const vable = this.vable!;
    for (let k = 0; k < vable.fields.length; k++) if (vable.fields[k] === old) vable.fields[k] = c;
    for (const a of vable.arrays) for (let i = 0; i < a.items.length; i++) if (a.items[i] === old) a.items[i] = c;
  }

  /** The trace value of the virtualizable's array field `k` (read once, it is readonly). */
  private arrayBox(k: number): Value {
    const arr = this.vable!.arrays[k]!;
    if (arr.box === null) arr.box = this.record("getfield", [this.vable!.frame], this.vinfo!.arrays[k]!.field);
    return arr.box;
  }

  /**
   * `box` is used to access a field the virtualizable keeps in trace values, and it is
   * not the frame red: it must not be the frame when compiled code runs either (the
   * frame's own fields are stale then). A fresh allocation cannot be.
   */
  private checkNotVable(box: Value, value: unknown): void {
    if (value === this.vable!.obj) throw new Abort("the virtualizable frame is reached through another reference");
    if (this.notVable.has(box) || (box instanceof Op && box.name === "new")) return;
    this.guard("guard_false", [this.record("eq", [box, this.vable!.frame])]);
    this.notVable.add(box);
  }

  /** True when a call with these arguments gets the virtualizable frame or one of its arrays. */
  private reachesVable(boxes: readonly Value[], values: readonly unknown[]): boolean {
    const vable = this.vable;
    if (!vable) return false;
    const isVable = (x: unknown): boolean => x === vable.obj || vable.arrays.some((a) => a.obj === x);
    return boxes.some((b) => b === vable.frame) || values.some(isVable);
  }

  /** Writes every virtualizable value back into the frame (before a call that gets it). */
  private storeVable(): void {
    for (const w of vableWrites(this.vinfo!, this.vable!)) {
      const { name, args } = pendingWriteOp(w, (v) => v);
      this.record(name, args, w.descr);
    }
  }

  /** Reads every virtualizable value from the frame again (after a call that got it). */
  private loadVable(): void {
    const vinfo = this.vinfo!;
    const vable = this.vable!;
    if (!sameLayout(vinfo.layoutOf(vable.obj), vable.layout)) throw new Abort("a call changed the length of a virtualizable array");
    vinfo.fields.forEach((d, k) => (vable.fields[k] = this.record("getfield", [vable.frame], d)));
    vable.arrays.forEach((a, k) => {
      for (let i = 0; i < a.items.length; i++) a.items[i] = this.record("getarrayitem", [this.arrayBox(k), Const.of(i)], vinfo.arrays[k]!.items);
    });
  }

  private mergePoint(f: TraceFrame, ins: Extract<Insn, { o: "merge" }>): void {
    if (f.portalCall) return this.guestCall(f, ins);
    if (this.frames.length > 1) {
      f.pc++;
      return;
    }
    const greens = ins.g.map((r) => this.value(f, r));
    if (this.started) {
      ins.g.forEach((r, i) => (f.boxes[r] = this.promote(this.box(f, r), greens[i])));
      const reds = ins.r.map((r) => this.box(f, r));
      const values = [...greens, ...ins.r.map((r) => this.value(f, r))];
      if (this.vable && reds[this.vinfo!.red] !== this.vable.frame) throw new Abort("the virtualizable red was assigned another frame");
      const args = this.vable ? [...reds, ...vableValues(this.vable)] : reds;
      if (!this.bridge && sameGreens(greens, this.startGreens)) {
        this.record("jump", args, this.token);
        this.result = { kind: "loop", trace: new Trace(this.inputs, this.ops, "loop"), exit: { done: false, values } };
        return;
      }
      const target = this.host.loopTokenFor(greens);
      if (target) {
        if (this.vable) this.checkLayout(target, this.vable.layout);
        this.record("jump", args, target);
        if (!this.bridge) this.ops.shift(); // an entry trace has no label of its own
        this.result = { kind: "entry", trace: new Trace(this.inputs, this.ops, "entry"), exit: { done: false, values } };
        return;
      }
    }
    this.started = true;
    this.record("debug_merge_point", [], new LocationDescr(this.host.location(greens), greens));
    f.pc++;
  }

  private shouldInline(code: JitCode): boolean {
    if (code.dontLookInside || code.elidable || code.insns.length === 0) return false;
    if (code.hasLoop && !code.unrollSafe) return false;
    return this.frames.length < this.host.inlineDepthLimit;
  }

  private callCode(f: TraceFrame, code: JitCode, operands: readonly number[], d: number, methodName: string | null): void {
    const portal = this.unit.portal!;
    // A guest call: trace the callee's prologue, up to its merge point (see callAssembler).
    const portalCall = methodName === null && code === this.unit.codes[portal.code] && portal.entries && this.frames.length < this.host.inlineDepthLimit;
    if (portalCall || this.shouldInline(code)) {
      const nf: TraceFrame = { code, pc: 0, regs: new Array(code.nregs), boxes: new Array(code.nregs), retDst: d, ...(portalCall ? { portalCall: true } : {}) };
      operands.forEach((a, i) => {
        nf.regs[i] = this.value(f, a);
        nf.boxes[i] = this.box(f, a);
      });
      this.frames.push(nf);
      return;
    }
    const boxes = operands.map((a) => this.box(f, a));
    const values = operands.map((a) => this.value(f, a));
    const pure = code.elidable;
    if (methodName === null && code.fnConst >= 0) throw new Abort(`cannot call ${code.name} (reached by super, as a static method or as a parent's init code) residually`);
    if (methodName !== null) {
      // A method: spelled recv.m(args), arg 0 unused.
      const m = methodName;
      const descr = this.callDescr(`${code.name}`, { kind: "method", method: m }, pure);
      this.residual(f, descr, [Const.of(undefined), ...boxes], [undefined, ...values], d, pure);
    } else {
      const fn = this.unit.consts[-code.fnConst - 1];
      const descr = this.callDescr(code.name, { kind: "function" }, pure);
      this.residual(f, descr, [Const.of(fn), ...boxes], [fn, ...values], d, pure);
    }
  }

  /**
   * A call of the portal has reached the callee's merge point (`f`, on top of the
   * caller). As in RPython, the call is inlined — the tracer goes on into the callee,
   * whose frame, value stack and boxes are then allocations of this trace, which the
   * optimizer can remove — unless it is recursive past `max_unroll_recursion` levels
   * (portal frames on the stack entered at the same greens: the trace's start, calls
   * inlined further out, or, in a bridge, those of the trace it leaves), inlining
   * it made a trace fail before (`mayInline`), or the trace is as deep as it may get.
   * Otherwise it becomes a call_assembler. The greens are promoted either way: the
   * code traced (or called) is only right for them.
   */
  private guestCall(f: TraceFrame, ins: Extract<Insn, { o: "merge" }>): void {
    const greens = ins.g.map((r) => this.value(f, r));
    ins.g.forEach((r, i) => (f.boxes[r] = this.promote(this.box(f, r), greens[i])));
    const depth = this.frames.filter((fr) => fr.entry !== undefined && sameGreens(fr.entry, greens)).length;
    if (depth > this.host.maxUnrollRecursion || !this.host.mayInline(greens) || this.frames.length >= this.host.inlineDepthLimit) return this.callAssembler(f, ins, greens);
    delete f.portalCall;
    f.entry = greens;
    this.inlined.began(f, greens, this.ops.length);
    this.record("debug_merge_point", [], new LocationDescr(this.host.location(greens), greens));
    f.pc++;
  }

  /**
   * A guest loop's back edge inside an inlined guest call: tracing on would unroll the
   * callee's loop into this trace. The innermost inlined call is called with
   * call_assembler from now on (where it gets a loop of its own), and this attempt
   * ends. (A bridge that starts inside a call inlined by its loop has no such call to
   * blame: it just ends.)
   */
  private loopInCall(): never {
    const inner = this.inlined.innermost();
    if (!inner) throw new Abort("a guest loop inside a guest call (in a bridge that starts inside the call)");
    this.host.forbidInline(inner);
    throw new Abort(`the guest call at ${this.host.location(inner)} runs a loop (it is not inlined from now on)`, null, null, true);
  }

  /**
   * A call of the portal that is not inlined (see guestCall): record `call_assembler`
   * of the red values, to the code entered at the callee's greens (promoted: the call
   * is only right for these greens). The callee runs for real in the plain
   * interpreter, as the tracer runs every residual call.
   * The callee's frame holds nothing else live at its merge point, so it is dropped.
   */
  private callAssembler(f: TraceFrame, ins: Extract<Insn, { o: "merge" }>, greens: readonly unknown[]): void {
    const token = this.host.entryTokenFor(greens);
    if (token === null) throw new Abort("a guest call to a portal invocation without an entry");
    const reds = ins.r.map((r) => this.box(f, r));
    const redValues = ins.r.map((r) => this.value(f, r));
    const args = this.vinfo ? [...reds, ...this.calleeVableValues(token, reds, redValues)] : reds;
    this.frames.pop();
    const caller = this.frames[this.frames.length - 1]!;
    let v: unknown;
    try {
      v = this.host.runPortal(greens, redValues);
    } catch (e) {
      // The blackhole throws it at the caller's call instruction.
      throw new Abort("a guest call raised an exception", { error: e });
    }
    const op = this.record("call_assembler", args, token);
    this.guard("guard_no_exception", [], null, true);
    this.set(caller, f.retDst, v, op);
    caller.pc++;
  }

  /**
   * What a call_assembler passes after the reds: the callee tree's inputs are the reds
   * followed by the values of the callee's virtualizable frame (see virtualizable.ts),
   * read from that frame here (when the caller allocated it, the reads fold to the
   * values it was built with), in the layout the callee's token expects: the arrays'
   * lengths are checked, and a guard keeps them (it folds for an array the trace made).
   * A guest call that gets the caller's own frame or one of its arrays aborts: the two
   * invocations would share the values the caller keeps in trace values.
   */
  private calleeVableValues(token: TargetToken, reds: readonly Value[], redValues: readonly unknown[]): Value[] {
    const vinfo = this.vinfo!;
    if (this.reachesVable(reds, redValues)) throw new Abort("a guest call gets the caller's virtualizable frame");
    const frame = redValues[vinfo.red];
    const layout = this.frameLayout(frame, token);
    const frameBox = reds[vinfo.red]!;
    if (this.vable) this.checkNotVable(frameBox, frame);
    const out: Value[] = vinfo.fields.map((d) => this.record("getfield", [frameBox], d));
    vinfo.arrays.forEach((a, k) => {
      const arr = this.record("getfield", [frameBox], a.field);
      this.promote(this.record("arraylen", [arr], a.items), layout[k]!);
      for (let i = 0; i < layout[k]!; i++) out.push(this.record("getarrayitem", [arr, Const.of(i)], a.items));
    });
    return out;
  }

  /**
   * `new C(args)`: a blank instance (the `new` op, whose class is then known) and a
   * frame running C's init code on it, which returns it into `ins.d`. A residual `new`
   * when C has no init code or its init codes would nest past the inline depth limit.
   */
  private newObject(f: TraceFrame, ins: Extract<Insn, { o: "new" }>): void {
    const cls = this.unit.classes[ins.c]!;
    const boxes = ins.a.map((a) => this.box(f, a));
    const values = ins.a.map((a) => this.value(f, a));
    if (cls.init === null || this.frames.length + cls.initDepth > this.host.inlineDepthLimit) {
      const template = `new $0(${ins.a.map((_, i) => `$${i + 1}`).join(", ")})`;
      const descr = this.callDescr(`new ${cls.raw.name}`, { kind: "template", template }, false);
      return this.residual(f, descr, [Const.of(cls.descr.ctor), ...boxes], [cls.descr.ctor, ...values], ins.d, false);
    }
    const obj = executeOp("new", [], cls.descr);
    const op = this.record("new", [], cls.descr);
    this.knownClass.set(op, cls.descr);
    const code = cls.init;
    const nf: TraceFrame = { code, pc: 0, regs: new Array(code.nregs), boxes: new Array(code.nregs), retDst: ins.d };
    nf.regs[0] = obj;
    nf.boxes[0] = op;
    for (let i = 1; i < code.nparams; i++) {
      nf.regs[i] = values[i - 1];
      nf.boxes[i] = boxes[i - 1] ?? Const.of(undefined);
    }
    this.frames.push(nf);
  }

  private callDescr(name: string, spelling: CallDescr["spelling"], pure: boolean): CallDescr {
    const key = `${name}/${JSON.stringify(spelling)}/${pure}`;
    let d = this.callDescrs.get(key);
    if (!d) {
      d = new CallDescr(name, "v", pure ? EFFECTS_NONE : EFFECTS_ALL, true, spelling);
      this.callDescrs.set(key, d);
    }
    return d;
  }

  private callMethod(f: TraceFrame, ins: Extract<Insn, { o: "callm" }>): void {
    const recv = this.value(f, ins.a[0]!);
    const recvBox = this.box(f, ins.a[0]!);
    const info = recv != null ? this.unit.classByCtor.get((recv as object).constructor) : undefined;
    const code = info?.methods.get(ins.m);
    if (!info || !code) {
      const descr = this.callDescr(`.${ins.m}`, { kind: "method", method: ins.m }, false);
      const boxes = ins.a.map((a) => this.box(f, a));
      const values = ins.a.map((a) => this.value(f, a));
      return this.residual(f, descr, [Const.of(undefined), ...boxes], [undefined, ...values], ins.d, false);
    }
    if (!(recvBox instanceof Const) && this.knownClass.get(recvBox) !== info.descr) {
      this.guard("guard_class", [recvBox], info.descr);
      this.knownClass.set(recvBox, info.descr);
    }
    this.callCode(f, code, ins.a, ins.d, ins.m);
  }

  private residual(f: TraceFrame, descr: CallDescr, boxes: Value[], values: unknown[], d: number, pure: boolean): void {
    let v: unknown;
    try {
      v = executeOp("call", values, descr);
    } catch (e) {
      throw new Abort(`${descr.name} raised an exception`, { error: e });
    }
    if (pure && boxes.every((b) => b instanceof Const)) {
      this.set(f, d, v, Const.of(v));
      f.pc++;
      return;
    }
    // A call that gets the virtualizable frame (or one of its arrays) finds it up to date
    // and may change it: write it back before, read it again after.
    const sync = this.reachesVable(boxes, values);
    if (sync) this.storeVable();
    const op = this.record(pure ? "call_pure" : "call", boxes, descr);
    this.vableInFrame = sync;
    if (descr.canRaise && !pure) this.guard("guard_no_exception", [], null, true);
    this.vableInFrame = false;
    if (sync) this.loadVable();
    this.set(f, d, v, op.kind === "-" ? Const.of(v) : op);
    f.pc++;
  }
}

/** The registers live where an exception raised at `pc` of `code` is caught (none when it is not). */
function liveAtHandler(code: JitCode, pc: number): Int32Array {
  const h = code.handlers.find((x) => pc >= x.start && pc < x.end);
  return h ? code.liveIn![h.handler]! : new Int32Array(0);
}
