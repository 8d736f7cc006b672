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
import type { Operand, RawJitCode } from "./jitcode.js";
import { constructorOf, instanceFields, superCallOf } from "./classes.js";
import { subsetError } from "./subset.js";
import { ExpressionWriter, type LoopCtx, type ParentInit } from "./codewriter-expr.js";

export type { ParentInit, Resolver } from "./codewriter-expr.js";

/** Lowers one function-like declaration (or a class's init code) to a jitcode. Throws SubsetError. */
export class CodeWriter extends ExpressionWriter {
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
  protected fieldInits(cd: ts.ClassDeclaration, ctor: ts.ConstructorDeclaration | undefined): void {
    const props = ctor ? ctor.parameters.filter((p) => ts.isParameterPropertyDeclaration(p, ctor)) : [];
    const setfield = (descr: number, v: Operand): void => void this.emit({ o: "op", n: "setfield", a: [0, v], descr, d: -1 });
    for (const p of props) setfield(this.unit.fieldDescr(p), this.unit.literal(undefined));
    for (const m of instanceFields(cd)) {
      if (!ts.isIdentifier(m.name)) throw subsetError(m.name, "only fields named by an identifier are supported", "rename the field");
      setfield(this.unit.fieldDescr(m), m.initializer ? this.expr(m.initializer) : this.unit.literal(undefined));
    }
    for (const p of props) setfield(this.unit.fieldDescr(p), this.locals.get(this.paramSymbol(p, p.name as ts.Identifier))!);
  }

  protected params(fn: ts.FunctionLikeDeclaration): void {
    for (const p of fn.parameters) {
      if (!ts.isIdentifier(p.name)) throw subsetError(p, "destructuring parameters are not supported", "take the object and read its fields");
      if (p.dotDotDotToken) throw subsetError(p, "rest parameters are not supported", "pass an array");
      if (p.initializer) throw subsetError(p, "default parameter values are not supported", "pass the argument explicitly");
      this.locals.set(this.paramSymbol(p, p.name), this.newReg(p.name.text));
    }
  }

  /** The symbol of a parameter as its uses see it (a parameter property names the field otherwise). */
  protected paramSymbol(p: ts.ParameterDeclaration, name: ts.Identifier): ts.Symbol {
    if (ts.isParameterPropertyDeclaration(p, p.parent)) return this.checker.getSymbolsOfParameterPropertyDeclaration(p, name.text)[0];
    return this.symbolOf(name);
  }

  protected finish(nparams: number, hints: readonly string[]): RawJitCode {
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

  protected block(stmts: readonly ts.Statement[]): void {
    for (const s of stmts) this.stmt(s);
  }

  protected stmt(s: ts.Statement, labels: string[] = []): void {
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

  protected varDecls(list: ts.VariableDeclarationList): void {
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

  protected whileLoop(s: ts.WhileStatement, labels: string[]): void {
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
  protected mergePointCall(s: ts.Statement) {
    if (!ts.isExpressionStatement(s) || !ts.isCallExpression(s.expression)) return null;
    const callee = s.expression.expression;
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "jitMergePoint") return null;
    const sym = this.checker.getSymbolAtLocation(callee.expression);
    return sym ? this.resolver.driverOf(sym) : null;
  }

  protected forOf(s: ts.ForOfStatement, labels: string[]): void {
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

  protected switchStmt(s: ts.SwitchStatement, labels: string[]): void {
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

  protected tryStmt(s: ts.TryStatement): void {
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

  protected exprStatement(s: ts.ExpressionStatement): void {
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

  protected driverCall(s: ts.ExpressionStatement, e: ts.CallExpression, driver: { greens: readonly string[]; reds: readonly string[] }, name: string): void {
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
}
