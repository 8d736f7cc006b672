/**
 * @fileoverview The codewriter: lowers one interpreter function (TypeScript AST, with
 * the type checker's answers) into a jitcode, and in doing so checks the subset — any
 * construct it cannot lower exactly is a SubsetError with the rule and a hint.
 *
 * Lowering follows JavaScript semantics to the letter, because the plain interpreter
 * runs the same source as JS: `a + b` is `num_add` only when both are numbers and
 * `str_concat` when one is a string; `a || b` yields an operand, not a boolean; a field
 * of an interpreter class is a `getfield` with that class's FieldDescr, an element of a
 * typed array a `getarrayitem` with its ArrayDescr. Calls are direct (to translated
 * functions, which the tracer may inline), dispatched (methods of interpreter classes)
 * or residual (host functions and methods, functions with loops, hinted functions).
 *
 * `new C(...)` of an interpreter class is the `new` instruction, which allocates a blank
 * instance and runs C's *init code* on it: a jitcode the codewriter lowers from the class
 * (`lowerInit`) doing what JS construction does, in JS's order — the `super(...)` call
 * (a call of the parent's init code), then the fields: parameter properties defined as
 * `undefined`, property declarations with their initializers in source order, the
 * parameter properties assigned — then the rest of the constructor body.
 */

import ts from "typescript";
import type { OpName } from "../ir/ops.js";
import type { Handler, Insn, Operand, RawConst, RawJitCode } from "./jitcode.js";
import { constructorOf, instanceFields, superCallOf } from "./classes.js";
import { subsetError } from "./subset.js";
import type { UnitBuilder } from "./unit-builder.js";

/** How the codewriter learns about the rest of the program. */
export interface Resolver {
  /** The constant a module-level, runtime or host name stands for; null for locals. */
  globalOf(sym: ts.Symbol, at: ts.Node): RawConst | null;
  /** The hint a symbol names (`promote`, `JitDriver`, …) or null. */
  hintOf(sym: ts.Symbol): string | null;
  /** Jitcode index of a top-level function or method declaration, or -1. */
  codeOf(decl: ts.Declaration): number;
  /** Registered hints of a function declaration (`elidable`, …). */
  hintsOf(decl: ts.Declaration): readonly string[];
  /** The driver a symbol names, if it is a module-level JitDriver. */
  driverOf(sym: ts.Symbol): { readonly greens: readonly string[]; readonly reds: readonly string[]; readonly index: number } | null;
  /** Called when a function contains the merge point (it is the portal). */
  portalFound(fn: ts.FunctionLikeDeclaration, loop: ts.WhileStatement, merge: ts.ExpressionStatement, driver: number): void;
  /** Called for each canEnterJit statement; returns its site number. */
  canEnterJitFound(stmt: ts.ExpressionStatement): number;
  /** Index of the interpreter class a class declaration declares, or -1 (a host class). */
  classOf(decl: ts.Declaration): number;
}

/** What the init code of a subclass needs to know about its parent's. */
export interface ParentInit {
  /** Jitcode index of the parent's init code. */
  readonly code: number;
  /** Number of constructor arguments it takes (register 0, the instance, not counted). */
  readonly arity: number;
}

/** Pure host functions: residual calls with no effects that constant-fold. */
const PURE_HOST = new Set([
  "Math.floor", "Math.ceil", "Math.round", "Math.trunc", "Math.abs", "Math.sqrt", "Math.sin", "Math.cos", "Math.tan",
  "Math.atan", "Math.atan2", "Math.exp", "Math.log", "Math.pow", "Math.min", "Math.max", "Math.sign", "Math.imul",
  "String.fromCharCode", "Number.isInteger", "Number.isNaN", "Number.parseInt", "Number.parseFloat", "Number.isFinite",
  "String", "Number", "parseInt", "parseFloat", "isNaN",
]);
const PURE_STRING_METHODS = new Set([
  "charAt", "slice", "substring", "indexOf", "lastIndexOf", "startsWith", "endsWith", "includes", "toUpperCase",
  "toLowerCase", "trim", "split", "repeat", "padStart", "padEnd", "codePointAt", "toString",
]);
const READONLY_METHODS = new Set(["get", "has", "indexOf", "includes", "slice", "join", "toFixed", "toString", "at"]);

const BINOPS: Partial<Record<ts.SyntaxKind, OpName>> = {
  [ts.SyntaxKind.MinusToken]: "num_sub",
  [ts.SyntaxKind.AsteriskToken]: "num_mul",
  [ts.SyntaxKind.SlashToken]: "num_div",
  [ts.SyntaxKind.PercentToken]: "num_mod",
  [ts.SyntaxKind.AsteriskAsteriskToken]: "num_pow",
  [ts.SyntaxKind.AmpersandToken]: "int_and",
  [ts.SyntaxKind.BarToken]: "int_or",
  [ts.SyntaxKind.CaretToken]: "int_xor",
  [ts.SyntaxKind.LessThanLessThanToken]: "int_shl",
  [ts.SyntaxKind.GreaterThanGreaterThanToken]: "int_shr",
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken]: "int_ushr",
  [ts.SyntaxKind.LessThanToken]: "num_lt",
  [ts.SyntaxKind.LessThanEqualsToken]: "num_le",
  [ts.SyntaxKind.GreaterThanToken]: "num_gt",
  [ts.SyntaxKind.GreaterThanEqualsToken]: "num_ge",
};
const COMPOUND: Partial<Record<ts.SyntaxKind, ts.BinaryOperator>> = {
  [ts.SyntaxKind.PlusEqualsToken]: ts.SyntaxKind.PlusToken,
  [ts.SyntaxKind.MinusEqualsToken]: ts.SyntaxKind.MinusToken,
  [ts.SyntaxKind.AsteriskEqualsToken]: ts.SyntaxKind.AsteriskToken,
  [ts.SyntaxKind.SlashEqualsToken]: ts.SyntaxKind.SlashToken,
  [ts.SyntaxKind.PercentEqualsToken]: ts.SyntaxKind.PercentToken,
  [ts.SyntaxKind.AmpersandEqualsToken]: ts.SyntaxKind.AmpersandToken,
  [ts.SyntaxKind.BarEqualsToken]: ts.SyntaxKind.BarToken,
  [ts.SyntaxKind.CaretEqualsToken]: ts.SyntaxKind.CaretToken,
  [ts.SyntaxKind.LessThanLessThanEqualsToken]: ts.SyntaxKind.LessThanLessThanToken,
  [ts.SyntaxKind.GreaterThanGreaterThanEqualsToken]: ts.SyntaxKind.GreaterThanGreaterThanToken,
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken]: ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
};

