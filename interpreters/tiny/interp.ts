/**
 * @fileoverview The Tiny interpreter for tsjit: the entry module (`main`) and the
 * dispatch loop of the bytecode stack machine, which is the portal the JIT traces.
 *
 * Pipeline: lexer.ts -> parser.ts -> compiler.ts produce a Code object per function
 * (bytecode.ts); `run` executes one Code in one Frame. The language is described in
 * README.md and the grammar at the top of parser.ts.
 *
 * Written the naive way on purpose (what the JIT's optimizations must later remove):
 * every value is a boxed W_* object (objects.ts) and operations are virtual method calls
 * on them; every call makes a new Frame whose value stack and locals are arrays, pushed
 * and popped through `frame.push`/`frame.pop` with a stack pointer field.
 *
 * Guest calls re-enter the portal: CALL makes a Frame and calls `run` recursively. The
 * JIT counts and compiles each function's entry (pc 0 of its Code) like a loop, and a
 * trace that reaches CALL records `call_assembler`: compiled code calls the callee's
 * compiled code directly (docs/writing-an-interpreter.md, "Calls and recursion").
 *
 * JIT hints: greens are the pc and the Code object (readonly, so the opcode, argument
 * and constants fold in a trace), the frame is the only red. `canEnterJit` is at
 * JUMP_BACK, the only backward jump (end of a while body, `continue`).
 */

import { JitDriver, dontLookInside, promote, unrollSafe } from "tsjit/hints";
import { GuestError, writeByte } from "tsjit/io";
import {
  ADD, BUILD_RECORD, BUILTIN_FLOAT, BUILTIN_INT, BUILTIN_LEN, BUILTIN_PRINT, BUILTIN_SQRT, BUILTIN_STR, CALL,
  CALL_BUILTIN, Code, DIV, EQ, GE, GET_FIELD, GT, JUMP, JUMP_BACK, JUMP_IF_FALSE_OR_POP, JUMP_IF_TRUE_OR_POP, LE,
  LOAD_CONST, LOAD_GLOBAL, LOAD_LOCAL, LT, MOD, MUL, NE, NEG, NOT, POP, POP_JUMP_IF_FALSE, RETURN, SET_FIELD,
  STORE_GLOBAL, STORE_LOCAL, SUB, describeInstruction, type GlobalCell, MAX_QUASI_WRITES,
} from "./bytecode.js";
import { compileProgram } from "./compiler.js";
import { boolOf, RuntimeError, W_Object, W_Str, w_None, type W_Root } from "./objects.js";

/** Guest calls nested deeper than this are an error (well before the JS stack runs out). */
const MAX_DEPTH = 1000;

/** The activation of one Code: its value stack, its locals (null = unassigned) and the call depth. */
export class Frame {
  readonly stack: W_Root[];
  sp: number;
  readonly locals: (W_Root | null)[];
  readonly depth: number;
  constructor(code: Code, depth: number) {
    this.stack = new Array<W_Root>(code.stackSize).fill(w_None);
    this.sp = 0;
    this.locals = new Array<W_Root | null>(code.localNames.length).fill(null);
    this.depth = depth;
  }
  push(v: W_Root): void {
    this.stack[this.sp] = v;
    this.sp = this.sp + 1;
  }
  /**
   * Pops the top value and clears its slot, as PyPy's interpreter does: a stale slot
   * above the stack pointer would keep an old box alive, and with the frame
   * virtualizable the JIT would have to carry that box from one iteration to the next.
   */
  pop(): W_Root {
    this.sp = this.sp - 1;
    const v = this.stack[this.sp]!;
    this.stack[this.sp] = w_None;
    return v;
  }
  /** The value `n` below the top (0: the top). */
  peek(n: number): W_Root {
    return this.stack[this.sp - 1 - n]!;
  }
}

/** Assigns a global variable (see GlobalCell). */
function storeGlobal(cell: GlobalCell, v: W_Root): void {
  if (cell.varies) {
    cell.current = v;
  } else if (cell.writes < MAX_QUASI_WRITES) {
    cell.writes = cell.writes + 1;
    cell.value = v;
  } else {
    cell.current = v;
    cell.varies = true;
  }
}

