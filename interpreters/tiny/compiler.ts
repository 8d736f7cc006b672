/**
 * @fileoverview Tiny's compiler: syntax tree (parser.ts) to stack bytecode (bytecode.ts),
 * one Code object per function plus one for the top level. Runs before the dispatch
 * loop, so it is ordinary TypeScript (never traced).
 *
 * Scopes, as in Python without closures:
 * - At the top level every name is a global variable.
 * - In a function, the parameters and every name assigned anywhere in the body are
 *   locals; all other names are globals (so functions can call each other and read
 *   global variables, but assigning a name makes it local to the function).
 * - `def` assigns the function to a global variable when it runs; it may only appear
 *   at the top level (possibly inside if/while), not inside another function.
 *
 * Where a top-level variable lives: only functions can see the difference between a
 * global and a local of the top level's frame, and they only read globals by name. So
 * a top-level variable that no function names (and that no `def` defines) is stored in
 * the top level's frame, as a local, rather than in the globals array; reading it
 * before it is assigned is still "name 'x' is not defined". This is what lets the JIT
 * keep a top-level loop's variables in trace values (the frame is virtualizable), as it
 * does a function's; a boxed number stored into the globals array escapes.
 *
 * Errors found here (return outside a function, break outside a loop, misused built-ins,
 * ...) are reported like syntax errors, with line and column.
 */

import {
  ADD, BUILD_RECORD, BUILTIN_NAMES, CALL, CALL_BUILTIN, Code, DIV, EQ, GE, GET_FIELD, GT, Globals, JUMP, JUMP_BACK,
  JUMP_IF_FALSE_OR_POP, JUMP_IF_TRUE_OR_POP, LE, LOAD_CONST, LOAD_GLOBAL, LOAD_LOCAL, LT, MOD, MUL, NE, NEG, NOT, POP,
  POP_JUMP_IF_FALSE, RETURN, SET_FIELD, STORE_GLOBAL, STORE_LOCAL, SUB,
} from "./bytecode.js";
import { syntaxError } from "./lexer.js";
import { EMPTY_SHAPE, shapeWith, W_Float, W_Function, W_Int, W_Str, w_False, w_None, w_True, type Shape, type W_Root } from "./objects.js";
import { parse, type Expr, type Pos, type Stmt } from "./parser.js";

const BINARY_OPS: Readonly<Record<string, number>> = {
  "+": ADD, "-": SUB, "*": MUL, "/": DIV, "%": MOD, "<": LT, "<=": LE, ">": GT, ">=": GE, "==": EQ, "!=": NE,
};

/** Stack effect of each opcode with a fixed one (the others are computed at the emit site). */
const STACK_EFFECT: Readonly<Record<number, number>> = {
  [LOAD_CONST]: 1, [LOAD_LOCAL]: 1, [STORE_LOCAL]: -1, [LOAD_GLOBAL]: 1, [STORE_GLOBAL]: -1, [POP]: -1,
  [ADD]: -1, [SUB]: -1, [MUL]: -1, [DIV]: -1, [MOD]: -1, [LT]: -1, [LE]: -1, [GT]: -1, [GE]: -1, [EQ]: -1, [NE]: -1,
  [NEG]: 0, [NOT]: 0, [JUMP]: 0, [JUMP_BACK]: 0, [POP_JUMP_IF_FALSE]: -1,
  // Along the fall-through path (the jump keeps the value; the other operand replaces it).
  [JUMP_IF_FALSE_OR_POP]: -1, [JUMP_IF_TRUE_OR_POP]: -1,
  [RETURN]: -1, [CALL_BUILTIN]: 0, [GET_FIELD]: 0, [SET_FIELD]: -2,
};

/** Compiles a whole program; returns the Code of its top level. */
export function compileProgram(source: string): Code {
  const body = parse(source);
  const globals = new Globals();
  return new CodeBuilder("<module>", [], body, globals, seenByFunctions(body)).compileBody(body, { line: 1, col: 1 });
}