interface LoopCtx {
  readonly labels: readonly string[];
  readonly breaks: number[];
  readonly continues: number[] | null;
}

/** A place an assignment can store to. */
type LValue =
  | { kind: "reg"; reg: number }
  | { kind: "field"; obj: Operand; descr: number }
  | { kind: "item"; obj: Operand; index: Operand; descr: number };

/** Lowers one function-like declaration to a jitcode. Throws SubsetError. */
export class CodeWriter {
  private readonly insns: Insn[] = [];
  private readonly handlers: Handler[] = [];
  private readonly locals = new Map<ts.Symbol, number>();
  private readonly regNames: string[] = [];
  private readonly loops: LoopCtx[] = [];
  private hasLoop = false;
  /** Lowering a class's init code: `return` returns the instance. */
  private inInit = false;
  private readonly checker: ts.TypeChecker;

  constructor(
    private readonly unit: UnitBuilder,
    private readonly resolver: Resolver,
    /** The function, or for an init code the constructor (the class when it has none). */
    private readonly fn: ts.FunctionLikeDeclaration | ts.ClassDeclaration,
    private readonly name: string,
    private readonly isMethod: boolean,
    private readonly fnConst: number,
  ) {
    this.checker = unit.checker;
  }

  /** Lowers the function and returns its jitcode. */
  lower(): RawJitCode {
    const fn = this.fn as ts.FunctionLikeDeclaration;
    if (this.isMethod) this.newReg("this");
    this.params(fn);
    const nparams = this.regNames.length;
    if (!fn.body) throw subsetError(fn, "a function without a body cannot be translated");
    if (ts.isBlock(fn.body)) {
      this.block(fn.body.statements);
      this.emit({ o: "ret", a: null });
    } else {
      this.emit({ o: "ret", a: this.expr(fn.body) });
    }
    return this.finish(nparams, this.resolver.hintsOf(fn));
  }

  /**
   * Lowers the init code of class `cd`: register 0 is the blank instance, then the
   * constructor's parameters (for a class without a constructor, as many as its
   * parent's init takes, passed on as JS's implicit constructor does). See the file
   * comment for the order; it is JS's, so the trace defines the fields in the order the
   * plain interpreter's `new` does (the same V8 hidden classes).
   */
  lowerInit(cd: ts.ClassDeclaration, parent: ParentInit | null): RawJitCode {
    this.inInit = true;
    this.newReg("this");
    const ctor = constructorOf(cd);
    if (ctor) this.params(ctor);
    else for (let i = 0; i < (parent?.arity ?? 0); i++) this.newReg(`arg${i}`);
    const nparams = this.regNames.length;
    const fields = (): void => this.fieldInits(cd, ctor);
    if (!ctor) {
      if (parent) this.emitCall(parent.code, Array.from({ length: nparams }, (_, i) => i), null);
      fields();
    } else {
      if (!parent) fields();
      let superCalled = false;
      for (const st of ctor.body!.statements) {
        const call = superCallOf(st);
        if (!call) {
          this.stmt(st);
          continue;
        }
        if (!parent) throw subsetError(call, "super(...) of a class that extends no interpreter class");
        const args = this.args(call);
        while (args.length < parent.arity) args.push(this.unit.literal(undefined));
        this.emitCall(parent.code, [0, ...args.slice(0, parent.arity)], null);
        fields();
        superCalled = true;
      }
      if (parent && !superCalled) throw subsetError(ctor, "the super(...) call must be a statement of its own in the constructor's body", "write super(...); at the top of the constructor");
    }
    this.emit({ o: "ret", a: 0 });
    return { ...this.finish(nparams, []), init: true };
  }

  /** What a construction does when the instance is created: define the fields, in JS's order. */
  private fieldInits(cd: ts.ClassDeclaration, ctor: ts.ConstructorDeclaration | undefined): void {
    const props = ctor ? ctor.parameters.filter((p) => ts.isParameterPropertyDeclaration(p, ctor)) : [];
    const setfield = (descr: number, v: Operand): void => void this.emit({ o: "op", n: "setfield", a: [0, v], descr, d: -1 });
    for (const p of props) setfield(this.unit.fieldDescr(p), this.unit.literal(undefined));
    for (const m of instanceFields(cd)) {
      if (!ts.isIdentifier(m.name)) throw subsetError(m.name, "only fields named by an identifier are supported", "rename the field");
      setfield(this.unit.fieldDescr(m), m.initializer ? this.expr(m.initializer) : this.unit.literal(undefined));
    }
    for (const p of props) setfield(this.unit.fieldDescr(p), this.locals.get(this.paramSymbol(p, p.name as ts.Identifier))!);
  }

  private params(fn: ts.FunctionLikeDeclaration): void {
    for (const p of fn.parameters) {
      if (!ts.isIdentifier(p.name)) throw subsetError(p, "destructuring parameters are not supported", "take the object and read its fields");
      if (p.dotDotDotToken) throw subsetError(p, "rest parameters are not supported", "pass an array");
      if (p.initializer) throw subsetError(p, "default parameter values are not supported", "pass the argument explicitly");
      this.locals.set(this.paramSymbol(p, p.name), this.newReg(p.name.text));
    }
  }

  /** The symbol of a parameter as its uses see it (a parameter property names the field otherwise). */
  private paramSymbol(p: ts.ParameterDeclaration, name: ts.Identifier): ts.Symbol {
    if (ts.isParameterPropertyDeclaration(p, p.parent)) return this.checker.getSymbolsOfParameterPropertyDeclaration(p, name.text)[0];
    return this.symbolOf(name);
  }

  private finish(nparams: number, hints: readonly string[]): RawJitCode {
    const sf = this.fn.getSourceFile();
    const line = sf.getLineAndCharacterOfPosition(this.fn.getStart(sf)).line + 1;
    return {
      name: this.name,
      where: `${sf.fileName}:${line}`,
      nparams,
      nregs: this.regNames.length,
      regNames: this.regNames,
      insns: this.insns,
      handlers: this.handlers,
      hasLoop: this.hasLoop,
      fnConst: this.fnConst,
      hints,
    };
  }