/** Reading local `slot` before it was assigned (the top level's locals are its variables). */
function unassigned(code: Code, slot: number): RuntimeError {
  const name = code.localNames[slot]!;
  if (code.name === "<module>") return new RuntimeError("name '" + name + "' is not defined");
  return new RuntimeError("local variable '" + name + "' used before assignment");
}

/** How a merge point prints in trace logs: `fib:12 LOAD_LOCAL 0`. */
function printableLocation(pc: number, code: Code): string {
  return describeInstruction(code, pc);
}

const driver = new JitDriver({
  name: "tiny",
  greens: ["pc", "code"],
  reds: ["frame"],
  // The frame's stack pointer, value stack and locals live in trace values while
  // compiled code runs (written back whenever it leaves): no array traffic in loops.
  virtualizables: { frame: ["sp", "stack[*]", "locals[*]"] },
  getPrintableLocation: printableLocation,
});

/** The dispatch loop: runs `code` in `frame` until it returns; the portal the JIT traces. */
function run(code: Code, frame: Frame): W_Root {
  let pc = 0;
  while (true) {
    driver.jitMergePoint({ pc, code, frame });
    const op = code.ops[pc]!;
    const arg = code.args[pc]!;
    // Outside the try below: canEnterJit may not be inside try/catch.
    if (op === JUMP_BACK) {
      pc = arg;
      driver.canEnterJit({ pc, code, frame });
      continue;
    }
    try {
      switch (op) {
        case LOAD_CONST:
          frame.push(code.consts[arg]!);
          break;
        case LOAD_LOCAL: {
          const v = frame.locals[arg];
          if (v === null) throw unassigned(code, arg);
          frame.push(v);
          break;
        }
        case STORE_LOCAL:
          frame.locals[arg] = frame.pop();
          break;
        case LOAD_GLOBAL: {
          const cell = code.globals.cells[arg]!;
          const v = cell.varies ? cell.current : cell.value;
          if (v === null) throw new RuntimeError("name '" + code.globals.names[arg]! + "' is not defined");
          frame.push(v);
          break;
        }
        case STORE_GLOBAL:
          storeGlobal(code.globals.cells[arg]!, frame.pop());
          break;
        case POP:
          frame.pop();
          break;
        case ADD: {
          const r = frame.pop();
          frame.push(frame.pop().add(r));
          break;
        }
        case SUB: {
          const r = frame.pop();
          frame.push(frame.pop().sub(r));
          break;
        }
        case MUL: {
          const r = frame.pop();
          frame.push(frame.pop().mul(r));
          break;
        }
        case DIV: {
          const r = frame.pop();
          frame.push(frame.pop().div(r));
          break;
        }
        case MOD: {
          const r = frame.pop();
          frame.push(frame.pop().mod(r));
          break;
        }
        case LT: {
          const r = frame.pop();
          frame.push(frame.pop().lt(r));
          break;
        }
        case LE: {
          const r = frame.pop();
          frame.push(frame.pop().le(r));
          break;
        }
        case GT: {
          const r = frame.pop();
          frame.push(frame.pop().gt(r));
          break;
        }
        case GE: {
          const r = frame.pop();
          frame.push(frame.pop().ge(r));
          break;
        }
        case EQ: {
          const r = frame.pop();
          frame.push(boolOf(frame.pop().eq(r)));
          break;
        }
        case NE: {
          const r = frame.pop();
          frame.push(boolOf(!frame.pop().eq(r)));
          break;
        }
        case NEG:
          frame.push(frame.pop().neg());
          break;
        case NOT:
          frame.push(boolOf(!frame.pop().isTrue()));
          break;
        case JUMP:
          pc = arg;
          continue;
        case POP_JUMP_IF_FALSE:
          if (!frame.pop().isTrue()) {
            pc = arg;
            continue;
          }
          break;
        case JUMP_IF_FALSE_OR_POP:
          if (!frame.peek(0).isTrue()) {
            pc = arg;
            continue;
          }
          frame.pop();
          break;
        case JUMP_IF_TRUE_OR_POP:
          if (frame.peek(0).isTrue()) {
            pc = arg;
            continue;
          }
          frame.pop();
          break;
        case CALL: {
          // A call site usually calls the same function: with its code a constant, the
          // new frame's sizes are too, so a trace that inlines the call can keep the
          // frame, its stack and its locals virtual.
          const callee = promote(frame.peek(arg).callee(arg));
          if (frame.depth >= MAX_DEPTH) throw new RuntimeError("maximum call depth exceeded (" + String(MAX_DEPTH) + " nested calls)");
          const newFrame = new Frame(callee, frame.depth + 1);
          passArguments(frame, newFrame, arg);
          frame.pop(); // the function
          frame.push(run(callee, newFrame));
          break;
        }
        case RETURN:
          return frame.pop();
        case CALL_BUILTIN:
          frame.push(callBuiltin(arg, frame.pop()));
          break;
        case BUILD_RECORD: {
          const shape = code.shapes[arg]!;
          frame.push(new W_Object(shape, popValues(frame, shape.names.length)));
          break;
        }
        case GET_FIELD:
          frame.push(frame.pop().getField(code.names[arg]!));
          break;
        case SET_FIELD: {
          const v = frame.pop();
          frame.pop().setField(code.names[arg]!, v);
          break;
        }
        default:
          throw new Error("unknown opcode " + String(op) + " at " + describeInstruction(code, pc));
      }
    } catch (e) {
      throw withLine(e, code, pc);
    }
    pc++;
  }
}

