/**
 * @fileoverview The JIT engine behind a driver: warm-up counters per tuple of green
 * values, tracing when a loop gets hot, optimizing and compiling the trace, running
 * compiled code, and resuming through the blackhole interpreter when a guard fails.
 *
 * The plain interpreter calls `canEnterJit` at every guest backward jump. A compiled
 * loop is entered from there; when it exits (a failed guard), the blackhole runs the
 * interpreter's frames to the next merge point, and if a loop is compiled for the green
 * values found there the engine enters it directly, else it hands the green and red
 * values back to the plain interpreter, which continues at its merge point.
 */

import { performance } from "node:perf_hooks";
import { TargetToken } from "../ir/descr.js";
import { printTrace } from "../ir/printer.js";
import { InputArg, type Trace, type Value } from "../ir/trace.js";
import type { DriverEngine, EngineExit, JitDriver } from "../interp-dsl/hints.js";
import type { Unit } from "../interp-dsl/jitcode.js";
import { compileTrace, type CompiledTrace, type GuardExit } from "../backend/compile.js";
import { optimize, ALL_PASSES } from "../optimizer/pipeline.js";
import { runBlackhole, type BlackholeExit, type Frame } from "./blackhole.js";
import { MetaInterp, type DelegateCode } from "./meta-interp.js";
import { boxesFromSnapshot, framesFromSnapshot } from "./resume.js";
import { JitStats } from "./stats.js";

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
  /**
   * Let loop traces run inner compiled loops with `call_loop`. Off by default: with it
   * on, Mandelbrot.b prints wrong output at thresholds 3 and 50 (a known bug, under
   * investigation), and it did not make BF faster yet.
   */
  callLoops: boolean;
  /** Failures of a guard before a bridge is traced from it. */
  bridgeThreshold: number;
  /** Optimization passes to run, in pipeline order. */
  enableOpts: readonly string[];
}

export const DEFAULT_PARAMS: JitParams = {
  threshold: 200,
  traceLimit: 6000,
  inlineDepthLimit: 30,
  maxAborts: 3,
  bridgeThreshold: 20,
  callLoops: false,
  enableOpts: ALL_PASSES,
};

/** The inner loop whose exit a guard stands for (see MetaInterp.callLoop), or null. */
function delegateOf(exit: GuardExit): TargetToken | null {
  const code = exit.snapshot.frames[0]?.code as Partial<DelegateCode> | null | undefined;
  return code?.delegate ?? null;
}

/** Compilation state of one tuple of green values. */
interface JitCell {
  readonly greens: unknown[];
  counter: number;
  aborts: number;
  blacklisted: boolean;
  code: CompiledTrace | null;
  token: TargetToken | null;
}

/** The engine of one JitDriver. */
export class Engine implements DriverEngine {
  private readonly cells = new Map<unknown, unknown>();
  private readonly byToken = new Map<TargetToken, JitCell>();
  private tracing = false;
  private loopCount = 0;
  readonly stats = new JitStats();

  constructor(
    private readonly unit: Unit,
    private readonly driver: JitDriver<string, string>,
    readonly params: JitParams,
    /** Receives every trace as text (unoptimized and optimized), or null. */
    private readonly log: ((text: string) => void) | null = null,
  ) {}

