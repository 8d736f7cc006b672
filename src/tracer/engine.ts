/**
 * @fileoverview The JIT engine behind a driver: warm-up counters per tuple of green
 * values, tracing when a loop gets hot, optimizing and compiling the trace, running
 * compiled code, and resuming through the blackhole interpreter when a guard fails.
 *
 * The plain interpreter calls `canEnterJit` at every guest backward jump, and
 * `enterPortal` when an invocation of the portal starts (a function entry: guest calls
 * get compiled code of their own, which ends in `finish`). A compiled tree (a loop or
 * entry with its bridges, see `backend/compile.ts`) is entered from there. Compiled
 * code calls the compiled code of a guest call's callee directly (`call_assembler`);
 * the engine finishes such a call when the callee leaves its compiled code
 * (`finishCall`), resuming the interpreter at a merge point if need be. When
 * a guard fails, the blackhole runs the interpreter's frames to the next merge point,
 * and if a tree is compiled for the green values found there the engine enters it
 * directly, else it hands the green and red values back to the plain interpreter, which
 * continues at its merge point. A guard that keeps failing gets a bridge, traced from
 * its resume data and compiled on its own; the guard calls it from then on (see
 * `backend/compile.ts`: compiled traces call each other, and return here only to leave
 * compiled code).
 */

import { performance } from "node:perf_hooks";
import { TargetToken, frameShapeKey, type ClassDescr, type FrameShape } from "../ir/descr.js";
import { printTrace } from "../ir/printer.js";
import { Const, InputArg, type Trace, type Value } from "../ir/trace.js";
import type { Validity } from "../ir/quasi-immutable.js";
import type { DriverEngine, EngineExit, JitDriver } from "../interp-dsl/hints.js";
import type { Unit } from "../interp-dsl/jitcode.js";
import { CALL_BUDGET, CodeSpace, FINISH, MAX_TREES, OVER_BUDGET, TraceTree, type GuardExit } from "../backend/compile.js";
import { optimize, ALL_PASSES } from "../optimizer/pipeline.js";
import { ValueKeys } from "../optimizer/rewriter.js";
import { runBlackhole, type BlackholeExit, type Frame } from "./blackhole.js";
import { frameEntryTrace, materializeFrame } from "./frame-entry.js";
import { MetaInterp } from "./meta-interp.js";
import { bridgeShapeKey, portalCallsItself } from "./bridge-shape.js";
import { boxesFromSnapshot, factsAtFailure, framesFromSnapshot, resumeOps, resumeValues } from "./resume.js";
import { JitStats } from "./stats.js";
import { sameLayout, vableFromSnapshot, VirtualizableInfo, type VableBoxes, type VableLayout } from "./virtualizable.js";

/** Tunable parameters (`--threshold`, `--jit-param name=value`). */
export interface JitParams {
  /** Passes of a canEnterJit site (per green values) before tracing starts. */
  threshold: number;
  /** Ops in a trace before tracing is aborted. */
  traceLimit: number;
  /** Meta-level frames deep the tracer inlines before calling instead. */
  inlineDepthLimit: number;
  /** Aborted traces of one loop before it is left to the interpreter for good. */
  maxAborts: number;
  /** Failures of a guard before a bridge is traced from it. */
  bridgeThreshold: number;
  /**
   * Ops in a tree (a loop with the bridges inlined into its function) past which its
   * new bridges are compiled as functions of their own instead: inlining recompiles the
   * tree, and V8 stops optimizing very large functions.
   */
  treeLimit: number;
  /** Calls of a bridge (compiled on its own at first) after which it is inlined into its tree. */
  inlineAfter: number;
  /** Optimization passes to run, in pipeline order. */
  enableOpts: readonly string[];
  /** Trees (loops, entries, stubs, out-of-line bridges) an engine may hold; then it stops tracing. */
  maxTrees: number;
  /** Guest calls are inlined into traces (RPython's `inlining`); off, every one is a call_assembler. */
  inlining: boolean;
  /** Levels of a recursive guest call inlined into a trace (RPython's `max_unroll_recursion`). */
  maxUnrollRecursion: number;
  /** A guard of the same shape as one with a bridge gets that bridge (see bridge-shape.ts). */
  shareBridges: boolean;
  /** Trees whose functions have the same source share V8's code (see CodeSpace.factories). */
  shareCode: boolean;
}