/** The names that must be globals: those functions read, and those `def` defines. */
function seenByFunctions(program: readonly Stmt[]): Set<string> {
  const names = new Set<string>();
  const expr = (e: Expr, locals: ReadonlySet<string>): void => {
    switch (e.k) {
      case "name":
        if (!locals.has(e.name)) names.add(e.name);
        return;
      case "binary":
      case "logic":
        expr(e.left, locals);
        expr(e.right, locals);
        return;
      case "neg":
      case "not":
        expr(e.operand, locals);
        return;
      case "call":
        expr(e.callee, locals);
        for (const a of e.args) expr(a, locals);
        return;
      case "field":
        expr(e.obj, locals);
        return;
      case "record":
        for (const f of e.fields) expr(f.value, locals);
        return;
      default:
        return;
    }
  };
  const stmts = (body: readonly Stmt[], locals: ReadonlySet<string> | null): void => {
    for (const s of body) {
      switch (s.k) {
        case "def": {
          names.add(s.name);
          stmts(s.body, new Set([...s.params.map((p) => p.name), ...assignedNames(s.body)]));
          break;
        }
        case "if":
          if (locals) expr(s.cond, locals);
          stmts(s.then, locals);
          stmts(s.orelse, locals);
          break;
        case "while":
          if (locals) expr(s.cond, locals);
          stmts(s.body, locals);
          break;
        case "expr":
          if (locals) expr(s.expr, locals);
          break;
        case "assign":
          if (locals) {
            expr(s.value, locals);
            if (s.target.k !== "name") expr(s.target, locals);
          }
          break;
        case "return":
          if (locals && s.value) expr(s.value, locals);
          break;
        default:
          break;
      }
    }
  };
  stmts(program, null);
  return names;
}

/** Every name assigned (`name = …`) anywhere in `body`, in order of first assignment. */
function assignedNames(body: readonly Stmt[]): string[] {
  const out: string[] = [];
  const visit = (stmts: readonly Stmt[]): void => {
    for (const s of stmts) {
      if (s.k === "assign" && s.target.k === "name" && !out.includes(s.target.name)) out.push(s.target.name);
      else if (s.k === "if") {
        visit(s.then);
        visit(s.orelse);
      } else if (s.k === "while") visit(s.body);
    }
  };
  visit(body);
  return out;
}

interface Loop {
  readonly top: number;
  readonly breaks: number[];
}

class CodeBuilder {
  private readonly ops: number[] = [];
  private readonly args: number[] = [];
  private readonly lines: number[] = [];
  private readonly consts: W_Root[] = [];
  private readonly constKeys = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly shapes: Shape[] = [];
  private readonly loops: Loop[] = [];
  private depth = 0;
  private maxDepth = 0;
  /** Local variable -> slot. */
  private readonly locals = new Map<string, number>();
  /** True for the top level: names that are not its locals are globals. */
  private readonly topLevel: boolean;

  /**
   * A function's code (`mustBeGlobal` null), or the top level's, whose locals are the
   * variables it assigns that are not in `mustBeGlobal` (see the file overview).
   */
  constructor(
    private readonly name: string,
    private readonly params: readonly (Pos & { readonly name: string })[],
    body: readonly Stmt[],
    private readonly globals: Globals,
    mustBeGlobal: ReadonlySet<string> | null = null,
  ) {
    this.topLevel = mustBeGlobal !== null;
    for (const p of params) {
      checkAssignable(p.name, p);
      if (this.locals.has(p.name)) throw syntaxError(p.line, p.col, `duplicate parameter '${p.name}'`);
      this.locals.set(p.name, this.locals.size);
    }
    for (const n of assignedNames(body)) if (!this.locals.has(n) && !mustBeGlobal?.has(n)) this.locals.set(n, this.locals.size);
  }