  canEnterJit(_site: number, greens: unknown[], reds: unknown[]): EngineExit | null {
    if (this.tracing) return null;
    const cell = this.cell(greens);
    if (cell.code) return this.run(cell, reds);
    if (cell.blacklisted || ++cell.counter < this.params.threshold) return null;
    cell.counter = 0;
    return this.traceFrom(cell, greens, reds);
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
      c = { greens: [...greens], counter: 0, aborts: 0, blacklisted: false, code: null, token: null };
      m.set(greens[n - 1], c);
    }
    return c;
  }

  private traceFrom(cell: JitCell, greens: unknown[], reds: unknown[]): EngineExit | null {
    const where = this.location(greens);
    const token = new TargetToken(`Loop${this.loopCount}`);
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
      this.stats.abort(where, outcome.reason);
      if (++cell.aborts >= this.params.maxAborts) {
        cell.blacklisted = true;
        this.stats.blacklist(where, outcome.reason);
      }
      this.log?.(`# aborted (${outcome.reason}) after ${outcome.partial.ops.length} ops: ${where}\n`);
      return this.continueAt(this.blackhole(() => runBlackhole(this.unit, outcome.frames, outcome.pending)));
    }
    this.loopCount++;
    this.install(cell, outcome.trace, token, where);
    const exit: BlackholeExit = { done: false, values: outcome.values };
    return this.continueAt(exit);
  }

  /** Optimizes and compiles `trace` and attaches it to `cell`. */
  private install(cell: JitCell, trace: Trace, token: TargetToken, where: string): void {
    const compiled = this.optimizeAndCompile(trace, token, where);
    cell.code = compiled;
    cell.token = token;
    if (trace.kind === "loop") token.compiled = compiled;
    this.byToken.set(token, cell);
  }

  /** Logs, optimizes, compiles and counts one trace. */
  private optimizeAndCompile(trace: Trace, token: TargetToken, where: string): CompiledTrace {
    this.log?.(printTrace(trace));
    const t1 = performance.now();
    const optimized = optimize(trace, { enable: this.params.enableOpts, stats: this.stats.opt });
    const t2 = performance.now();
    optimized.title = `${trace.title} (optimized)`;
    const compiled = compileTrace(optimized, token.name);
    this.stats.optimizingMs += t2 - t1;
    this.stats.compilingMs += performance.now() - t2;
    this.log?.(printTrace(optimized, { guardIndices: true }));
    this.stats.compiled(where, trace.kind, trace.ops.length, optimized.ops.length);
    return compiled;
  }

  compiledLoopFor(greens: readonly unknown[]): TargetToken | null {
    if (!this.params.callLoops) return null;
    const c = this.cell(greens);
    return c.token && c.token.compiled ? c.token : null;
  }

  exitOf(token: TargetToken, r: number) {
    const code = this.byToken.get(token)!.code!;
    const exit = code.exits[r]!;
    if (exit.snapshot.afterCallRaising || delegateOf(exit) !== null) return null;
    return { snapshot: exit.snapshot, slots: exit.slots, buffer: code.buffer };
  }

  resumeFrames(token: TargetToken, r: number): { frames: Frame[]; pending: { error: unknown } | null } {
    let code = this.byToken.get(token)!.code!;
    let exit = code.exits[r]!;
    for (let d = delegateOf(exit); d !== null; d = delegateOf(exit)) {
      const inner = this.byToken.get(d)!.code!;
      exit = inner.exits[code.buffer[0] as number]!;
      code = inner;
    }
    const buf = code.buffer;
    const pending = exit.snapshot.afterCallRaising ? { error: buf.exc } : null;
    return { frames: framesFromSnapshot(exit.snapshot, (v) => buf[exit.slots.get(v)!]), pending };
  }

  /** The compiled loop at these greens, for the tracer to jump to. */
  loopTokenFor(greens: readonly unknown[]): TargetToken | null {
    const c = this.cell(greens);
    return c.code && c.token ? c.token : null;
  }

  get traceLimit(): number {
    return this.params.traceLimit;
  }
  get inlineDepthLimit(): number {
    return this.params.inlineDepthLimit;
  }

  /** Runs compiled code from `cell` until control must return to the interpreter. */
  private run(cell: JitCell, reds: unknown[]): EngineExit | null {
    let code = cell.code!;
    let args = reds;
    for (;;) {
      let r = code.fn(...args);
      // A guard that checked which exit an inner loop took: take that exit instead.
      for (let d = r >= 0 ? delegateOf(code.exits[r]!) : null; d !== null; d = r >= 0 ? delegateOf(code.exits[r]!) : null) {
        const inner = this.byToken.get(d)!.code!;
        r = code.buffer[0] as number;
        code = inner;
      }
      if (r < 0) {
        const target = this.byToken.get(code.jumpTargets[-1 - r]!)!;
        args = code.buffer.slice(0, this.unit.portal!.reds.length);
        code = target.code!;
        continue;
      }
      const exit = code.exits[r]!;
      const buf = code.buffer;
      if (exit.bridge) {
        args = buf.slice(0, exit.slots.size);
        code = exit.bridge;
        continue;
      }
      exit.failures++;
      this.stats.guardFailures++;
      const pending = exit.snapshot.afterCallRaising ? { error: buf.exc } : null;
      buf.exc = undefined;
      const frames = framesFromSnapshot(exit.snapshot, (v) => buf[exit.slots.get(v)!]);
      let bh: BlackholeExit;
      if (pending === null && exit.failures >= this.params.bridgeThreshold && exit.bridgeAborts < this.params.maxAborts) {
        bh = this.traceBridge(exit, frames);
      } else {
        bh = this.blackhole(() => runBlackhole(this.unit, frames, pending));
      }
      if (bh.done) return bh;
      const next = this.cell(bh.values.slice(0, this.unit.portal!.greens.length));
      if (!next.code) return bh;
      code = next.code;
      args = bh.values.slice(this.unit.portal!.greens.length);
    }
  }

  /** Traces and compiles a bridge from a guard that keeps failing; returns where it ended. */
  private traceBridge(exit: GuardExit, frames: Frame[]): BlackholeExit {
    const inputs: InputArg[] = [];
    const inputOf = new Map<Value, InputArg>();
    for (const [v] of exit.slots) {
      const arg = new InputArg(v.kind === "-" ? "v" : v.kind);
      inputs.push(arg);
      inputOf.set(v, arg);
    }
    const boxes = boxesFromSnapshot(exit.snapshot, (v) => inputOf.get(v)!);
    const where = `${this.location(this.greensOf(frames[0]!))}`;
    const token = new TargetToken(`Bridge${this.loopCount}`);
    const t0 = performance.now();
    this.tracing = true;
    let outcome;
    try {
      outcome = new MetaInterp(this.unit, this, token).traceBridge(frames, boxes, inputs, `bridge from guard ${exit.guard.guardIndex} at ${where}`);
    } finally {
      this.tracing = false;
    }
    this.stats.tracingMs += performance.now() - t0;
    if (outcome.kind === "abort") {
      exit.bridgeAborts++;
      this.stats.abort(`bridge at ${where}`, outcome.reason);
      return this.blackhole(() => runBlackhole(this.unit, outcome.frames, outcome.pending));
    }
    this.loopCount++;
    exit.bridge = this.optimizeAndCompile(outcome.trace, token, where);
    return { done: false, values: outcome.values };
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