/** Moves the `nargs` arguments on top of `caller`'s stack into the first locals of `callee`. */
function passArguments(caller: Frame, callee: Frame, nargs: number): void {
  let i = nargs - 1;
  while (i >= 0) {
    callee.locals[i] = caller.pop();
    i--;
  }
}
unrollSafe(passArguments);

/** Pops the top `n` values, in stack order (the deepest first). */
function popValues(frame: Frame, n: number): W_Root[] {
  const values: W_Root[] = [];
  const base = frame.sp - n;
  let k = 0;
  while (k < n) {
    values[k] = frame.stack[base + k]!;
    k++;
  }
  k = 0;
  while (k < n) {
    frame.stack[base + k] = w_None;
    k++;
  }
  frame.sp = base;
  return values;
}
unrollSafe(popValues);

function callBuiltin(which: number, v: W_Root): W_Root {
  switch (which) {
    case BUILTIN_PRINT:
      writeLine(v.str());
      return w_None;
    case BUILTIN_STR:
      return new W_Str(v.str());
    case BUILTIN_INT:
      return v.toInt();
    case BUILTIN_FLOAT:
      return v.toFloat();
    case BUILTIN_LEN:
      return v.length();
    case BUILTIN_SQRT:
      return v.sqrt();
  }
  throw new Error("unknown built-in " + String(which));
}

/** Writes `s` and a newline to stdout, UTF-8 encoded. */
function writeLine(s: string): void {
  let i = 0;
  while (i < s.length) {
    let c = s.charCodeAt(i);
    i++;
    if (c >= 0xd800 && c < 0xdc00 && i < s.length) {
      const d = s.charCodeAt(i);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) writeByte(c);
    else if (c < 0x800) {
      writeByte(0xc0 | (c >> 6));
      writeByte(0x80 | (c & 63));
    } else if (c < 0x10000) {
      writeByte(0xe0 | (c >> 12));
      writeByte(0x80 | ((c >> 6) & 63));
      writeByte(0x80 | (c & 63));
    } else {
      writeByte(0xf0 | (c >> 18));
      writeByte(0x80 | ((c >> 12) & 63));
      writeByte(0x80 | ((c >> 6) & 63));
      writeByte(0x80 | (c & 63));
    }
  }
  writeByte(10);
}

/** A run-time error of the guest gets the line (and function) where it happened; other errors pass. */
function withLine(e: unknown, code: Code, pc: number): unknown {
  if (!(e instanceof RuntimeError)) return e;
  const where = code.name === "<module>" ? `line ${code.lines[pc]}` : `line ${code.lines[pc]} in ${code.name}`;
  return new GuestError(`${where}: ${e.message}`);
}
dontLookInside(withLine);

/** Entry point used by `tsjit run tiny <file>`: compiles and runs the program. */
export function main(source: string): number {
  const code = compileProgram(source);
  run(code, new Frame(code, 0));
  return 0;
}