export const DEFAULT_PARAMS: JitParams = {
  threshold: 200,
  traceLimit: 6000,
  inlineDepthLimit: 30,
  maxAborts: 3,
  bridgeThreshold: 10,
  treeLimit: 3000,
  inlineAfter: 50,
  enableOpts: ALL_PASSES,
  maxTrees: MAX_TREES,
  inlining: true,
  maxUnrollRecursion: 1,
  shareBridges: true,
  shareCode: true,
};

/**
 * Stack weight (the backend's STACK_BUDGET units) of the engine's frames between the
 * interpreter or a guest call and the compiled code the engine runs for it.
 */
const ENGINE_WEIGHT = 4;

/** Compilation state of one tuple of green values. */
interface JitCell {
  readonly greens: unknown[];
  counter: number;
  aborts: number;
  blacklisted: boolean;
  /** A guest loop starts here: canEnterJit was called, or a trace passed a back edge, to it. */
  header: boolean;
  /** The token of the tree entered at these greens (made when first needed). */
  token: TargetToken | null;
  /** The compiled loop or entry tree entered at these greens. */
  code: TraceTree | null;
  /** The validity of that tree's trace, when it folded quasi-immutable fields. */
  validity: Validity | null;
  /** Inlining a guest call entered here made a trace fail: such calls are call_assemblers. */
  dontInline: boolean;
  /** The function trace of `code` as recorded (not optimized), from which frame entries are made. */
  recorded: Trace | null;
  /** The frame entries of this function, by the key of their frame shape (see frame-entry.ts). */
  frameEntries: Map<string, TargetToken> | null;
}

/** A frame entry: the function's cell and the shape of the frame its callers pass. */
interface FrameEntryInfo {
  readonly cell: JitCell;
  readonly shape: FrameShape;
}

/** The engine of one JitDriver. */
export class Engine implements DriverEngine {
  private readonly cells = new Map<unknown, unknown>();
  /** Every compiled trace of this engine, with their exit buffer and exit table. */
  private readonly space: CodeSpace;
  private tracing = false;
  private loopCount = 0;
  private bridgeCount = 0;
  readonly stats = new JitStats();
  /** The driver's virtualizable frame, if any; its values follow the reds in every tree's inputs. */
  private readonly vinfo: VirtualizableInfo | null;
  /** The virtualizable layout of each token's inputs (see virtualizable.ts). */
  private readonly layouts = new Map<TargetToken, VableLayout>();
  /** Every frame entry's token, with what it enters. */
  private readonly frameEntries = new Map<TargetToken, FrameEntryInfo>();
  /** Frame entries made while a trace was optimized, compiled after it (see compileFrameEntries). */
  private readonly pendingFrameEntries: [TargetToken, Trace][] = [];
  /** The optimized bridge traced from a guard of each shape (see bridge-shape.ts). */
  private readonly bridgesByShape = new Map<string, Trace>();
  /** The classes a bridge's inputs were known to have when it was traced (see factsAtFailure). */
  private readonly inputClasses = new WeakMap<Trace, ReadonlyMap<Value, ClassDescr>>();
  /** Spells the constants of those shapes. */
  private readonly shapeKeys = new ValueKeys();
  /** Whether the portal can be called from traced code (a guest call the tracer may inline). */
  private readonly guestCalls: boolean;

  /** The portal function (its plain-interpreter variant), called to resume an invocation at its merge point. */
  private readonly portalFn: (...args: unknown[]) => unknown;
  /** Its parameters (unused when resuming: the values at the merge point are passed last). */
  private readonly portalParams: undefined[];

  constructor(
    private readonly unit: Unit,
    private readonly driver: JitDriver<string, string>,
    readonly params: JitParams,
    /** Receives every trace as text (unoptimized and optimized), or null. */
    private readonly log: ((text: string) => void) | null = null,
    /** Receives the JavaScript of every compiled function, each time it is compiled, or null. */
    logJs: ((text: string) => void) | null = null,
  ) {
    this.space = new CodeSpace(params.treeLimit, params.inlineAfter, params.maxTrees, params.shareCode);
    if (logJs) {
      this.space.onCompiled = (tree) => {
        const shared = tree.codeOf === tree.name ? "" : `, the code of ${tree.codeOf}`;
        logJs(`// ${tree.name} (tree ${tree.id}${shared})\n${tree.source}\n`);
      };
    }
    const portal = unit.codes[unit.portal!.code]!;
    this.portalFn = unit.consts[-portal.fnConst - 1] as (...args: unknown[]) => unknown;
    this.portalParams = new Array<undefined>(portal.nparams).fill(undefined);
    this.space.onCallExit = (callee, r) => this.finishCall(callee, r);
    this.stats.assemblerCalls = () => this.space.trees.reduce((n, t) => n + t.calls, 0);
    this.stats.functions = () => this.space.functions;
    this.vinfo = VirtualizableInfo.of(unit);
    this.guestCalls = portalCallsItself(unit);
  }