  // ---- helpers ----

  private newReg(name: string): number {
    this.regNames.push(name);
    return this.regNames.length - 1;
  }
  private temp(): number {
    return this.newReg("");
  }
  private emit(i: Insn): number {
    this.insns.push(i);
    return this.insns.length - 1;
  }
  private get here(): number {
    return this.insns.length;
  }
  /** Points the jump at `at` to `target`. */
  private patch(at: number, target: number): void {
    const i = this.insns[at]!;
    if (i.o === "goto" || i.o === "br") (this.insns[at] as { t: number }).t = target;
    else throw new Error("patching a non-jump");
  }
  private symbolOf(node: ts.Node): ts.Symbol {
    const s = this.checker.getSymbolAtLocation(node);
    if (!s) throw subsetError(node, "cannot resolve this name");
    return s;
  }
  private typeOf(node: ts.Node): ts.Type {
    return this.checker.getTypeAtLocation(node);
  }
  private op(n: OpName, a: Operand[], descr = -1, d = this.temp()): number {
    this.emit({ o: "op", n, a, descr, d });
    return d;
  }
  private rcall(name: string, a: Operand[], spelling: { kind: "function" } | { kind: "method"; method: string } | { kind: "template"; template: string }, effects: "all" | "none" | "readonly", resultType: ts.Type | null, pure = false, canRaise = true): number {
    const kind = resultType ? this.unit.kindOf(resultType) : "v";
    const descr = this.unit.descr({ t: "call", name, kind, effects, canRaise, spelling });
    const d = this.temp();
    this.emit({ o: "rcall", descr, a, d, ...(pure ? { p: true } : {}) } as Insn);
    return d;
  }
  /** A boolean operand for a condition (truthiness made explicit). */
  private truth(node: ts.Expression): Operand {
    const v = this.expr(node);
    return this.unit.isBoolean(this.typeOf(node)) ? v : this.op("truthy", [v]);
  }

  // ---- statements ----

  private block(stmts: readonly ts.Statement[]): void {
    for (const s of stmts) this.stmt(s);
  }

  private stmt(s: ts.Statement, labels: string[] = []): void {
    if (ts.isBlock(s)) return this.block(s.statements);
    if (ts.isExpressionStatement(s)) return this.exprStatement(s);
    if (ts.isVariableStatement(s)) return this.varDecls(s.declarationList);
    if (ts.isIfStatement(s)) {
      const jf = this.cond(s.expression);
      this.stmt(s.thenStatement);
      if (s.elseStatement) {
        const je = this.emit({ o: "goto", t: -1 });
        this.patchAll(jf, this.here);
        this.stmt(s.elseStatement);
        this.patch(je, this.here);
      } else this.patchAll(jf, this.here);
      return;
    }
    if (ts.isWhileStatement(s)) return this.whileLoop(s, labels);
    if (ts.isDoStatement(s)) {
      this.hasLoop = true;
      const ctx: LoopCtx = { labels, breaks: [], continues: [] };
      const top = this.here;
      this.loops.push(ctx);
      this.stmt(s.statement);
      this.loops.pop();
      this.patchAll(ctx.continues!, this.here);
      const jf = this.cond(s.expression);
      this.emit({ o: "goto", t: top });
      this.patchAll(jf, this.here);
      this.patchAll(ctx.breaks, this.here);
      return;
    }
    if (ts.isForStatement(s)) {
      this.hasLoop = true;
      if (s.initializer) {
        if (ts.isVariableDeclarationList(s.initializer)) this.varDecls(s.initializer);
        else this.expr(s.initializer);
      }
      const top = this.here;
      const jf = s.condition ? this.cond(s.condition) : [];
      const ctx: LoopCtx = { labels, breaks: [], continues: [] };
      this.loops.push(ctx);
      this.stmt(s.statement);
      this.loops.pop();
      this.patchAll(ctx.continues!, this.here);
      if (s.incrementor) this.expr(s.incrementor);
      this.emit({ o: "goto", t: top });
      this.patchAll(jf, this.here);
      this.patchAll(ctx.breaks, this.here);
      return;
    }
    if (ts.isForOfStatement(s)) return this.forOf(s, labels);
    if (ts.isBreakStatement(s) || ts.isContinueStatement(s)) {
      const label = s.label?.text;
      const isBreak = ts.isBreakStatement(s);
      for (let i = this.loops.length - 1; i >= 0; i--) {
        const l = this.loops[i]!;
        if (label !== undefined ? l.labels.includes(label) : isBreak || l.continues !== null) {
          const target = isBreak ? l.breaks : l.continues;
          if (!target) throw subsetError(s, "continue must name a loop");
          target.push(this.emit({ o: "goto", t: -1 }));
          return;
        }
      }
      throw subsetError(s, "break/continue outside a loop or switch");
    }
    if (ts.isReturnStatement(s)) {
      if (this.inInit && s.expression) throw subsetError(s, "a constructor cannot return a value");
      this.emit({ o: "ret", a: this.inInit ? 0 : s.expression ? this.expr(s.expression) : null });
      return;
    }
    if (ts.isThrowStatement(s)) {
      this.emit({ o: "throw", a: this.expr(s.expression) });
      return;
    }
    if (ts.isSwitchStatement(s)) return this.switchStmt(s, labels);
    if (ts.isLabeledStatement(s)) {
      const inner = s.statement;
      if (ts.isWhileStatement(inner) || ts.isForStatement(inner) || ts.isDoStatement(inner) || ts.isForOfStatement(inner) || ts.isLabeledStatement(inner) || ts.isSwitchStatement(inner)) {
        return this.stmt(inner, [...labels, s.label.text]);
      }
      const ctx: LoopCtx = { labels: [s.label.text], breaks: [], continues: null };
      this.loops.push(ctx);
      this.stmt(inner);
      this.loops.pop();
      this.patchAll(ctx.breaks, this.here);
      return;
    }
    if (ts.isTryStatement(s)) return this.tryStmt(s);
    if (ts.isEmptyStatement(s)) return;
    if (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) {
      throw subsetError(s, "nested functions and classes are not supported", "declare them at module top level");
    }
    throw subsetError(s, `statement '${ts.SyntaxKind[s.kind]}' is not supported`);
  }

