/**
 * @fileoverview Register liveness of a jitcode: which registers may still be read at
 * each instruction. Resume data stores exactly the live registers of every frame, the
 * translator checks that nothing but greens and reds is live at the merge point, and
 * the tracer clears dead registers so they never keep values alive in traces.
 */

import type { Insn, RawJitCode } from "./jitcode.js";

/** Registers read by `ins`. */
export function usesOf(ins: Insn): number[] {
  const regs = (ops: readonly number[]) => ops.filter((x) => x >= 0);
  switch (ins.o) {
    case "move":
    case "br":
    case "switch":
    case "throw":
    case "promote":
      return regs([ins.a]);
    case "op":
    case "new":
    case "call":
    case "callm":
    case "rcall":
      return regs(ins.a);
    case "ret":
      return ins.a === null ? [] : regs([ins.a]);
    case "merge":
    case "cej":
      return regs([...ins.g, ...ins.r]);
    case "goto":
      return [];
  }
}

/** The register written by `ins`, or -1. */
export function defOf(ins: Insn): number {
  return "d" in ins ? ins.d : -1;
}

/** Instructions that may run after `ins` at `pc` (exception edges not included). */
export function successorsOf(ins: Insn, pc: number): number[] {
  switch (ins.o) {
    case "goto":
      return [ins.t];
    case "br":
      return [pc + 1, ins.t];
    case "switch":
      return [...ins.cases.map((c) => c[1]), ins.t];
    case "ret":
    case "throw":
      return [];
    default:
      return [pc + 1];
  }
}

/** Live-in registers of every instruction, sorted. */
export function computeLiveness(code: RawJitCode): number[][] {
  const n = code.insns.length;
  const live: Set<number>[] = Array.from({ length: n }, () => new Set());
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      const ins = code.insns[pc]!;
      const out = new Set<number>();
      for (const s of successorsOf(ins, pc)) if (s < n) for (const r of live[s]!) out.add(r);
      for (const h of code.handlers) {
        if (pc >= h.start && pc < h.end) for (const r of live[h.handler]!) if (r !== h.reg) out.add(r);
      }
      const d = defOf(ins);
      if (d >= 0) out.delete(d);
      for (const u of usesOf(ins)) out.add(u);
      if (out.size !== live[pc]!.size) {
        live[pc] = out;
        changed = true;
      }
    }
  }
  return live.map((s) => [...s].sort((a, b) => a - b));
}