  canEnterJit(_site: number, greens: unknown[], reds: unknown[]): EngineExit | null {
    if (this.tracing) return null;
    const cell = this.cell(greens);
    cell.header = true;
    return this.enterCell(cell, reds, false);
  }

  enterPortal(greens: unknown[], reds: unknown[]): EngineExit | null {
    if (this.tracing) return null;
    return this.enterCell(this.cell(greens), reds, true);
  }

  /**
   * The interpreter is at the merge point of `cell` (at a guest loop's back edge, or
   * when a portal invocation starts, `entry`): run its compiled code, or count the
   * pass and trace from here once it is hot. Null: interpret. Compiled code is not
   * entered past the stack budget (CALL_BUDGET; see finishCall).
   */
  private enterCell(cell: JitCell, reds: unknown[], entry: boolean): EngineExit | null {
    this.forgetIfInvalidated(cell);
    if (cell.code) return this.space.depth[0]! >= CALL_BUDGET ? null : this.run(cell, reds);
    return this.countPass(cell, reds, entry);
  }

  /** Counts a pass through the merge point of `cell`, which has no code; traces from it once hot. */
  private countPass(cell: JitCell, reds: unknown[], entry: boolean): EngineExit | null {
    if (cell.blacklisted || ++cell.counter < this.params.threshold || this.space.full) return null;
    cell.counter = 0;
    return this.traceFrom(cell, cell.greens, reds, entry);
  }

  /**
   * What `call_assembler(reds, descr=token of cell)` means (the op's spelling, what the
   * executor runs): a guest call, run to the callee's return. Compiled code does the
   * same inline (see the backend): it calls the callee's tree directly and comes here,
   * to finishCall, only when the callee did not finish in compiled code.
   */
  private callAssembler(token: TargetToken, args: unknown[]): unknown {
    const buf = this.space.buffer;
    const tree = this.space.stub(token);
    for (let i = 0; i < args.length; i++) buf[i] = args[i];
    return this.inEngineFrame((d) => {
      const r = d < CALL_BUDGET ? tree.fn() : OVER_BUDGET;
      return r === FINISH ? buf[0] : this.finishCall(tree, r);
    });
  }

  /**
   * Runs `body` with the engine's frames counted in the stack depth (ENGINE_WEIGHT), as
   * compiled frames are: compiled code it enters is below them on the stack, and a guest
   * recursion may pass through the engine at every level. `body` gets the depth counted.
   */
  private inEngineFrame<T>(body: (depth: number) => T): T {
    const depth = this.space.depth;
    const d = depth[0]!;
    depth[0] = d + ENGINE_WEIGHT;
    try {
      return body(d + ENGINE_WEIGHT);
    } finally {
      depth[0] = d;
    }
  }

  /**
   * Finishes a guest call whose callee (the portal invocation entered at `callee`'s
   * token, its reds in the exit buffer) did not finish in compiled code: it returned
   * exit code `r` (a guard failed: the blackhole runs to the next merge point, and
   * compiled code or the interpreter goes on from there), or it is a stub (the entry
   * is counted, as at a function entry, and traced once hot), or it was not called
   * (OVER_BUDGET: the interpreter runs it). Returns the callee's result; never a jump
   * code or a merge point, since each guest call is a whole invocation.
   */
  private finishCall(callee: TraceTree, r: number): unknown {
    const cell = callee.token.owner as JitCell;
    // The engine's frames, and the interpreter's if it resumes the callee, count in the
    // stack depth: compiled code they enter is below them on the stack.
    return this.inEngineFrame(() => {
      // Compiled code never runs while a trace is recorded: the tracer runs guest calls
      // in the interpreter (runPortal), and canEnterJit and enterPortal refuse then. An
      // exit code here could not be resumed: tracing a bridge from it would nest traces.
      if (this.tracing) throw new Error("engine: compiled code ran while a trace was recorded");
      // The call's arguments (the reds, then the callee frame's virtualizable values)
      // are in the buffer; the frame is brought up to date before the interpreter runs.
      if (r === OVER_BUDGET) return this.resumePortal([...cell.greens, ...this.storeInputs(callee.token)]);
      this.stats.assemblerExits++;
      let exit: EngineExit;
      if (!callee.compiled && r === -1 - callee.id) {
        const reds = this.storeInputs(callee.token);
        exit = this.enterCell(cell, reds, true) ?? { done: false, values: [...cell.greens, ...reds] };
      } else {
        const next = this.afterExit(r);
        exit = next instanceof TraceTree ? this.runFrom(next) : next;
      }
      return exit.done ? exit.value : this.resumePortal(exit.values);
    });
  }