  private patchAll(list: readonly number[], target: number): void {
    for (const at of list) this.patch(at, target);
  }

  private varDecls(list: ts.VariableDeclarationList): void {
    if (!(list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const))) {
      throw subsetError(list, "'var' is not supported", "use let or const");
    }
    for (const d of list.declarations) {
      if (!ts.isIdentifier(d.name)) throw subsetError(d, "destructuring is not supported", "declare one variable at a time");
      const reg = this.newReg(d.name.text);
      this.locals.set(this.symbolOf(d.name), reg);
      const v = d.initializer ? this.expr(d.initializer) : this.unit.literal(undefined);
      this.emit({ o: "move", a: v, d: reg });
    }
  }

  private whileLoop(s: ts.WhileStatement, labels: string[]): void {
    this.hasLoop = true;
    const first = s.statement && ts.isBlock(s.statement) ? s.statement.statements[0] : undefined;
    const merge = first && this.mergePointCall(first);
    const top = this.here;
    const jf = this.cond(s.expression);
    const ctx: LoopCtx = { labels, breaks: [], continues: [] };
    this.loops.push(ctx);
    if (merge && first) {
      if (this.inInit) throw subsetError(first, "the merge point cannot be in a constructor");
      this.resolver.portalFound(this.fn as ts.FunctionLikeDeclaration, s, first as ts.ExpressionStatement, merge.index);
    }
    this.stmt(s.statement);
    this.loops.pop();
    this.patchAll(ctx.continues!, top);
    this.emit({ o: "goto", t: top });
    this.patchAll(jf, this.here);
    this.patchAll(ctx.breaks, this.here);
  }

  /** If `s` is `driver.jitMergePoint(...)`, the driver. */
  private mergePointCall(s: ts.Statement) {
    if (!ts.isExpressionStatement(s) || !ts.isCallExpression(s.expression)) return null;
    const callee = s.expression.expression;
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "jitMergePoint") return null;
    const sym = this.checker.getSymbolAtLocation(callee.expression);
    return sym ? this.resolver.driverOf(sym) : null;
  }

  private forOf(s: ts.ForOfStatement, labels: string[]): void {
    this.hasLoop = true;
    const descr = this.unit.arrayDescr(this.typeOf(s.expression));
    if (descr < 0) throw subsetError(s.expression, "for-of only iterates arrays and typed arrays", "use an index loop");
    const init = s.initializer;
    if (!ts.isVariableDeclarationList(init) || init.declarations.length !== 1 || !ts.isIdentifier(init.declarations[0]!.name)) {
      throw subsetError(init, "for-of needs a single `const x` declaration");
    }
    const arr = this.temp();
    this.emit({ o: "move", a: this.expr(s.expression), d: arr });
    const idx = this.temp();
    this.emit({ o: "move", a: this.unit.literal(0), d: idx });
    const elem = this.newReg((init.declarations[0]!.name as ts.Identifier).text);
    this.locals.set(this.symbolOf(init.declarations[0]!.name), elem);
    const top = this.here;
    const len = this.op("arraylen", [arr], descr);
    const c = this.op("num_lt", [idx, len]);
    const jf = this.emit({ o: "br", a: c, t: -1 });
    this.op("getarrayitem", [arr, idx], descr, elem);
    const ctx: LoopCtx = { labels, breaks: [], continues: [] };
    this.loops.push(ctx);
    this.stmt(s.statement);
    this.loops.pop();
    this.patchAll(ctx.continues!, this.here);
    this.op("num_add", [idx, this.unit.literal(1)], -1, idx);
    this.emit({ o: "goto", t: top });
    this.patch(jf, this.here);
    this.patchAll(ctx.breaks, this.here);
  }

  private switchStmt(s: ts.SwitchStatement, labels: string[]): void {
    const v = this.temp();
    this.emit({ o: "move", a: this.expr(s.expression), d: v });
    const clauses = s.caseBlock.clauses;
    const constCases = clauses.every((c) => ts.isDefaultClause(c) || this.constantOf(c.expression) !== null);
    const ctx: LoopCtx = { labels, breaks: [], continues: null };
    const bodyStarts: number[] = [];
    let dispatch: number;
    const tests: number[] = [];
    if (constCases) {
      dispatch = this.emit({ o: "switch", a: v, cases: [], t: -1 });
    } else {
      dispatch = -1;
      for (const c of clauses) {
        if (ts.isDefaultClause(c)) continue;
        const eq = this.op("eq", [v, this.expr(c.expression)]);
        const skip = this.emit({ o: "br", a: eq, t: -1 });
        tests.push(this.emit({ o: "goto", t: -1 }));
        this.patch(skip, this.here);
      }
      tests.push(this.emit({ o: "goto", t: -1 }));
    }
    this.loops.push(ctx);
    for (const c of clauses) {
      bodyStarts.push(this.here);
      this.block(c.statements);
    }
    this.loops.pop();
    const end = this.here;
    const defaultIdx = clauses.findIndex((c) => ts.isDefaultClause(c));
    const dflt = defaultIdx >= 0 ? bodyStarts[defaultIdx]! : end;
    if (constCases) {
      const cases: [Operand, number][] = [];
      clauses.forEach((c, i) => {
        if (!ts.isDefaultClause(c)) cases.push([this.constantOf(c.expression)!, bodyStarts[i]!]);
      });
      this.insns[dispatch] = { o: "switch", a: v, cases, t: dflt };
    } else {
      let k = 0;
      clauses.forEach((c, i) => {
        if (!ts.isDefaultClause(c)) this.patch(tests[k++]!, bodyStarts[i]!);
      });
      this.patch(tests[k]!, dflt);
    }
    this.patchAll(ctx.breaks, end);
  }

  /** The constant operand of a literal or a module-level const with a literal value. */
  private constantOf(e: ts.Expression): Operand | null {
    if (ts.isNumericLiteral(e)) return this.unit.literal(Number(e.text));
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return this.unit.literal(e.text);
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) {
      return this.unit.literal(-Number(e.operand.text));
    }
    const t = this.typeOf(e);
    if (t.isNumberLiteral() || t.isStringLiteral()) {
      if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) return this.unit.literal(t.value as number | string);
    }
    return null;
  }

  private tryStmt(s: ts.TryStatement): void {
    if (s.finallyBlock) throw subsetError(s.finallyBlock, "try/finally is not supported", "use try/catch");
    const start = this.here;
    this.block(s.tryBlock.statements);
    const end = this.here;
    const skip = this.emit({ o: "goto", t: -1 });
    const clause = s.catchClause!;
    let reg: number;
    const vd = clause.variableDeclaration;
    if (vd) {
      if (!ts.isIdentifier(vd.name)) throw subsetError(vd, "destructuring is not supported");
      reg = this.newReg(vd.name.text);
      this.locals.set(this.symbolOf(vd.name), reg);
    } else reg = this.temp();
    const handler = this.here;
    // Inner handlers are pushed first, so the first match is the innermost.
    this.handlers.push({ start, end, handler, reg });
    this.block(clause.block.statements);
    this.patch(skip, this.here);
  }

  private exprStatement(s: ts.ExpressionStatement): void {
    const e = s.expression;
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
      const name = e.expression.name.text;
      if (name === "jitMergePoint" || name === "canEnterJit") {
        const sym = this.checker.getSymbolAtLocation(e.expression.expression);
        const driver = sym && this.resolver.driverOf(sym);
        if (driver) return this.driverCall(s, e, driver, name);
      }
    }
    this.expr(e);
  }

  private driverCall(s: ts.ExpressionStatement, e: ts.CallExpression, driver: { greens: readonly string[]; reds: readonly string[] }, name: string): void {
    const arg = e.arguments[0];
    if (e.arguments.length !== 1 || !arg || !ts.isObjectLiteralExpression(arg)) {
      throw subsetError(e, `${name} takes one object literal naming every green and red`, "write driver." + name + "({ pc, code, frame })");
    }
    const given = new Map<string, ts.ShorthandPropertyAssignment>();
    for (const p of arg.properties) {
      if (ts.isShorthandPropertyAssignment(p)) given.set(p.name.text, p);
      else throw subsetError(p, `${name} arguments must be shorthand properties naming variables`, "write { pc } rather than { pc: x }");
    }
    const all = [...driver.greens, ...driver.reds];
    for (const v of all) if (!given.has(v)) throw subsetError(arg, `${name} must name every green and red; '${v}' is missing`);
    for (const k of given.keys()) if (!all.includes(k)) throw subsetError(arg, `'${k}' is neither a green nor a red of the driver`);
    const local = (v: string): Operand => {
      const p = given.get(v)!;
      const sym = this.checker.getShorthandAssignmentValueSymbol(p);
      const reg = sym && this.locals.get(sym);
      if (reg === undefined) throw subsetError(p, `'${v}' must be a local variable or parameter of the portal`);
      return reg;
    };
    const g = driver.greens.map(local);
    const r = driver.reds.map(local);
    if (name === "jitMergePoint") {
      if (!ts.isBlock(s.parent) || !ts.isWhileStatement(s.parent.parent) || s.parent.statements[0] !== s) {
        throw subsetError(s, "jitMergePoint must be the first statement of a while loop's body");
      }
      this.emit({ o: "merge", g, r });
    } else {
      this.resolver.canEnterJitFound(s);
      this.emit({ o: "cej", g, r });
    }
  }

  // ---- conditions: return the list of jumps taken when the condition is false ----

  private cond(e: ts.Expression): number[] {
    e = skipParens(e);
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) {
      const v = this.truth(e.operand);
      return [this.emit({ o: "br", a: this.op("bool_not", [v]), t: -1 })];
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
      return [...this.cond(e.left), ...this.cond(e.right)];
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
      const leftFalse = this.cond(e.left);
      const jt = this.emit({ o: "goto", t: -1 });
      this.patchAll(leftFalse, this.here);
      const rightFalse = this.cond(e.right);
      this.patch(jt, this.here);
      return rightFalse;
    }
    return [this.emit({ o: "br", a: this.truth(e), t: -1 })];
  }

  // ---- expressions ----

  /** Lowers `e` and returns the operand holding its value. */
  expr(e: ts.Expression): Operand {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) {
      return this.expr(e.expression);
    }
    if (ts.isNumericLiteral(e)) return this.unit.literal(Number(e.text));
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return this.unit.literal(e.text);
    switch (e.kind) {
      case ts.SyntaxKind.TrueKeyword:
        return this.unit.literal(true);
      case ts.SyntaxKind.FalseKeyword:
        return this.unit.literal(false);
      case ts.SyntaxKind.NullKeyword:
        return this.unit.literal(null);
      case ts.SyntaxKind.ThisKeyword:
        if (!this.isMethod) throw subsetError(e, "'this' outside a method");
        return 0;
    }
    if (ts.isIdentifier(e)) return this.identifier(e);
    if (ts.isTemplateExpression(e)) {
      let acc = this.unit.literal(e.head.text);
      for (const span of e.templateSpans) {
        acc = this.op("str_concat", [acc, this.stringOf(span.expression)]);
        if (span.literal.text) acc = this.op("str_concat", [acc, this.unit.literal(span.literal.text)]);
      }
      return acc;
    }
    if (ts.isPropertyAccessExpression(e)) return this.propertyRead(e);
    if (ts.isElementAccessExpression(e)) return this.elementRead(e);
    if (ts.isCallExpression(e)) return this.call(e);
    if (ts.isNewExpression(e)) return this.newExpr(e);
    if (ts.isBinaryExpression(e)) return this.binary(e);
    if (ts.isPrefixUnaryExpression(e)) return this.prefix(e);
    if (ts.isPostfixUnaryExpression(e)) return this.increment(e.operand, e.operator === ts.SyntaxKind.PlusPlusToken, true);
    if (ts.isConditionalExpression(e)) {
      const d = this.temp();
      const jf = this.cond(e.condition);
      this.emit({ o: "move", a: this.expr(e.whenTrue), d });
      const je = this.emit({ o: "goto", t: -1 });
      this.patchAll(jf, this.here);
      this.emit({ o: "move", a: this.expr(e.whenFalse), d });
      this.patch(je, this.here);
      return d;
    }
    if (ts.isTypeOfExpression(e)) return this.op("type_of", [this.expr(e.expression)]);
    if (ts.isArrayLiteralExpression(e)) {
      if (e.elements.some((x) => ts.isSpreadElement(x) || ts.isOmittedExpression(x))) throw subsetError(e, "spread and holes in array literals are not supported");
      const args = e.elements.map((x) => this.expr(x));
      const tpl = `[${args.map((_, i) => `$${i + 1}`).join(", ")}]`;
      return this.rcall("array literal", [this.unit.literal(undefined), ...args], { kind: "template", template: tpl }, "none", this.typeOf(e), false, false);
    }
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      throw subsetError(e, "closures are not supported in traced code", "use a top-level function or a method");
    }
    if (ts.isObjectLiteralExpression(e)) {
      throw subsetError(e, "object literals are not supported in traced code", "declare a class with the fields");
    }
    throw subsetError(e, `expression '${ts.SyntaxKind[e.kind]}' is not supported`);
  }

  /** `e` converted to a string operand, as JS string concatenation would. */
  private stringOf(e: ts.Expression): Operand {
    const v = this.expr(e);
    return this.unit.isString(this.typeOf(e)) ? v : this.op("to_str", [v]);
  }

  private identifier(e: ts.Identifier): Operand {
    if (e.text === "undefined") return this.unit.literal(undefined);
    const sym = this.symbolOf(e);
    const reg = this.locals.get(sym);
    if (reg !== undefined) return reg;
    const g = this.resolver.globalOf(sym, e);
    if (g) return this.unit.constOperand(g);
    throw subsetError(e, `'${e.text}' is not a local, a module-level declaration or a host global`, "closures over outer variables are not supported");
  }

  private fieldDescr(e: ts.PropertyAccessExpression): number {
    const sym = this.checker.getSymbolAtLocation(e.name);
    const decl = sym?.valueDeclaration;
    if (!sym || !decl) throw subsetError(e.name, `cannot resolve property '${e.name.text}'`);
    if (ts.isMethodDeclaration(decl) || ts.isGetAccessor(decl) || ts.isSetAccessor(decl)) {
      throw subsetError(e, "methods and accessors cannot be used as values", "call the method");
    }
    if ((ts.isPropertyDeclaration(decl) || ts.isParameter(decl)) && ts.isClassLike(decl.parent.kind === ts.SyntaxKind.Constructor ? decl.parent.parent : decl.parent)) {
      return this.unit.fieldDescr(decl);
    }
    const kind = this.unit.kindOf(this.typeOf(e));
    const readonly = (ts.getCombinedModifierFlags(decl as ts.Declaration) & ts.ModifierFlags.Readonly) !== 0;
    return this.unit.descr({ t: "field", owner: "host", field: e.name.text, kind, immutable: readonly && false });
  }

  private propertyRead(e: ts.PropertyAccessExpression): Operand {
    if (e.questionDotToken) throw subsetError(e, "optional chaining is not supported", "test for null explicitly");
    const objType = this.typeOf(e.expression);
    if (e.name.text === "length") {
      const ad = this.unit.arrayDescr(objType);
      if (ad >= 0) return this.op("arraylen", [this.expr(e.expression)], ad);
      if (this.unit.isString(objType)) return this.op("str_len", [this.expr(e.expression)]);
    }
    // A host namespace member (Math.PI) or an enum member is a constant.
    const lit = this.constantOf(e);
    if (lit !== null) return lit;
    const sym = this.checker.getSymbolAtLocation(e);
    if (sym) {
      const g = this.resolver.globalOf(sym, e);
      if (g && g.t === "host") return this.unit.constOperand(g);
    }
    const descr = this.fieldDescr(e);
    return this.op("getfield", [this.expr(e.expression)], descr);
  }

  private elementRead(e: ts.ElementAccessExpression): Operand {
    const objType = this.typeOf(e.expression);
    const ad = this.unit.arrayDescr(objType);
    if (ad >= 0) return this.op("getarrayitem", [this.expr(e.expression), this.expr(e.argumentExpression)], ad);
    if (this.unit.isString(objType)) return this.op("str_getchar", [this.expr(e.expression), this.expr(e.argumentExpression)]);
    throw subsetError(e, "indexing is supported on arrays, typed arrays and strings only", "use a Map with get/set");
  }

  private lvalue(e: ts.Expression): LValue {
    e = skipParens(e);
    if (ts.isIdentifier(e)) {
      const reg = this.locals.get(this.symbolOf(e));
      if (reg === undefined) throw subsetError(e, "only local variables, fields and array elements can be assigned", "module-level state belongs in an object");
      return { kind: "reg", reg };
    }
    if (ts.isPropertyAccessExpression(e)) {
      const descr = this.fieldDescr(e);
      return { kind: "field", obj: this.expr(e.expression), descr };
    }
    if (ts.isElementAccessExpression(e)) {
      const ad = this.unit.arrayDescr(this.typeOf(e.expression));
      if (ad < 0) throw subsetError(e, "only arrays and typed arrays can be assigned by index");
      return { kind: "item", obj: this.expr(e.expression), index: this.expr(e.argumentExpression), descr: ad };
    }
    throw subsetError(e, "unsupported assignment target");
  }
  private load(lv: LValue): Operand {
    switch (lv.kind) {
      case "reg":
        return lv.reg;
      case "field":
        return this.op("getfield", [lv.obj], lv.descr);
      case "item":
        return this.op("getarrayitem", [lv.obj, lv.index], lv.descr);
    }
  }
  private store(lv: LValue, v: Operand): void {
    switch (lv.kind) {
      case "reg":
        this.emit({ o: "move", a: v, d: lv.reg });
        return;
      case "field":
        this.emit({ o: "op", n: "setfield", a: [lv.obj, v], descr: lv.descr, d: -1 });
        return;
      case "item":
        this.emit({ o: "op", n: "setarrayitem", a: [lv.obj, lv.index, v], descr: lv.descr, d: -1 });
        return;
    }
  }

  private increment(target: ts.Expression, up: boolean, postfix: boolean): Operand {
    if (!this.unit.isNumber(this.typeOf(target))) throw subsetError(target, "++ and -- need a number");
    const lv = this.lvalue(target);
    const old = this.load(lv);
    const keep = postfix ? this.temp() : -1;
    if (postfix) this.emit({ o: "move", a: old, d: keep });
    const nv = this.op(up ? "num_add" : "num_sub", [old, this.unit.literal(1)]);
    this.store(lv, nv);
    return postfix ? keep : nv;
  }

  private prefix(e: ts.PrefixUnaryExpression): Operand {
    switch (e.operator) {
      case ts.SyntaxKind.PlusPlusToken:
        return this.increment(e.operand, true, false);
      case ts.SyntaxKind.MinusMinusToken:
        return this.increment(e.operand, false, false);
      case ts.SyntaxKind.ExclamationToken:
        return this.op("bool_not", [this.truth(e.operand)]);
      case ts.SyntaxKind.MinusToken: {
        const c = this.constantOf(e);
        if (c !== null) return c;
        this.needNumber(e.operand);
        return this.op("num_neg", [this.expr(e.operand)]);
      }
      case ts.SyntaxKind.TildeToken:
        this.needNumber(e.operand);
        return this.op("int_not", [this.expr(e.operand)]);
      case ts.SyntaxKind.PlusToken:
        this.needNumber(e.operand);
        return this.expr(e.operand);
    }
    throw subsetError(e, "unsupported unary operator");
  }

  private needNumber(e: ts.Expression): void {
    if (!this.unit.isNumber(this.typeOf(e))) throw subsetError(e, "arithmetic needs number operands", "convert explicitly with Number(x)");
  }

  private binary(e: ts.BinaryExpression): Operand {
    const k = e.operatorToken.kind;
    if (k === ts.SyntaxKind.EqualsToken) {
      const lv = this.lvalue(e.left);
      const v = this.expr(e.right);
      this.store(lv, v);
      return v;
    }
    const compound = COMPOUND[k];
    if (compound !== undefined) {
      const lv = this.lvalue(e.left);
      const v = this.arith(compound, this.load(lv), this.typeOf(e.left), this.expr(e.right), this.typeOf(e.right), e);
      this.store(lv, v);
      return v;
    }
    if (k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken || k === ts.SyntaxKind.QuestionQuestionToken) {
      const d = this.temp();
      this.emit({ o: "move", a: this.expr(e.left), d });
      let test: Operand;
      if (k === ts.SyntaxKind.QuestionQuestionToken) {
        test = this.rcall("== null", [this.unit.literal(undefined), d], { kind: "template", template: "($1 == null)" }, "none", null, true, false);
      } else {
        test = this.unit.isBoolean(this.typeOf(e.left)) ? d : this.op("truthy", [d]);
        if (k === ts.SyntaxKind.BarBarToken) test = this.op("bool_not", [test]);
      }
      // `test` true means: evaluate the right operand.
      const skip = this.emit({ o: "br", a: test, t: -1 });
      this.emit({ o: "move", a: this.expr(e.right), d });
      this.patch(skip, this.here);
      return d;
    }
    if (k === ts.SyntaxKind.EqualsEqualsEqualsToken || k === ts.SyntaxKind.ExclamationEqualsEqualsToken) {
      return this.op(k === ts.SyntaxKind.EqualsEqualsEqualsToken ? "eq" : "ne", [this.expr(e.left), this.expr(e.right)]);
    }
    if (k === ts.SyntaxKind.EqualsEqualsToken || k === ts.SyntaxKind.ExclamationEqualsToken) {
      const isNull = (x: ts.Expression) => x.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(x) && x.text === "undefined");
      const other = isNull(e.right) ? e.left : isNull(e.left) ? e.right : null;
      if (!other) throw subsetError(e, "== and != are only supported against null", "use === or !==");
      const t = this.rcall("== null", [this.unit.literal(undefined), this.expr(other)], { kind: "template", template: "($1 == null)" }, "none", null, true, false);
      return k === ts.SyntaxKind.EqualsEqualsToken ? t : this.op("bool_not", [t]);
    }
    if (k === ts.SyntaxKind.InstanceOfKeyword) {
      return this.rcall("instanceof", [this.unit.literal(undefined), this.expr(e.left), this.expr(e.right)], { kind: "template", template: "($1 instanceof $2)" }, "none", null, true, false);
    }
    if (k === ts.SyntaxKind.CommaToken) {
      this.expr(e.left);
      return this.expr(e.right);
    }
    return this.arith(k as ts.BinaryOperator, this.expr(e.left), this.typeOf(e.left), this.expr(e.right), this.typeOf(e.right), e);
  }

  private arith(k: ts.BinaryOperator, a: Operand, ta: ts.Type, b: Operand, tb: ts.Type, at: ts.Node): Operand {
    const u = this.unit;
    if (k === ts.SyntaxKind.PlusToken) {
      if (u.isNumber(ta) && u.isNumber(tb)) return this.op("num_add", [a, b]);
      if (u.isString(ta) || u.isString(tb)) {
        return this.op("str_concat", [u.isString(ta) ? a : this.op("to_str", [a]), u.isString(tb) ? b : this.op("to_str", [b])]);
      }
      throw subsetError(at, "+ needs two numbers or a string", "convert explicitly");
    }
    const name = BINOPS[k];
    if (!name) throw subsetError(at, `operator '${ts.tokenToString(k)}' is not supported`);
    if (u.isNumber(ta) && u.isNumber(tb)) return this.op(name, [a, b]);
    if (name.startsWith("num_l") || name.startsWith("num_g")) {
      if (u.isString(ta) && u.isString(tb)) {
        const tpl = `($1 ${ts.tokenToString(k)} $2)`;
        return this.rcall("string compare", [u.literal(undefined), a, b], { kind: "template", template: tpl }, "none", null, true, false);
      }
    }
    throw subsetError(at, `operator '${ts.tokenToString(k)}' needs number operands`, "convert explicitly with Number(x)");
  }

  // ---- calls ----

  private args(e: ts.CallExpression | ts.NewExpression): Operand[] {
    const out: Operand[] = [];
    for (const a of e.arguments ?? []) {
      if (ts.isSpreadElement(a)) throw subsetError(a, "spread arguments are not supported");
      out.push(this.expr(a));
    }
    return out;
  }

  private call(e: ts.CallExpression): Operand {
    if (e.questionDotToken) throw subsetError(e, "optional calls are not supported");
    const callee = skipParens(e.expression);
    if (callee.kind === ts.SyntaxKind.SuperKeyword) {
      throw subsetError(e, "super(...) must be a statement of its own in the constructor's body", "write super(...); at the top of the constructor");
    }
    const resultType = this.typeOf(e);
    if (ts.isIdentifier(callee)) {
      const sym = this.symbolOf(callee);
      const hint = this.resolver.hintOf(sym);
      if (hint === "promote") {
        const d = this.temp();
        this.emit({ o: "promote", a: this.expr(e.arguments[0]!), d });
        return d;
      }
      if (hint === "weAreJitted") return this.unit.literal(true);
      if (hint) throw subsetError(e, `${hint}() may only be called at module top level`);
      const target = this.resolveDecl(sym);
      if (target && (ts.isFunctionDeclaration(target) || ts.isMethodDeclaration(target))) {
        const code = this.resolver.codeOf(target);
        if (code >= 0) return this.directCall(target, code, this.args(e), resultType, callee.text);
      }
      const g = this.resolver.globalOf(sym, callee);
      if (g && (g.t === "host" || g.t === "runtime")) {
        const path = g.t === "host" ? g.path : `${g.module}.${g.name}`;
        const pure = g.t === "host" && PURE_HOST.has(path);
        return this.rcall(path, [this.unit.constOperand(g), ...this.args(e)], { kind: "function" }, g.t === "runtime" || pure ? "none" : "all", resultType, pure);
      }
      throw subsetError(callee, `cannot call '${callee.text}': only functions declared at module top level and host functions can be called`);
    }
    if (ts.isPropertyAccessExpression(callee)) {
      const m = callee.name.text;
      if (callee.expression.kind === ts.SyntaxKind.SuperKeyword) {
        const decl = this.resolveDecl(this.symbolOf(callee.name));
        const code = decl ? this.resolver.codeOf(decl) : -1;
        if (code < 0) throw subsetError(callee, "super call to an unknown method");
        return this.emitCall(code, [0, ...this.args(e)], resultType);
      }
      const sym = this.checker.getSymbolAtLocation(callee.name);
      const decl = sym ? this.resolveDecl(sym) : undefined;
      if (decl && ts.isMethodDeclaration(decl) && this.resolver.codeOf(decl) >= 0) {
        const isStatic = (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Static) !== 0;
        if (isStatic) return this.directCall(decl, this.resolver.codeOf(decl), this.args(e), resultType, m);
        const recv = this.expr(callee.expression);
        const d = this.temp();
        this.emit({ o: "callm", m, a: [recv, ...this.args(e)], d });
        return d;
      }
      // A host function reached through a namespace: Math.floor, String.fromCharCode.
      const g = sym ? this.resolver.globalOf(sym, callee) : null;
      if (g && g.t === "host") {
        const pure = PURE_HOST.has(g.path);
        return this.rcall(g.path, [this.unit.constOperand(g), ...this.args(e)], { kind: "function" }, pure ? "none" : "all", resultType, pure);
      }
      const recvType = this.typeOf(callee.expression);
      const recv = this.expr(callee.expression);
      if (this.unit.isString(recvType)) {
        if (m === "charCodeAt" && e.arguments.length === 1) return this.op("str_charcodeat", [recv, this.expr(e.arguments[0]!)]);
        if (PURE_STRING_METHODS.has(m)) return this.rcall(`String.${m}`, [this.unit.literal(undefined), recv, ...this.args(e)], { kind: "method", method: m }, "none", resultType, true, false);
      }
      const effects = READONLY_METHODS.has(m) ? "readonly" : "all";
      return this.rcall(`.${m}`, [this.unit.literal(undefined), recv, ...this.args(e)], { kind: "method", method: m }, effects, resultType);
    }
    throw subsetError(e, "only named functions and methods can be called", "call a top-level function or a method");
  }

  private resolveDecl(sym: ts.Symbol): ts.Declaration | undefined {
    const s = sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    return s.valueDeclaration ?? s.declarations?.[0];
  }

  /** A call of a translated function: inlined by the tracer or residual, by policy. */
  private directCall(decl: ts.Declaration, code: number, args: Operand[], resultType: ts.Type, name: string): Operand {
    const hints = this.resolver.hintsOf(decl);
    const fnSym = (decl as ts.FunctionDeclaration).name ? this.checker.getSymbolAtLocation((decl as ts.FunctionDeclaration).name!) : undefined;
    const g = fnSym ? this.resolver.globalOf(fnSym, decl) : null;
    if (g && (hints.includes("elidable") || hints.includes("dontLookInside"))) {
      const pure = hints.includes("elidable");
      return this.rcall(name, [this.unit.constOperand(g), ...args], { kind: "function" }, pure ? "none" : "all", resultType, pure);
    }
    return this.emitCall(code, args, resultType);
  }

  private emitCall(code: number, args: Operand[], _resultType: ts.Type | null): Operand {
    const d = this.temp();
    this.emit({ o: "call", f: code, a: args, d });
    return d;
  }

  /**
   * `new`: a typed array of a given length is `new_array`; an interpreter class is the
   * `new` instruction (a blank allocation and the class's init code, or a residual
   * `new` when the class cannot be allocated blank: the tracer decides by the unit);
   * anything else (host classes) is a residual call.
   */
  private newExpr(e: ts.NewExpression): Operand {
    const t = this.typeOf(e);
    const sym = this.checker.getSymbolAtLocation(e.expression);
    const ad = this.unit.arrayDescr(t);
    const decl = sym ? this.resolveDecl(sym) : undefined;
    const cls = decl && ts.isClassDeclaration(decl) ? this.resolver.classOf(decl) : -1;
    const args = this.args(e);
    if (ad >= 0 && ts.isIdentifier(e.expression) && e.expression.text !== "Array" && args.length === 1 && this.unit.isNumber(this.typeOf(e.arguments![0]!))) {
      return this.op("new_array", [args[0]!, this.unit.literal(0)], ad);
    }
    if (cls >= 0) {
      const d = this.temp();
      this.emit({ o: "new", c: cls, a: args, d });
      return d;
    }
    const g = sym ? this.resolver.globalOf(sym, e.expression) : null;
    if (!g) throw subsetError(e.expression, "new needs a class declared at module top level or a host class");
    const tpl = `new $0(${args.map((_, i) => `$${i + 1}`).join(", ")})`;
    const name = ts.isIdentifier(e.expression) ? `new ${e.expression.text}` : "new";
    return this.rcall(name, [this.unit.constOperand(g), ...args], { kind: "template", template: tpl }, "all", t);
  }
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
}
