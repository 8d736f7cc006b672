/**
 * @fileoverview A Brainfuck interpreter written for tsjit: a small compile step (runs
 * of `+-<>` folded into one instruction, bracket targets precomputed), then a dispatch
 * loop marked with a JitDriver. Cells are 8-bit and wrap; `,` at end of input leaves
 * the cell unchanged; the tape grows to the right on demand.
 *
 * This is the example the tutorial (docs/writing-an-interpreter.md) walks through: the
 * interpreter is plain TypeScript, and the hints are the only JIT-specific lines.
 */

import { JitDriver } from "tsjit/hints";
import { GuestError, readByte, writeByte } from "tsjit/io";

const ADD = 0;
const MOVE = 1;
const OUTPUT = 2;
const INPUT = 3;
/** `[`: jump past the matching `]` when the cell is zero. */
const JUMP_IF_ZERO = 4;
/** `]`: jump back to just after the matching `[` when the cell is not zero. */
const JUMP_IF_NONZERO = 5;
const NAMES = ["+", ">", ".", ",", "[", "]"];

/** A compiled program. Readonly: the JIT treats it as constant data. */
class Program {
  constructor(
    readonly ops: readonly number[],
    /** The operand of each instruction: an amount or a jump target. */
    readonly args: readonly number[],
    /** Where each instruction came from in the source, for trace logs. */
    readonly offsets: readonly number[],
  ) {}
}

/** The machine state: cells and the head position. */
class Tape {
  cells: Uint8Array = new Uint8Array(30000);
  pos = 0;

  get(): number {
    return this.cells[this.pos]!;
  }
  set(value: number): void {
    this.cells[this.pos] = value;
  }
  add(amount: number): void {
    this.cells[this.pos] = this.cells[this.pos]! + amount;
  }
  move(amount: number): void {
    const pos = this.pos + amount;
    if (pos < 0) throw new GuestError("tape head moved left of the first cell");
    if (pos >= this.cells.length) growTape(this, pos);
    this.pos = pos;
  }
}

/** Makes the tape long enough for `pos` (a loop, so the JIT calls it rather than tracing it). */
function growTape(tape: Tape, pos: number): void {
  let size = tape.cells.length;
  while (size <= pos) size *= 2;
  const cells = new Uint8Array(size);
  cells.set(tape.cells);
  tape.cells = cells;
}

/** Compiles Brainfuck source; unmatched brackets are guest errors with line and column. */
export function compile(source: string): Program {
  const ops: number[] = [];
  const args: number[] = [];
  const offsets: number[] = [];
  const open: number[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "+" || c === "-" || c === ">" || c === "<") {
      const isMove = c === ">" || c === "<";
      const start = i;
      let amount = 0;
      while (i < source.length) {
        const d = source[i];
        if (d === "+" && !isMove) amount++;
        else if (d === "-" && !isMove) amount--;
        else if (d === ">" && isMove) amount++;
        else if (d === "<" && isMove) amount--;
        else if (d === "+" || d === "-" || d === ">" || d === "<" || d === "[" || d === "]" || d === "." || d === ",") break;
        i++;
      }
      if (isMove ? amount !== 0 : (amount & 255) !== 0) {
        ops.push(isMove ? MOVE : ADD);
        args.push(isMove ? amount : amount & 255);
        offsets.push(start);
      }
      continue;
    }
    if (c === "." || c === ",") {
      ops.push(c === "." ? OUTPUT : INPUT);
      args.push(0);
      offsets.push(i);
    } else if (c === "[") {
      open.push(ops.length);
      ops.push(JUMP_IF_ZERO);
      args.push(-1);
      offsets.push(i);
    } else if (c === "]") {
      const start = open.pop();
      if (start === undefined) throw new GuestError(`unmatched ']' at ${lineCol(source, i)}`);
      ops.push(JUMP_IF_NONZERO);
      args.push(start + 1);
      offsets.push(i);
      args[start] = ops.length;
    }
    i++;
  }
  if (open.length > 0) throw new GuestError(`unmatched '[' at ${lineCol(source, offsets[open[open.length - 1]!]!)}`);
  return new Program(ops, args, offsets);
}

function lineCol(source: string, offset: number): string {
  const before = source.slice(0, offset).split("\n");
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/** How a merge point prints in trace logs: `pc=12 '['`. */
function printableLocation(pc: number, program: Program): string {
  return pc < program.ops.length ? `pc=${pc} '${NAMES[program.ops[pc]!]}'` : `pc=${pc} end`;
}

const driver = new JitDriver({ name: "bf", greens: ["pc", "program"], reds: ["tape"], getPrintableLocation: printableLocation });

/** The dispatch loop: the portal the JIT traces. */
function run(program: Program, tape: Tape): void {
  let pc = 0;
  while (pc < program.ops.length) {
    driver.jitMergePoint({ pc, program, tape });
    const arg = program.args[pc]!;
    switch (program.ops[pc]) {
      case ADD:
        tape.add(arg);
        break;
      case MOVE:
        tape.move(arg);
        break;
      case OUTPUT:
        writeByte(tape.get());
        break;
      case INPUT: {
        const c = readByte();
        if (c >= 0) tape.set(c);
        break;
      }
      case JUMP_IF_ZERO:
        if (tape.get() === 0) {
          pc = arg;
          continue;
        }
        break;
      case JUMP_IF_NONZERO:
        if (tape.get() !== 0) {
          pc = arg;
          driver.canEnterJit({ pc, program, tape });
          continue;
        }
        break;
    }
    pc++;
  }
}

/** Entry point used by `tsjit run bf <file>`: runs the program's source text. */
export function main(source: string): number {
  run(compile(source), new Tape());
  return 0;
}