  /** Runs a portal invocation from its merge point (greens then reds) in the plain interpreter, to its return. */
  private resumePortal(values: unknown[]): unknown {
    this.stats.assemblerInterpreted++;
    return this.portalFn(...this.portalParams, values);
  }

  runPortal(greens: readonly unknown[], reds: readonly unknown[]): unknown {
    return this.portalFn(...this.portalParams, [...greens, ...reds]);
  }

  mayInline(greens: readonly unknown[]): boolean {
    return this.params.inlining && !this.cell(greens).dontInline;
  }
  forbidInline(greens: readonly unknown[]): void {
    this.cell(greens).dontInline = true;
  }

  entryTokenFor(greens: readonly unknown[]): TargetToken | null {
    if (!this.unit.portal!.entries) return null;
    return this.tokenOf(this.cell(greens));
  }

  /** The printable location of a merge point with these greens. */
  location(greens: readonly unknown[]): string {
    const fn = this.driver.spec.getPrintableLocation as ((...g: unknown[]) => string) | undefined;
    if (!fn) return greens.map((g) => (typeof g === "object" ? "<obj>" : String(g))).join(", ");
    try {
      return fn(...greens);
    } catch {
      return "?";
    }
  }

  private cell(greens: readonly unknown[]): JitCell {
    let m: Map<unknown, unknown> = this.cells;
    const n = greens.length;
    for (let i = 0; i < n - 1; i++) {
      let next = m.get(greens[i]) as Map<unknown, unknown> | undefined;
      if (!next) m.set(greens[i], (next = new Map()));
      m = next;
    }
    let c = m.get(greens[n - 1]) as JitCell | undefined;
    if (!c) {
      c = { greens: [...greens], counter: 0, aborts: 0, blacklisted: false, header: false, token: null, code: null, validity: null, dontInline: false, recorded: null, frameEntries: null };
      m.set(greens[n - 1], c);
    }
    return c;
  }

  /** Traces from the merge point of `cell`; `entry`: at the start of a portal invocation. */
  private traceFrom(cell: JitCell, greens: unknown[], reds: unknown[], entry: boolean): EngineExit {
    const where = this.location(greens);
    const token = this.tokenOf(cell);
    const t0 = performance.now();
    this.tracing = true;
    let outcome;
    try {
      outcome = new MetaInterp(this.unit, this, token).trace(greens, reds, `${this.driver.spec.name ?? "loop"}: ${where}`);
    } finally {
      this.tracing = false;
    }
    this.stats.tracingMs += performance.now() - t0;
    if (outcome.kind === "abort") {
      this.aborted(cell, where, outcome.reason, !outcome.learned, outcome.partial);
      return this.continueAt(this.blackhole(() => runBlackhole(this.unit, outcome.frames, outcome.pending)));
    }
    if (!entry && outcome.exit.done) {
      // A trace from a loop header that left the loop (the invocation returned) before
      // the loop closed recorded the loop's exit, not the loop. Compiled, the loop's
      // iterations would all run through a bridge that restarts this code with the
      // loop's state in boxes. It is dropped (the run already went on, concretely) and
      // counts as an abort; the loop is traced again when hot.
      this.aborted(cell, where, "the loop was left before it closed (its invocation returned)", true, outcome.trace);
      return this.continueAt(outcome.exit);
    }
    const kind = entry && outcome.kind === "entry" ? "function" : outcome.trace.kind;
    const optimized = this.optimizeTrace(outcome.trace, where, kind);
    cell.code = this.compile(optimized, () => this.space.addTree(optimized, token, token.name));
    cell.validity = validityOf(optimized);
    cell.recorded = kind === "function" ? outcome.trace : null;
    // A function retraced (a quasi-immutable field changed): its frame entries follow.
    for (const fe of cell.frameEntries?.values() ?? []) this.remakeFrameEntry(fe);
    this.compileFrameEntries();
    return this.continueAt(outcome.exit);
  }