  compileBody(body: readonly Stmt[], end: Pos): Code {
    this.block(body);
    const last = body.length > 0 ? body[body.length - 1]! : end;
    this.emit(LOAD_CONST, this.constant("None", w_None), last);
    this.emit(RETURN, 0, last);
    const localNames: string[] = [];
    for (const [n, i] of this.locals) localNames[i] = n;
    return new Code(this.name, this.ops, this.args, this.lines, this.consts, this.names, this.shapes, this.params.length, localNames, this.maxDepth, this.globals);
  }

  // ---- emitting ----

  private emit(op: number, arg: number, at: Pos, effect = STACK_EFFECT[op]!): number {
    this.ops.push(op);
    this.args.push(arg);
    this.lines.push(at.line);
    this.depth += effect;
    if (this.depth > this.maxDepth) this.maxDepth = this.depth;
    return this.ops.length - 1;
  }
  private get here(): number {
    return this.ops.length;
  }
  private patch(at: number, target: number): void {
    this.args[at] = target;
  }
  private constant(key: string, value: W_Root): number {
    let i = this.constKeys.get(key);
    if (i === undefined) {
      i = this.consts.length;
      this.consts.push(value);
      this.constKeys.set(key, i);
    }
    return i;
  }
  private nameIndex(name: string): number {
    let i = this.names.indexOf(name);
    if (i < 0) {
      i = this.names.length;
      this.names.push(name);
    }
    return i;
  }
  private globalSlot(name: string): number {
    const i = this.globals.names.indexOf(name);
    return i >= 0 ? i : this.globals.add(name);
  }

  // ---- statements ----

  private block(stmts: readonly Stmt[]): void {
    for (const s of stmts) this.statement(s);
  }

  private statement(s: Stmt): void {
    switch (s.k) {
      case "expr":
        this.expr(s.expr);
        this.emit(POP, 0, s);
        return;
      case "assign":
        if (s.target.k === "name") {
          checkAssignable(s.target.name, s.target);
          this.expr(s.value);
          this.store(s.target.name, s.target);
        } else if (s.target.k === "field") {
          this.expr(s.target.obj);
          this.expr(s.value);
          this.emit(SET_FIELD, this.nameIndex(s.target.name), s.target);
        }
        return;
      case "if": {
        this.expr(s.cond);
        const jf = this.emit(POP_JUMP_IF_FALSE, -1, s);
        this.block(s.then);
        if (s.orelse.length > 0) {
          const je = this.emit(JUMP, -1, s);
          this.patch(jf, this.here);
          this.block(s.orelse);
          this.patch(je, this.here);
        } else this.patch(jf, this.here);
        return;
      }
      case "while": {
        const top = this.here;
        this.expr(s.cond);
        const jf = this.emit(POP_JUMP_IF_FALSE, -1, s);
        const loop: Loop = { top, breaks: [] };
        this.loops.push(loop);
        this.block(s.body);
        this.loops.pop();
        this.emit(JUMP_BACK, top, s);
        this.patch(jf, this.here);
        for (const b of loop.breaks) this.patch(b, this.here);
        return;
      }
      case "def": {
        if (!this.topLevel) throw syntaxError(s.line, s.col, "functions can only be defined at the top level");
        checkAssignable(s.name, s);
        const code = new CodeBuilder(s.name, s.params, s.body, this.globals).compileBody(s.body, s);
        const fn = new W_Function(s.name, code);
        this.emit(LOAD_CONST, this.constant(`def ${this.consts.length}`, fn), s);
        this.emit(STORE_GLOBAL, this.globalSlot(s.name), s);
        return;
      }
      case "return":
        if (this.topLevel) throw syntaxError(s.line, s.col, "'return' outside a function");
        if (s.value) this.expr(s.value);
        else this.emit(LOAD_CONST, this.constant("None", w_None), s);
        this.emit(RETURN, 0, s);
        return;
      case "break": {
        const loop = this.loops[this.loops.length - 1];
        if (!loop) throw syntaxError(s.line, s.col, "'break' outside a loop");
        loop.breaks.push(this.emit(JUMP, -1, s));
        return;
      }
      case "continue": {
        const loop = this.loops[this.loops.length - 1];
        if (!loop) throw syntaxError(s.line, s.col, "'continue' outside a loop");
        this.emit(JUMP_BACK, loop.top, s);
        return;
      }
      case "pass":
        return;
    }
  }

