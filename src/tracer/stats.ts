/**
 * @fileoverview What the JIT did, for `--stats`: loops compiled, traces aborted (with
 * reasons), loops blacklisted, guard failures, loops invalidated, optimizer rules applied, and the time
 * spent tracing, optimizing, compiling and in the blackhole interpreter.
 */

/** Counters of one run. */
export class JitStats {
  tracingMs = 0;
  optimizingMs = 0;
  compilingMs = 0;
  blackholeMs = 0;
  guardFailures = 0;
  /** Guards given the bridge of a guard of the same shape instead of a trace of their own. */
  sharedBridges = 0;
  /** Compiled loops left because a quasi-immutable field their trace folded was written. */
  invalidated = 0;
  /** call_assembler ops in compiled traces. */
  assemblerOps = 0;
  /** Functions the backend compiled, and how many of them run the code of an earlier one (read at report time). */
  functions: () => { compiled: number; sharingCode: number } = () => ({ compiled: 0, sharingCode: 0 });
  /** Guest calls made by compiled code (read at report time). */
  assemblerCalls: () => number = () => 0;
  /** Guest calls from compiled code whose callee left its compiled code (or had none yet). */
  assemblerExits = 0;
  /** Portal invocations the interpreter resumed at their merge point (callees of guest calls, mostly). */
  assemblerInterpreted = 0;
  readonly loops: { where: string; kind: string; ops: number; optimizedOps: number }[] = [];
  readonly aborts = new Map<string, number>();
  readonly blacklisted: { where: string; reason: string }[] = [];
  /** Filled by the optimizer: how often each named rule fired. */
  readonly opt = { rules: new Map<string, number>() };

  compiled(where: string, kind: string, ops: number, optimizedOps: number): void {
    this.loops.push({ where, kind, ops, optimizedOps });
  }
  abort(where: string, reason: string): void {
    const key = `${reason} (at ${where})`;
    this.aborts.set(key, (this.aborts.get(key) ?? 0) + 1);
  }
  blacklist(where: string, reason: string): void {
    this.blacklisted.push({ where, reason });
  }

  /** The report printed by `--stats`. */
  report(): string {
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const lines = [
      "tsjit stats",
      `  traces compiled:  ${this.loops.length} (${["loop", "entry", "function", "frame entry", "bridge"].map((k) => `${this.loops.filter((l) => l.kind === k).length} ${k}`).join(", ")})`,
    ];
    for (const l of this.loops) lines.push(`    ${l.kind} at ${l.where}: ${l.ops} ops recorded, ${l.optimizedOps} after optimization`);
    let aborts = 0;
    for (const n of this.aborts.values()) aborts += n;
    lines.push(`  traces aborted:   ${aborts}`);
    for (const [k, n] of this.aborts) lines.push(`    ${n} x ${k}`);
    lines.push(`  blacklisted:      ${this.blacklisted.length}`);
    for (const b of this.blacklisted) lines.push(`    ${b.where}: ${b.reason}`);
    lines.push(`  guard failures:   ${this.guardFailures}`);
    lines.push(`  bridges shared:   ${this.sharedBridges} (guards given the bridge of a guard of the same shape)`);
    const fns = this.functions();
    lines.push(`  functions:        ${fns.compiled} compiled, ${fns.sharingCode} of them with the code of an earlier one of the same shape`);
    lines.push(`  invalidated:      ${this.invalidated} (loops retraced after a quasi-immutable field changed)`);
    lines.push(
      `  call_assembler:   ${this.assemblerOps} in compiled traces, ${this.assemblerCalls()} calls, ${this.assemblerExits} left compiled code, ${this.assemblerInterpreted} run by the interpreter`,
    );
    lines.push(`  time tracing:     ${ms(this.tracingMs)}`);
    lines.push(`  time optimizing:  ${ms(this.optimizingMs)}`);
    lines.push(`  time compiling:   ${ms(this.compilingMs)}`);
    lines.push(`  time in blackhole: ${ms(this.blackholeMs)}`);
    if (this.opt.rules.size) {
      lines.push("  optimizer rules applied:");
      for (const [k, n] of [...this.opt.rules].sort((a, b) => b[1] - a[1])) lines.push(`    ${String(n).padStart(8)}  ${k}`);
    }
    return lines.join("\n") + "\n";
  }
}