  /**
   * Counts and logs a trace from `cell` that is given up; one that `counts` brings the
   * loop nearer to being blacklisted (max_aborts).
   */
  private aborted(cell: JitCell, where: string, reason: string, counts: boolean, partial: Trace): void {
    this.stats.abort(where, reason);
    if (counts && ++cell.aborts >= this.params.maxAborts) {
      cell.blacklisted = true;
      this.stats.blacklist(where, reason);
    }
    this.log?.(`# aborted (${reason}) after ${partial.ops.length} ops: ${where}\n`);
  }

  /**
   * A tree whose trace folded a quasi-immutable field written since is not entered any
   * more: the cell counts again and retraces once hot, recompiling the tree of the same
   * token (code that still jumps to the old one fails its guard_not_invalidated first).
   */
  private forgetIfInvalidated(cell: JitCell): void {
    if (cell.code === null || cell.validity === null || cell.validity.valid) return;
    cell.code = null;
    cell.validity = null;
    cell.counter = 0;
    this.stats.invalidated++;
  }

  /** Logs the trace, optimizes it and counts it (as a trace of `kind` in the stats). */
  private optimizeTrace(trace: Trace, where: string, kind: string = trace.kind): Trace {
    this.log?.(printTrace(trace));
    const t0 = performance.now();
    const optimized = optimize(trace, { enable: this.params.enableOpts, stats: this.stats.opt });
    this.stats.optimizingMs += performance.now() - t0;
    optimized.title = `${trace.title} (optimized)`;
    this.stats.compiled(where, kind, trace.ops.length, optimized.ops.length);
    this.stats.assemblerOps += optimized.ops.filter((op) => op.name === "call_assembler").length;
    return optimized;
  }

  /**
   * Compiles the optimized `trace` with `add` (the code space's addTree or addBridge),
   * counting the time as compiling, and logs it with its guards' exit indices (which
   * compiling assigns).
   */
  private compile<T>(trace: Trace, add: () => T): T {
    const t0 = performance.now();
    const result = add();
    this.stats.compilingMs += performance.now() - t0;
    this.log?.(printTrace(trace, { guardIndices: true }));
    return result;
  }

  /**
   * The token of the frame entry of the function compiled at `cell` for frames of
   * `shape` (see frame-entry.ts), made on first request and compiled right after the
   * trace being optimized; null when the function has no function trace to derive it
   * from, or the frame does not fit it, or the code space is full.
   */
  private frameEntryToken(cell: JitCell, shape: FrameShape): TargetToken | null {
    if (cell.recorded === null || cell.token === null) return null;
    const key = frameShapeKey(shape);
    const known = cell.frameEntries?.get(key);
    if (known) return known;
    const trace = this.deriveFrameEntry(cell, shape);
    if (trace === null || this.space.full) return null;
    const token = new TargetToken(`${cell.token.name}f${this.frameEntries.size}`);
    token.owner = cell;
    token.assembler = (...args: unknown[]) => this.callAssembler(token, args);
    this.space.stub(token);
    this.frameEntries.set(token, { cell, shape });
    (cell.frameEntries ??= new Map()).set(key, token);
    this.pendingFrameEntries.push([token, trace]);
    return token;
  }

  /** Derives a frame entry again from its function's trace as now recorded. */
  private remakeFrameEntry(token: TargetToken): void {
    const fe = this.frameEntries.get(token)!;
    const trace = this.deriveFrameEntry(fe.cell, fe.shape);
    if (trace) this.pendingFrameEntries.push([token, trace]);
  }

  /** The frame entry trace of the function compiled at `cell` for frames of `shape`, or null (see frame-entry.ts). */
  private deriveFrameEntry(cell: JitCell, shape: FrameShape): Trace | null {
    const layout = cell.token ? this.layouts.get(cell.token) : undefined;
    if (cell.recorded === null || layout === undefined) return null;
    return frameEntryTrace(cell.recorded, shape, this.vinfo!, layout, this.unit.portal!.reds.length);
  }

