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
import { Const, InputArg, kindOfJsValue, Op, Snapshot, Trace, type FrameSnapshot, type Value } from "../ir/trace.js";
import type { Insn, JitCode, Unit } from "../interp-dsl/jitcode.js";
import type { BlackholeExit, Frame, PendingException } from "./blackhole.js";

/** A tracer frame: concrete registers plus their trace values. */
export interface TraceFrame extends Frame {
  readonly boxes: Value[];
  /** A call of the portal, traced up to its first merge point (where it becomes a call_assembler). */
  readonly portalCall?: true;
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
  readonly traceLimit: number;
  readonly inlineDepthLimit: number;
}

/** How tracing ended. */
export type TraceOutcome =
  /**
   * Closed a loop, or reached another loop, or the portal returned (the trace ends in
   * `finish`); `exit` is where the run goes on: the merge point where tracing ended
   * (greens then reds), or the portal's result.
   */
  | { readonly kind: "loop" | "entry"; readonly trace: Trace; readonly exit: BlackholeExit }
  /** Gave up; the blackhole continues from `frames`. */
  | { readonly kind: "abort"; readonly reason: string; readonly frames: Frame[]; readonly pending: PendingException | null; readonly partial: Trace };

class Abort {
  constructor(
    readonly reason: string,
    readonly pending: PendingException | null = null,
    /** The frames to resume from, when they are not the tracer's own. */
    readonly frames: Frame[] | null = null,
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

  constructor(
    private readonly unit: Unit,
    private readonly host: TracerHost,
    private readonly token: TargetToken,
  ) {}

  /** Traces from the merge point with the given green and red values. */
  trace(greens: readonly unknown[], reds: readonly unknown[], title: string): TraceOutcome {
    const portal = this.unit.portal!;
    const code = this.unit.codes[portal.code]!;
    const mergePc = code.insns.findIndex((i) => i.o === "merge");
    const merge = code.insns[mergePc] as Extract<Insn, { o: "merge" }>;
    const frame: TraceFrame = { code, pc: mergePc, regs: new Array(code.nregs), boxes: new Array(code.nregs), retDst: -1 };
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
    this.record("label", [...this.inputs], this.token);
    return this.runToEnd("loop", title);
  }

  /**
   * Traces a bridge: from the state a failed guard describes (`frames`, concrete, with
   * `boxes` giving each live register's trace value) to the next compiled loop. The
   * trace starts with `prologue`: what resuming at that guard does before the frames
   * run (its delayed writes), already done concretely; `classes` are the inputs whose
   * class the trace the guard belongs to had checked.
   */
  traceBridge(frames: Frame[], boxes: Value[][], inputs: InputArg[], prologue: readonly Op[], classes: ReadonlyMap<Value, ClassDescr>, title: string): TraceOutcome {
    frames.forEach((f, i) => this.frames.push({ ...f, boxes: boxes[i]! }));
    for (const [v, cls] of classes) this.knownClass.set(v, cls);
    this.inputs.push(...inputs);
    this.ops.push(...prologue);
    this.started = true;
    this.bridge = true;
    return this.runToEnd("bridge", title);
  }

  /** Steps until the trace closes, ends or aborts. */
  private runToEnd(kind: "loop" | "bridge", title: string): TraceOutcome {
    try {
      while (this.result === null) this.step();
      this.result.trace.title = title;
      if (kind === "bridge") this.result.trace.kind = "bridge";
      return this.result;
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
      return { kind: "abort", reason: e.reason, frames: e.frames ?? this.frames, pending: e.pending, partial: new Trace(this.inputs, this.ops, kind, title) };
    }
  }
  private bridge = false;

  // ---- recording ----

  private record(name: OpName, args: Value[], descr: Descr | null = null): Op {
    const op = new Op(name, args, descr);
    this.ops.push(op);
    if (name === "call" || name === "call_assembler" || (name === "setfield" && (descr as FieldDescr).quasiImmutable)) this.invalidationChecked = false;
    if (this.ops.length > this.host.traceLimit) throw new Abort("trace too long");
    return op;
  }

  /** Resume data: every frame with the trace values of its live registers. */
  private snapshot(afterCallRaising = false): Snapshot {
    const frames: FrameSnapshot[] = this.frames.map((f) => ({
      code: f.code,
      pc: f.pc,
      values: Array.from(f.code.liveIn![f.pc]!, (r) => f.boxes[r] ?? Const.of(undefined)),
    }));
    return new Snapshot(frames, new Map(), [], afterCallRaising);
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
        const caller = this.frames[this.frames.length - 1];
        if (!caller) {
          // The portal returns: the trace ends with the portal's result.
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

  private mergePoint(f: TraceFrame, ins: Extract<Insn, { o: "merge" }>): void {
    if (f.portalCall) return this.callAssembler(f, ins);
    if (this.frames.length > 1) {
      f.pc++;
      return;
    }
    const greens = ins.g.map((r) => this.value(f, r));
    if (this.started) {
      ins.g.forEach((r, i) => (f.boxes[r] = this.promote(this.box(f, r), greens[i])));
      const reds = ins.r.map((r) => this.box(f, r));
      const values = [...greens, ...ins.r.map((r) => this.value(f, r))];
      if (!this.bridge && greens.every((g, i) => g === this.startGreens[i])) {
        this.record("jump", reds, this.token);
        this.result = { kind: "loop", trace: new Trace(this.inputs, this.ops, "loop"), exit: { done: false, values } };
        return;
      }
      const target = this.host.loopTokenFor(greens);
      if (target) {
        this.record("jump", reds, target);
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
    if (methodName === null && code === this.unit.codes[portal.code] && portal.entries && this.frames.length < this.host.inlineDepthLimit) {
      // A guest call: trace the callee's prologue, up to its merge point (see callAssembler).
      const nf: TraceFrame = { code, pc: 0, regs: new Array(code.nregs), boxes: new Array(code.nregs), retDst: d, portalCall: true };
      operands.forEach((a, i) => {
        nf.regs[i] = this.value(f, a);
        nf.boxes[i] = this.box(f, a);
      });
      this.frames.push(nf);
      return;
    }
    if (this.shouldInline(code)) {
      const nf: TraceFrame = { code, pc: 0, regs: new Array(code.nregs), boxes: new Array(code.nregs), retDst: d };
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
   * caller): record `call_assembler` of the red values, to the code entered at the
   * callee's greens (promoted: the call is only right for these greens). The callee
   * runs for real in the plain interpreter, as the tracer runs every residual call.
   * The callee's frame holds nothing else live at its merge point, so it is dropped.
   */
  private callAssembler(f: TraceFrame, ins: Extract<Insn, { o: "merge" }>): void {
    const greens = ins.g.map((r) => this.value(f, r));
    const token = this.host.entryTokenFor(greens);
    if (token === null) throw new Abort("a guest call to a portal invocation without an entry");
    ins.g.forEach((r, i) => (f.boxes[r] = this.promote(this.box(f, r), greens[i])));
    const reds = ins.r.map((r) => this.box(f, r));
    const redValues = ins.r.map((r) => this.value(f, r));
    this.frames.pop();
    const caller = this.frames[this.frames.length - 1]!;
    let v: unknown;
    try {
      v = this.host.runPortal(greens, redValues);
    } catch (e) {
      // The blackhole throws it at the caller's call instruction.
      throw new Abort("a guest call raised an exception", { error: e });
    }
    const op = this.record("call_assembler", reds, token);
    this.guard("guard_no_exception", [], null, true);
    this.set(caller, f.retDst, v, op);
    caller.pc++;
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
    const op = this.record(pure ? "call_pure" : "call", boxes, descr);
    if (descr.canRaise && !pure) this.guard("guard_no_exception", [], null, true);
    this.set(f, d, v, op.kind === "-" ? Const.of(v) : op);
    f.pc++;
  }
}
