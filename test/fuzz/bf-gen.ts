/**
 * @fileoverview Random Brainfuck programs for the BF fuzz test, with their expected
 * output from a small reference interpreter written here (8-bit wrapping cells, the
 * head never left of the first cell, no input).
 *
 * A program is nested loops of runs of `+-<>` and `.`; each loop moves the head back to
 * where it started by the end of its body and decrements its own cell, so most
 * programs end; those that run past a step budget (or move left of the first cell)
 * are thrown away and the next candidate of the same seed is tried. Loops run many
 * times in nests and leave at different places, which is what makes bridges, and
 * guards of the same shape (see src/tracer/bridge-shape.ts), in the JIT.
 */

import { Rng } from "./prng.js";

/** Instructions the reference interpreter may run before a candidate is thrown away. */
const STEP_BUDGET = 2_000_000;

/** A generated program and what it prints. */
export interface BfProgram {
  readonly source: string;
  readonly output: Buffer;
}

/** The program of `seed`: the first candidate that ends within the budget. */
export function generateBfProgram(seed: number): BfProgram {
  const rng = new Rng(seed);
  for (;;) {
    const source = `>>>${"+".repeat(rng.range(2, 12))}${block(rng, 0, rng.range(10, 30))}\n`;
    const output = runReference(source);
    if (output !== null) return { source, output };
  }
}

/** A straight line of `length` pieces, with loops nested at most 3 deep. */
function block(rng: Rng, depth: number, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) {
    const r = rng.next();
    if (r < 0.25) s += "+".repeat(rng.range(1, 5));
    else if (r < 0.35) s += "-".repeat(rng.range(1, 3));
    else if (r < 0.5) s += ">".repeat(rng.range(1, 3));
    else if (r < 0.62) s += "<".repeat(rng.range(1, 3));
    else if (r < 0.7) s += ".";
    else if (depth < 3) s += loop(rng, depth);
  }
  return s;
}

/** `[-body]` (or the `-` last) whose body starts one cell to the right and comes back. */
function loop(rng: Rng, depth: number): string {
  const inner = block(rng, depth + 1, rng.range(2, 8));
  let net = 0;
  let nesting = 0;
  for (const c of inner) {
    if (c === "[") nesting++;
    else if (c === "]") nesting--;
    else if (nesting === 0 && c === ">") net++;
    else if (nesting === 0 && c === "<") net--;
  }
  const back = net + 1 > 0 ? "<".repeat(net + 1) : ">".repeat(-(net + 1));
  const body = `>${inner}${back}`;
  return rng.next() < 0.5 ? `[-${body}]` : `[${body}-]`;
}

/** What `source` prints, or null when it moves left of the first cell or runs too long. */
function runReference(source: string): Buffer | null {
  const match = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < source.length; i++) {
    if (source[i] === "[") open.push(i);
    else if (source[i] === "]") {
      const j = open.pop()!;
      match.set(i, j);
      match.set(j, i);
    }
  }
  const tape = new Uint8Array(1 << 16);
  const out: number[] = [];
  let pos = 0;
  let steps = 0;
  for (let pc = 0; pc < source.length; pc++) {
    if (++steps > STEP_BUDGET) return null;
    switch (source[pc]) {
      case "+":
        tape[pos]++;
        break;
      case "-":
        tape[pos]--;
        break;
      case ">":
        if (++pos >= tape.length) return null;
        break;
      case "<":
        if (--pos < 0) return null;
        break;
      case ".":
        out.push(tape[pos]!);
        break;
      case "[":
        if (tape[pos] === 0) pc = match.get(pc)!;
        break;
      case "]":
        if (tape[pos] !== 0) pc = match.get(pc)!;
        break;
    }
  }
  return Buffer.from(out);
}