  /** Optimizes and compiles the frame entries made meanwhile (theirs too). */
  private compileFrameEntries(): void {
    for (let next = this.pendingFrameEntries.shift(); next; next = this.pendingFrameEntries.shift()) {
      const [token, trace] = next;
      const where = this.location(this.frameEntries.get(token)!.cell.greens);
      const optimized = this.optimizeTrace(trace, where, "frame entry");
      this.compile(optimized, () => this.space.addTree(optimized, token, token.name));
    }
  }

  /**
   * Where a trace that reaches the merge point with these greens jumps: the tree
   * compiled there, or a stub for a guest loop that is not compiled yet (compiled code
   * goes back to the interpreter there until it is). Null for any other merge point:
   * the trace goes on through it.
   */
  loopTokenFor(greens: readonly unknown[]): TargetToken | null {
    const c = this.cell(greens);
    return c.code || c.header ? this.tokenOf(c) : null;
  }

  markLoopHeader(greens: readonly unknown[]): void {
    this.cell(greens).header = true;
  }

  vableLayout(token: TargetToken): VableLayout | null {
    return this.layouts.get(token) ?? null;
  }
  setVableLayout(token: TargetToken, layout: VableLayout): void {
    this.layouts.set(token, layout);
  }

  /**
   * Puts the inputs of the tree entered at `token` into the exit buffer: the reds, then
   * the virtualizable's values read from the frame. False (nothing to run) when the
   * frame's arrays do not have the lengths the tree was compiled for.
   */
  private loadInputs(token: TargetToken, reds: readonly unknown[]): boolean {
    const buf = this.space.buffer;
    if (this.vinfo) {
      const frame = reds[this.vinfo.red];
      const layout = this.layouts.get(token);
      if (!layout || frame === null || typeof frame !== "object" || !sameLayout(layout, this.vinfo.layoutOf(frame))) return false;
      const values = this.vinfo.read(frame, layout);
      for (let i = 0; i < values.length; i++) buf[reds.length + i] = values[i];
    }
    for (let i = 0; i < reds.length; i++) buf[i] = reds[i];
    return true;
  }

  /**
   * Compiled code jumped or made a guest call to `token` and the interpreter goes on
   * there instead (no code, or a call to be run by the interpreter): the inputs in the
   * buffer, the reds then the virtualizable's values, go back to the frame. Returns the reds.
   */
  private storeInputs(token: TargetToken): unknown[] {
    const buf = this.space.buffer;
    const fe = this.frameEntries.get(token);
    if (fe) {
      // A frame entry's inputs: the other reds, then the frame's contents.
      const others = buf.slice(0, this.unit.portal!.reds.length - 1);
      others.splice(this.vinfo!.red, 0, materializeFrame(fe.shape, buf, others.length));
      return others;
    }
    const reds = buf.slice(0, this.unit.portal!.reds.length);
    const layout = this.layouts.get(token);
    if (this.vinfo && layout) this.vinfo.write(reds[this.vinfo.red], buf, reds.length, layout);
    return reds;
  }

  private tokenOf(cell: JitCell): TargetToken {
    if (!cell.token) {
      const token = new TargetToken(`Loop${this.loopCount++}`);
      token.owner = cell;
      token.assembler = (...args: unknown[]) => this.callAssembler(token, args);
      if (this.vinfo) {
        const red = this.vinfo.red;
        token.frameEntry = { red, reds: this.unit.portal!.reds.length, entry: (shape) => this.frameEntryToken(cell, shape) };
      }
      cell.token = token;
    }
    return cell.token;
  }

  get traceLimit(): number {
    return this.params.traceLimit;
  }
  get maxUnrollRecursion(): number {
    return this.params.maxUnrollRecursion;
  }
  get inlinedTraceLimit(): number {
    return this.params.treeLimit;
  }
  get inlineDepthLimit(): number {
    return this.params.inlineDepthLimit;
  }

  /**
   * Runs compiled code from `cell` until control must return to the interpreter: at a
   * merge point without compiled code, or when the portal returns (a `finish`).
   */
  private run(cell: JitCell, reds: unknown[]): EngineExit | null {
    if (!this.loadInputs(cell.code!.token, reds)) return null;
    // Counted in the stack depth: a guest recursion may pass through here at every level
    // (a guest call from a compiled loop, the callee's loop compiled too), and past the
    // budget it must go on in the interpreter alone.
    return this.inEngineFrame(() => this.runFrom(cell.code!));
  }

