/**
 * @fileoverview The codewriter's expression half and its shared machinery (registers,
 * instructions, patching, residual calls): lowers one TypeScript expression into jitcode
 * instructions, checking the subset as it goes. `codewriter.ts` builds the statements,
 * the function and the init codes of classes on top of it; the file overview there says
 * how lowering follows JavaScript's semantics.
 */

import ts from "typescript";
import type { OpName } from "../ir/ops.js";
import type { Handler, Insn, Operand, RawConst } from "./jitcode.js";
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

export interface LoopCtx {
  readonly labels: readonly string[];
  readonly breaks: number[];
  readonly continues: number[] | null;
}

/** A place an assignment can store to. */
export type LValue =
  | { kind: "reg"; reg: number }
  | { kind: "field"; obj: Operand; descr: number }
  | { kind: "item"; obj: Operand; index: Operand; descr: number };

/** Lowers one function-like declaration to a jitcode. Throws SubsetError. */
/** Lowers expressions to jitcode instructions (the base of CodeWriter). Throws SubsetError. */
export abstract class ExpressionWriter {
  protected readonly insns: Insn[] = [];
  protected readonly handlers: Handler[] = [];
  protected readonly locals = new Map<ts.Symbol, number>();
  protected readonly regNames: string[] = [];
  protected readonly loops: LoopCtx[] = [];
  protected hasLoop = false;
  /** Lowering a class's init code: `return` returns the instance. */
  protected inInit = false;
  protected readonly checker: ts.TypeChecker;

  constructor(
    protected readonly unit: UnitBuilder,
    protected readonly resolver: Resolver,
    /** The function, or for an init code the constructor (the class when it has none). */
    protected readonly fn: ts.FunctionLikeDeclaration | ts.ClassDeclaration,
    protected readonly name: string,
    protected readonly isMethod: boolean,
    protected readonly fnConst: number,
  ) {
    this.checker = unit.checker;
  }

  protected newReg(name: string): number {
    this.regNames.push(name);
    return this.regNames.length - 1;
  }
  protected temp(): number {
    return this.newReg("");
  }
  protected emit(i: Insn): number {
    this.insns.push(i);
    return this.insns.length - 1;
  }
  protected get here(): number {
    return this.insns.length;
  }
  /** Points the jump at `at` to `target`. */
  protected patch(at: number, target: number): void {
    const i = this.insns[at]!;
    if (i.o === "goto" || i.o === "br") (this.insns[at] as { t: number }).t = target;
    else throw new Error("patching a non-jump");
  }
  protected symbolOf(node: ts.Node): ts.Symbol {
    const s = this.checker.getSymbolAtLocation(node);
    if (!s) throw subsetError(node, "cannot resolve this name");
    return s;
  }
  protected typeOf(node: ts.Node): ts.Type {
    return this.checker.getTypeAtLocation(node);
  }
  protected op(n: OpName, a: Operand[], descr = -1, d = this.temp()): number {
    this.emit({ o: "op", n, a, descr, d });
    return d;
  }
  protected rcall(name: string, a: Operand[], spelling: { kind: "function" } | { kind: "method"; method: string } | { kind: "template"; template: string }, effects: "all" | "none" | "readonly", resultType: ts.Type | null, pure = false, canRaise = true): number {
    const kind = resultType ? this.unit.kindOf(resultType) : "v";
    const descr = this.unit.descr({ t: "call", name, kind, effects, canRaise, spelling });
    const d = this.temp();
    this.emit({ o: "rcall", descr, a, d, ...(pure ? { p: true } : {}) } as Insn);
    return d;
  }
  /** A boolean operand for a condition (truthiness made explicit). */
  protected truth(node: ts.Expression): Operand {
    const v = this.expr(node);
    return this.unit.isBoolean(this.typeOf(node)) ? v : this.op("truthy", [v]);
  }

  // ---- statements ----