  private store(name: string, at: Pos): void {
    const local = this.locals.get(name);
    if (local !== undefined) this.emit(STORE_LOCAL, local, at);
    else this.emit(STORE_GLOBAL, this.globalSlot(name), at);
  }

  // ---- expressions ----

  private expr(e: Expr): void {
    switch (e.k) {
      case "int":
        this.emit(LOAD_CONST, this.constant(`i${e.value}`, new W_Int(e.value)), e);
        return;
      case "float":
        this.emit(LOAD_CONST, this.constant(`f${e.value}`, new W_Float(e.value)), e);
        return;
      case "str":
        this.emit(LOAD_CONST, this.constant(`s${e.value}`, new W_Str(e.value)), e);
        return;
      case "const":
        this.emit(LOAD_CONST, this.constant(e.value, e.value === "True" ? w_True : e.value === "False" ? w_False : w_None), e);
        return;
      case "name": {
        if (BUILTIN_NAMES.includes(e.name)) throw syntaxError(e.line, e.col, `'${e.name}' is a built-in function; it can only be called`);
        const local = this.locals.get(e.name);
        if (local !== undefined) this.emit(LOAD_LOCAL, local, e);
        else this.emit(LOAD_GLOBAL, this.globalSlot(e.name), e);
        return;
      }
      case "binary":
        this.expr(e.left);
        this.expr(e.right);
        this.emit(BINARY_OPS[e.op]!, 0, e);
        return;
      case "neg":
        this.expr(e.operand);
        this.emit(NEG, 0, e);
        return;
      case "not":
        this.expr(e.operand);
        this.emit(NOT, 0, e);
        return;
      case "logic": {
        this.expr(e.left);
        const j = this.emit(e.op === "and" ? JUMP_IF_FALSE_OR_POP : JUMP_IF_TRUE_OR_POP, -1, e);
        this.expr(e.right);
        this.patch(j, this.here);
        return;
      }
      case "call": {
        if (e.callee.k === "name" && BUILTIN_NAMES.includes(e.callee.name)) {
          if (e.args.length !== 1) throw syntaxError(e.callee.line, e.callee.col, `${e.callee.name}() takes exactly one argument (${e.args.length} given)`);
          this.expr(e.args[0]!);
          this.emit(CALL_BUILTIN, BUILTIN_NAMES.indexOf(e.callee.name), e);
          return;
        }
        this.expr(e.callee);
        for (const a of e.args) this.expr(a);
        this.emit(CALL, e.args.length, e, -e.args.length);
        return;
      }
      case "field":
        this.expr(e.obj);
        this.emit(GET_FIELD, this.nameIndex(e.name), e);
        return;
      case "record": {
        let shape = EMPTY_SHAPE;
        for (const f of e.fields) {
          this.expr(f.value);
          shape = shapeWith(shape, f.name);
        }
        let i = this.shapes.indexOf(shape);
        if (i < 0) {
          i = this.shapes.length;
          this.shapes.push(shape);
        }
        this.emit(BUILD_RECORD, i, e, 1 - e.fields.length);
        return;
      }
    }
  }
}

/** Built-in function names cannot be assigned, defined or used as parameters. */
function checkAssignable(name: string, at: Pos): void {
  if (BUILTIN_NAMES.includes(name)) throw syntaxError(at.line, at.col, `cannot assign to '${name}': it is a built-in function`);
}