  /** Runs compiled code from `code` (its inputs in the exit buffer); see run. */
  private runFrom(code: TraceTree): EngineExit {
    for (;;) {
      const r = this.runTree(code);
      if (r === FINISH) return { done: true, value: this.space.buffer[0] };
      const next = this.afterExit(r);
      if (!(next instanceof TraceTree)) return next;
      code = next;
    }
  }

  /** Calls the function of `code` once (its inputs in the exit buffer); returns its exit code. */
  private runTree(code: TraceTree): number {
    const { depth } = this.space;
    // A tree may already be running further down the stack (a guest call of a guest
    // call): its flag is restored, not cleared, when this run of it ends.
    const wasActive = code.active;
    code.active = 1;
    const d = depth[0]!;
    try {
      return code.fn();
    } finally {
      // Also when an exception escapes compiled code: the depth count stays right.
      code.active = wasActive;
      depth[0] = d;
    }
  }

  /**
   * Where to go after compiled code returned `r` (not FINISH): the tree to run next
   * (its inputs in the exit buffer), or where to leave to the interpreter.
   */
  private afterExit(r: number): TraceTree | EngineExit {
    const buf = this.space.buffer;
    if (r < 0) {
      // A jump to a tree that was active, or to a stub: its inputs are in `buf`.
      const code = this.space.trees[-1 - r]!;
      if (code.compiled) return code;
      // A stub: the loop there is not compiled. Count the entry, as canEnterJit does (a
      // loop entered only from compiled code, that never iterates twice, would never
      // get hot otherwise), and trace from there once it is hot.
      const target = code.token.owner as JitCell;
      const redValues = this.storeInputs(code.token);
      return this.countPass(target, redValues, false) ?? { done: false, values: [...target.greens, ...redValues] };
    }
    const exit = this.space.exits[r]!;
    exit.failures++;
    this.stats.guardFailures++;
    const pending = exit.snapshot.afterCallRaising ? { error: buf.exc } : null;
    buf.exc = undefined;
    // The virtuals of the resume data are materialized once: the frames and a bridge's
    // virtualizable (a frame the trace never allocated) must be the same objects.
    const valueOf = resumeValues(exit.snapshot, (v: Value): unknown => buf[exit.slots.get(v)!]);
    const frames = framesFromSnapshot(exit.snapshot, valueOf);
    let bh: BlackholeExit;
    // No bridge from guard_not_invalidated: once it fails it always does; the loop is retraced instead.
    const bridgeable = exit.guard.name !== "guard_not_invalidated";
    if (bridgeable && pending === null && exit.failures >= this.params.bridgeThreshold && exit.bridgeAborts < this.params.maxAborts && !this.space.full) {
      bh = this.traceBridge(exit, frames, valueOf);
    } else {
      bh = this.blackhole(() => runBlackhole(this.unit, frames, pending));
    }
    if (bh.done) return bh;
    const ng = this.unit.portal!.greens.length;
    const next = this.cell(bh.values.slice(0, ng));
    this.forgetIfInvalidated(next);
    if (!next.code || !this.loadInputs(next.code.token, bh.values.slice(ng))) return bh;
    return next.code;
  }