  protected patchAll(list: readonly number[], target: number): void {
    for (const at of list) this.patch(at, target);
  }
  /** The constant operand of a literal or a module-level const with a literal value. */
  protected constantOf(e: ts.Expression): Operand | null {
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


  protected cond(e: ts.Expression): number[] {
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
      // A mutable array of a known element type is allocated and filled in the trace
      // (`new_array` and a `setarrayitem` per element: the same packed array as the
      // literal), so the optimizer can keep it virtual; a readonly one, or one of no
      // array type (a tuple), stays a residual call.
      const type = this.checker.getContextualType(e) ?? this.typeOf(e);
      const ad = this.unit.arrayDescr(type);
      if (ad >= 0 && this.checker.isArrayType(this.checker.getNonNullableType(type)) && this.checker.getNonNullableType(type).getSymbol()?.name === "Array") {
        const arr = this.op("new_array", [this.unit.literal(args.length), this.unit.literal(undefined)], ad);
        args.forEach((a, i) => this.store({ kind: "item", obj: arr, index: this.unit.literal(i), descr: ad }, a));
        return arr;
      }
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
  protected stringOf(e: ts.Expression): Operand {
    const v = this.expr(e);
    return this.unit.isString(this.typeOf(e)) ? v : this.op("to_str", [v]);
  }

  protected identifier(e: ts.Identifier): Operand {
    if (e.text === "undefined") return this.unit.literal(undefined);
    const sym = this.symbolOf(e);
    const reg = this.locals.get(sym);
    if (reg !== undefined) return reg;
    const g = this.resolver.globalOf(sym, e);
    if (g) return this.unit.constOperand(g);
    throw subsetError(e, `'${e.text}' is not a local, a module-level declaration or a host global`, "closures over outer variables are not supported");
  }

  protected fieldDescr(e: ts.PropertyAccessExpression): number {
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

  protected propertyRead(e: ts.PropertyAccessExpression): Operand {
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

  protected elementRead(e: ts.ElementAccessExpression): Operand {
    const objType = this.typeOf(e.expression);
    const ad = this.unit.arrayDescr(objType);
    if (ad >= 0) return this.op("getarrayitem", [this.expr(e.expression), this.expr(e.argumentExpression)], ad);
    if (this.unit.isString(objType)) return this.op("str_getchar", [this.expr(e.expression), this.expr(e.argumentExpression)]);
    throw subsetError(e, "indexing is supported on arrays, typed arrays and strings only", "use a Map with get/set");
  }

  protected lvalue(e: ts.Expression): LValue {
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
  protected load(lv: LValue): Operand {
    switch (lv.kind) {
      case "reg":
        return lv.reg;
      case "field":
        return this.op("getfield", [lv.obj], lv.descr);
      case "item":
        return this.op("getarrayitem", [lv.obj, lv.index], lv.descr);
    }
  }
  protected store(lv: LValue, v: Operand): void {
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

  protected increment(target: ts.Expression, up: boolean, postfix: boolean): Operand {
    if (!this.unit.isNumber(this.typeOf(target))) throw subsetError(target, "++ and -- need a number");
    const lv = this.lvalue(target);
    const old = this.load(lv);
    const keep = postfix ? this.temp() : -1;
    if (postfix) this.emit({ o: "move", a: old, d: keep });
    const nv = this.op(up ? "num_add" : "num_sub", [old, this.unit.literal(1)]);
    this.store(lv, nv);
    return postfix ? keep : nv;
  }

  protected prefix(e: ts.PrefixUnaryExpression): Operand {
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

  protected needNumber(e: ts.Expression): void {
    if (!this.unit.isNumber(this.typeOf(e))) throw subsetError(e, "arithmetic needs number operands", "convert explicitly with Number(x)");
  }

  protected binary(e: ts.BinaryExpression): Operand {
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

  protected arith(k: ts.BinaryOperator, a: Operand, ta: ts.Type, b: Operand, tb: ts.Type, at: ts.Node): Operand {
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

  protected args(e: ts.CallExpression | ts.NewExpression): Operand[] {
    const out: Operand[] = [];
    for (const a of e.arguments ?? []) {
      if (ts.isSpreadElement(a)) throw subsetError(a, "spread arguments are not supported");
      out.push(this.expr(a));
    }
    return out;
  }

  protected call(e: ts.CallExpression): Operand {
    if (e.questionDotToken) throw subsetError(e, "optional calls are not supported");
    const callee = skipParens(e.expression);
    if (callee.kind === ts.SyntaxKind.SuperKeyword) {
      throw subsetError(e, "super(...) must be a statement of its own in the constructor's body", "write super(...); at the top of the constructor");
    }
    const resultType = this.typeOf(e);
    const filled = this.newFilledArray(e, callee, resultType);
    if (filled !== null) return filled;
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

  protected resolveDecl(sym: ts.Symbol): ts.Declaration | undefined {
    const s = sym.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(sym) : sym;
    return s.valueDeclaration ?? s.declarations?.[0];
  }

  /** A call of a translated function: inlined by the tracer or residual, by policy. */
  protected directCall(decl: ts.Declaration, code: number, args: Operand[], resultType: ts.Type, name: string): Operand {
    const hints = this.resolver.hintsOf(decl);
    const fnSym = (decl as ts.FunctionDeclaration).name ? this.checker.getSymbolAtLocation((decl as ts.FunctionDeclaration).name!) : undefined;
    const g = fnSym ? this.resolver.globalOf(fnSym, decl) : null;
    if (g && (hints.includes("elidable") || hints.includes("dontLookInside"))) {
      const pure = hints.includes("elidable");
      return this.rcall(name, [this.unit.constOperand(g), ...args], { kind: "function" }, pure ? "none" : "all", resultType, pure);
    }
    return this.emitCall(code, args, resultType);
  }

  protected emitCall(code: number, args: Operand[], _resultType: ts.Type | null): Operand {
    const d = this.temp();
    this.emit({ o: "call", f: code, a: args, d });
    return d;
  }

  /**
   * `new Array<T>(n).fill(v)` of a mutable array type is `new_array(n, v)` (the same
   * array: dense, every item `v`), so a trace can keep it virtual, as it does an
   * interpreter's frame with its value stack; null for any other call.
   */
  private newFilledArray(e: ts.CallExpression, callee: ts.Expression, type: ts.Type): Operand | null {
    if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "fill" || e.arguments.length !== 1) return null;
    const inner = skipParens(callee.expression);
    if (!ts.isNewExpression(inner) || !ts.isIdentifier(inner.expression) || inner.expression.text !== "Array") return null;
    if (inner.arguments?.length !== 1 || !this.unit.isNumber(this.typeOf(inner.arguments[0]!))) return null;
    const ad = this.unit.arrayDescr(type);
    const array = this.checker.getNonNullableType(type);
    if (ad < 0 || !this.checker.isArrayType(array) || array.getSymbol()?.name !== "Array") return null;
    return this.op("new_array", [this.expr(inner.arguments[0]!), this.expr(e.arguments[0]!)], ad);
  }

  /**
   * `new`: a typed array of a given length is `new_array`; an interpreter class is the
   * `new` instruction (a blank allocation and the class's init code, or a residual
   * `new` when the class cannot be allocated blank: the tracer decides by the unit);
   * anything else (host classes) is a residual call.
   */
  protected newExpr(e: ts.NewExpression): Operand {
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
