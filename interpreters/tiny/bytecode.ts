/**
 * @fileoverview Tiny's bytecode: the opcodes of the stack machine, the `Code` object
 * (one per function, plus one for the module's top level) and the table of global
 * variables.
 *
 * Every instruction is an opcode and one integer argument (0 when unused), in two
 * parallel `readonly` arrays of the Code object. Code objects are never changed after
 * the compiler built them, and the JIT's greens are the pc and the Code object, so in a
 * trace every read of `code.ops[pc]`, `code.args[pc]`, `code.consts[k]`,
 * `code.names[k]` and `code.shapes[k]` is a constant.
 *
 * Stack effects are given as (before -- after), top of the stack on the right.
 */

import { quasiImmutable } from "tsjit/hints";
import type { Shape, W_Root } from "./objects.js";

/** (-- consts[arg]) */
export const LOAD_CONST = 0;
/** (-- locals[arg]); an unassigned local is an error. */
export const LOAD_LOCAL = 1;
/** (v --) locals[arg] = v */
export const STORE_LOCAL = 2;
/** (-- globals[arg]); an undefined global is an error. */
export const LOAD_GLOBAL = 3;
/** (v --) globals[arg] = v */
export const STORE_GLOBAL = 4;
/** (v --) */
export const POP = 5;
/** (a b -- a+b), likewise SUB MUL DIV MOD and the comparisons. */
export const ADD = 6;
export const SUB = 7;
export const MUL = 8;
export const DIV = 9;
export const MOD = 10;
export const LT = 11;
export const LE = 12;
export const GT = 13;
export const GE = 14;
export const EQ = 15;
export const NE = 16;
/** (a -- -a) */
export const NEG = 17;
/** (a -- not a) */
export const NOT = 18;
/** Forward jump to arg. */
export const JUMP = 19;
/** Backward jump to arg (the end of a while loop, and `continue`): where the JIT may enter. */
export const JUMP_BACK = 20;
/** (v --) jump to arg if v is false. */
export const POP_JUMP_IF_FALSE = 21;
/** `and`: if the top is false jump to arg keeping it, else pop it. */
export const JUMP_IF_FALSE_OR_POP = 22;
/** `or`: if the top is true jump to arg keeping it, else pop it. */
export const JUMP_IF_TRUE_OR_POP = 23;
/** (f a1 .. an -- result) with n = arg */
export const CALL = 24;
/** (v --) returns v from the function. */
export const RETURN = 25;
/** (v -- result) calls built-in function number arg (BUILTIN_NAMES) with one argument. */
export const CALL_BUILTIN = 26;
/** (v1 .. vn -- record) a new record of shape shapes[arg], n its number of fields. */
export const BUILD_RECORD = 27;
/** (obj -- obj.f) with f = names[arg] */
export const GET_FIELD = 28;
/** (obj v --) obj.f = v with f = names[arg] */
export const SET_FIELD = 29;

export const OPNAMES: readonly string[] = [
  "LOAD_CONST", "LOAD_LOCAL", "STORE_LOCAL", "LOAD_GLOBAL", "STORE_GLOBAL", "POP",
  "ADD", "SUB", "MUL", "DIV", "MOD", "LT", "LE", "GT", "GE", "EQ", "NE", "NEG", "NOT",
  "JUMP", "JUMP_BACK", "POP_JUMP_IF_FALSE", "JUMP_IF_FALSE_OR_POP", "JUMP_IF_TRUE_OR_POP",
  "CALL", "RETURN", "CALL_BUILTIN", "BUILD_RECORD", "GET_FIELD", "SET_FIELD",
];

/** Opcodes whose argument means something (printed in listings and trace logs). */
const HAS_ARG: readonly boolean[] = OPNAMES.map(
  (_, op) => !(op === POP || (op >= ADD && op <= NOT) || op === RETURN),
);

/** The built-in functions, by CALL_BUILTIN argument. Each takes exactly one argument. */
export const BUILTIN_PRINT = 0;
export const BUILTIN_STR = 1;
export const BUILTIN_INT = 2;
export const BUILTIN_FLOAT = 3;
export const BUILTIN_LEN = 4;
export const BUILTIN_SQRT = 5;
export const BUILTIN_NAMES: readonly string[] = ["print", "str", "int", "float", "len", "sqrt"];