  /**
   * Traces a bridge from a guard that keeps failing, compiles it and attaches it to the
   * guard.
   * Returns the merge point where the bridge's tracing ended.
   */
  private traceBridge(exit: GuardExit, frames: Frame[], valueOf: (v: Value) => unknown): BlackholeExit {
    const root = exit.tree.family ?? exit.tree;
    const holder = exit.tree.traceOf(exit.guard);
    const facts = factsAtFailure(exit.guard, holder, this.inputClasses.get(holder));
    // A guard of the same shape as one that has a bridge gets that bridge (see
    // bridge-shape.ts); the interpreter takes this failure, the bridge the next ones.
    // Not with a virtualizable, whose values a bridge keeps in trace values.
    const shape = this.vinfo || !this.params.shareBridges ? null : bridgeShapeKey(exit.snapshot, exit.slots, facts, this.guestCalls, this.shapeKeys);
    const twin = shape === null ? undefined : this.bridgesByShape.get(shape);
    if (twin && validityOf(twin)?.valid !== false) {
      this.space.addBridge(exit, twin, root.token.name);
      this.stats.sharedBridges++;
      return this.blackhole(() => runBlackhole(this.unit, frames, null));
    }
    const inputs: InputArg[] = [];
    const inputOf = new Map<Value, InputArg>();
    for (const [v] of exit.slots) {
      const arg = new InputArg(v.kind === "-" ? "v" : v.kind);
      inputs.push(arg);
      inputOf.set(v, arg);
    }
    const boxOf = (v: Value): Value => facts.consts.get(v) ?? inputOf.get(v)!;
    const prologue = resumeOps(exit.snapshot, boxOf);
    const boxes = boxesFromSnapshot(exit.snapshot, prologue.boxOf);
    const classes = new Map<Value, ClassDescr>();
    for (const [v, cls] of facts.classes) if (inputOf.has(v)) classes.set(inputOf.get(v)!, cls);
    const where = this.location(this.greensOf(frames[0]!));
    const vable = this.vinfo ? this.bridgeVable(exit, prologue.boxOf, valueOf) : null;
    if (this.vinfo && !vable) {
      exit.bridgeAborts = this.params.maxAborts;
      this.stats.abort(`bridge at ${where}`, "the guard's resume data does not describe the virtualizable");
      return this.blackhole(() => runBlackhole(this.unit, frames, null));
    }
    const token = new TargetToken(`Bridge${this.bridgeCount++}`);
    const t0 = performance.now();
    this.tracing = true;
    let outcome;
    try {
      outcome = new MetaInterp(this.unit, this, token).traceBridge(frames, boxes, inputs, prologue.ops, classes, vable, `bridge from guard g${exit.index} of ${root.token.name} at ${where}`);
    } finally {
      this.tracing = false;
    }
    this.stats.tracingMs += performance.now() - t0;
    if (outcome.kind === "abort") {
      exit.bridgeAborts++;
      this.stats.abort(`bridge at ${where}`, outcome.reason);
      return this.blackhole(() => runBlackhole(this.unit, outcome.frames, outcome.pending));
    }
    const bridge = this.optimizeTrace(outcome.trace, where);
    if (classes.size > 0) this.inputClasses.set(bridge, classes);
    if (shape !== null) this.bridgesByShape.set(shape, bridge);
    this.compile(bridge, () => this.space.addBridge(exit, bridge, root.token.name));
    this.compileFrameEntries();
    return outcome.exit;
  }

  /**
   * The virtualizable a bridge from `exit` starts with: the values its guard's resume
   * data would write back, which the bridge keeps in trace values instead.
   */
  private bridgeVable(exit: GuardExit, boxOf: (v: Value) => Value, valueOf: (v: Value) => unknown): VableBoxes | null {
    const portal = exit.snapshot.frames[0]!;
    const code = portal.code as Frame["code"];
    const merge = code.insns.find((i) => i.o === "merge");
    let frame: Value | null = null;
    if (merge && merge.o === "merge") {
      const at = Array.from(code.liveIn![portal.pc]!).indexOf(merge.r[this.vinfo!.red]!);
      if (at >= 0) frame = portal.values[at]!;
    }
    return vableFromSnapshot(this.vinfo!, exit.snapshot, frame, boxOf, (v) => (v instanceof Const ? v.value : valueOf(v)));
  }

  /** The green values of a portal frame (at any pc: greens are registers of the portal). */
  private greensOf(frame: Frame): unknown[] {
    const merge = frame.code.insns.find((i) => i.o === "merge");
    return merge && merge.o === "merge" ? merge.g.map((r) => frame.regs[r]) : [];
  }

  private blackhole(fn: () => BlackholeExit): BlackholeExit {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.stats.blackholeMs += performance.now() - t0;
    }
  }

  /** Goes on from a merge point: into compiled code if there is some, else back to the interpreter. */
  private continueAt(exit: BlackholeExit): EngineExit {
    if (exit.done) return exit;
    const ng = this.unit.portal!.greens.length;
    const cell = this.cell(exit.values.slice(0, ng));
    if (cell.code) return this.run(cell, exit.values.slice(ng)) ?? exit;
    return exit;
  }
}

/**
 * The Validity of `trace` (one per trace, cleared when a quasi-immutable field it folded
 * is written), or null when it folded none.
 */
function validityOf(trace: Trace): Validity | null {
  return (trace.ops.find((op) => op.name === "guard_not_invalidated")?.descr as Validity | undefined) ?? null;
}