/**
 * The cell of a global variable (PyPy's module cells). Globals are read far more often
 * than assigned, mostly functions defined once: while a variable has been assigned only
 * a few times its value is in `value`, a quasi-immutable field, so a trace folds a read
 * of it to a constant (and is recorded again when it is assigned). A variable assigned
 * more often `varies`: its value is then in `current`, an ordinary field, and
 * assignments no longer throw traces away.
 */
export class GlobalCell {
  /** The value while the variable does not vary; null until assigned. */
  value: W_Root | null = null;
  /** True once the variable has been assigned more than MAX_QUASI_WRITES times. */
  varies = false;
  /** The value once the variable varies. */
  current: W_Root | null = null;
  /** Assignments so far while it did not vary. */
  writes = 0;
}
quasiImmutable(GlobalCell, "value");
quasiImmutable(GlobalCell, "varies");

/** Assignments of a global variable before it is treated as one that varies. */
export const MAX_QUASI_WRITES = 3;

/** The global variables of a program: one cell per name. */
export class Globals {
  /** Slot -> name, for error messages. */
  readonly names: string[] = [];
  private readonly list: GlobalCell[] = [];
  /**
   * Slot -> cell. The same array as `list`, which only the compiler grows (`add`),
   * before the program runs: read-only while it runs, so traces fold a cell read.
   */
  readonly cells: readonly GlobalCell[] = this.list;

  /** A new global named `name`; returns its slot. */
  add(name: string): number {
    this.names.push(name);
    this.list.push(new GlobalCell());
    return this.list.length - 1;
  }
}

/** The compiled code of one function (or of the module's top level). Immutable. */
export class Code {
  constructor(
    /** The function's name, `<module>` for the top level. */
    readonly name: string,
    readonly ops: readonly number[],
    readonly args: readonly number[],
    /** Source line of each instruction, for run-time error messages. */
    readonly lines: readonly number[],
    /** Literals (W_Int, W_Float, W_Str, True/False/None) and the functions defined here. */
    readonly consts: readonly W_Root[],
    /** Field names used by GET_FIELD / SET_FIELD. */
    readonly names: readonly string[],
    /** Shapes of the record literals, for BUILD_RECORD. */
    readonly shapes: readonly Shape[],
    readonly nparams: number,
    /** Local variable names (parameters first); a frame has this many local slots. */
    readonly localNames: readonly string[],
    /** The most values the stack holds while this code runs. */
    readonly stackSize: number,
    readonly globals: Globals,
  ) {}
}

/** How a merge point prints in trace logs: `fib:12 LOAD_LOCAL 0`. */
export function describeInstruction(code: Code, pc: number): string {
  if (pc >= code.ops.length) return `${code.name}:${pc} end`;
  const op = code.ops[pc]!;
  const name = OPNAMES[op] ?? `op${op}`;
  return HAS_ARG[op] ? `${code.name}:${pc} ${name} ${code.args[pc]}` : `${code.name}:${pc} ${name}`;
}

/** A listing of `code` (for debugging the compiler). */
export function disassemble(code: Code): string {
  const lines = [`code ${code.name} (params ${code.nparams}, locals ${code.localNames.join(" ") || "-"}, stack ${code.stackSize})`];
  for (let pc = 0; pc < code.ops.length; pc++) {
    const op = code.ops[pc]!;
    const arg = code.args[pc]!;
    let note = "";
    if (op === LOAD_CONST) note = code.consts[arg]!.repr();
    else if (op === LOAD_LOCAL || op === STORE_LOCAL) note = code.localNames[arg]!;
    else if (op === LOAD_GLOBAL || op === STORE_GLOBAL) note = code.globals.names[arg]!;
    else if (op === GET_FIELD || op === SET_FIELD) note = code.names[arg]!;
    else if (op === CALL_BUILTIN) note = BUILTIN_NAMES[arg]!;
    else if (op === BUILD_RECORD) note = `{${code.shapes[arg]!.names.join(", ")}}`;
    lines.push(`  ${String(pc).padStart(4)} line ${String(code.lines[pc]).padEnd(4)} ${describeInstruction(code, pc).slice(code.name.length + 1 + String(pc).length + 1)}${note ? `  (${note})` : ""}`);
  }
  return lines.join("\n");
}
