/**
 * @fileoverview Tiny's parser: tokens (lexer.ts) to a syntax tree, by recursive descent.
 * Runs before the dispatch loop, so it is ordinary TypeScript (never traced).
 *
 * Tiny is a small, dynamically typed, Python-like language: blocks by indentation,
 * `def` for functions, `{x: 1, y: 2}` for records.
 *
 * Grammar (EBNF; NEWLINE, INDENT and DEDENT come from the lexer):
 *
 *     program    = { statement } EOF
 *     statement  = if | while | def | simple { ";" simple } [ ";" ] NEWLINE
 *     if         = "if" expr ":" block { "elif" expr ":" block } [ "else" ":" block ]
 *     while      = "while" expr ":" block
 *     def        = "def" NAME "(" [ NAME { "," NAME } [ "," ] ] ")" ":" block
 *     block      = NEWLINE INDENT statement { statement } DEDENT
 *                | simple { ";" simple } [ ";" ] NEWLINE           (on the same line)
 *     simple     = "pass" | "break" | "continue" | "return" [ expr ]
 *                | expr [ "=" expr ]                  (target: NAME or postfix "." NAME)
 *     expr       = and { "or" and }
 *     and        = not { "and" not }
 *     not        = "not" not | comparison
 *     comparison = sum [ ( "<" | "<=" | ">" | ">=" | "==" | "!=" ) sum ]   (no chaining)
 *     sum        = term { ( "+" | "-" ) term }
 *     term       = unary { ( "*" | "/" | "%" ) unary }
 *     unary      = "-" unary | postfix
 *     postfix    = atom { "(" [ expr { "," expr } [ "," ] ] ")" | "." NAME }
 *     atom       = INT | FLOAT | STRING | "True" | "False" | "None" | NAME
 *                | "(" expr ")" | "{" [ NAME ":" expr { "," NAME ":" expr } [ "," ] ] "}"
 *
 * Operators bind as listed, loosest first; binary operators are left-associative.
 * `def` is a statement of the top level only (functions are global, no closures).
 * The built-in functions print, str, int, float, len and sqrt can only be called.
 * Syntax errors are guest errors: `syntax error at LINE:COL: message`.
 */

import { syntaxError, tokenize, type Token, type TokenKind } from "./lexer.js";

/** Where a node starts in the source (1-based). */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

export type Expr =
  | (Pos & { readonly k: "int"; readonly value: number })
  | (Pos & { readonly k: "float"; readonly value: number })
  | (Pos & { readonly k: "str"; readonly value: string })
  | (Pos & { readonly k: "const"; readonly value: "True" | "False" | "None" })
  | (Pos & { readonly k: "name"; readonly name: string })
  /** Arithmetic and comparison; the position is the operator's. */
  | (Pos & { readonly k: "binary"; readonly op: string; readonly left: Expr; readonly right: Expr })
  | (Pos & { readonly k: "neg"; readonly operand: Expr })
  | (Pos & { readonly k: "not"; readonly operand: Expr })
  | (Pos & { readonly k: "logic"; readonly op: "and" | "or"; readonly left: Expr; readonly right: Expr })
  | (Pos & { readonly k: "call"; readonly callee: Expr; readonly args: readonly Expr[] })
  | (Pos & { readonly k: "field"; readonly obj: Expr; readonly name: string })
  | (Pos & { readonly k: "record"; readonly fields: readonly { readonly name: string; readonly value: Expr }[] });

export type Stmt =
  | (Pos & { readonly k: "expr"; readonly expr: Expr })
  | (Pos & { readonly k: "assign"; readonly target: Expr; readonly value: Expr })
  | (Pos & { readonly k: "if"; readonly cond: Expr; readonly then: readonly Stmt[]; readonly orelse: readonly Stmt[] })
  | (Pos & { readonly k: "while"; readonly cond: Expr; readonly body: readonly Stmt[] })
  | (Pos & { readonly k: "def"; readonly name: string; readonly params: readonly (Pos & { readonly name: string })[]; readonly body: readonly Stmt[] })
  | (Pos & { readonly k: "return"; readonly value: Expr | null })
  | (Pos & { readonly k: "break" })
  | (Pos & { readonly k: "continue" })
  | (Pos & { readonly k: "pass" });

const COMPARISONS: ReadonlySet<string> = new Set(["<", "<=", ">", ">=", "==", "!="]);

/** Parses a whole program. */
export function parse(source: string): Stmt[] {
  return new Parser(tokenize(source)).program();
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  // ---- token helpers ----

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== "eof") this.pos++;
    return t;
  }
  private at(kind: TokenKind, text?: string): boolean {
    const t = this.peek();
    return t.kind === kind && (text === undefined || t.text === text);
  }
  private accept(kind: TokenKind, text?: string): Token | null {
    return this.at(kind, text) ? this.next() : null;
  }
  private expect(kind: TokenKind, text: string | undefined, what: string): Token {
    const t = this.accept(kind, text);
    if (!t) throw this.error(this.peek(), `expected ${what}, found ${describe(this.peek())}`);
    return t;
  }
  private error(t: Pos, message: string): Error {
    return syntaxError(t.line, t.col, message);
  }

  // ---- statements ----

  program(): Stmt[] {
    const body: Stmt[] = [];
    while (!this.at("eof")) body.push(...this.statement());
    return body;
  }

  /** One statement, or several simple ones on a line separated by `;`. */
  private statement(): Stmt[] {
    const t = this.peek();
    if (t.kind === "indent") throw this.error(t, "unexpected indentation");
    if (t.kind === "keyword") {
      if (t.text === "if") return [this.ifStatement()];
      if (t.text === "while") {
        this.next();
        const cond = this.expr();
        return [{ k: "while", cond, body: this.block("while"), line: t.line, col: t.col }];
      }
      if (t.text === "def") return [this.def()];
      if (t.text === "elif" || t.text === "else") throw this.error(t, `'${t.text}' without a matching 'if'`);
    }
    return this.simpleLine();
  }

  private ifStatement(): Stmt {
    const t = this.next(); // if or elif
    const cond = this.expr();
    const then = this.block(t.text);
    let orelse: Stmt[] = [];
    if (this.at("keyword", "elif")) orelse = [this.ifStatement()];
    else if (this.accept("keyword", "else")) orelse = this.block("else");
    return { k: "if", cond, then, orelse, line: t.line, col: t.col };
  }

  private def(): Stmt {
    const t = this.next();
    const name = this.expect("name", undefined, "a function name after 'def'");
    this.expect("op", "(", "'(' after the function name");
    const params: (Pos & { name: string })[] = [];
    while (!this.at("op", ")")) {
      const p = this.expect("name", undefined, "a parameter name");
      params.push({ name: p.text, line: p.line, col: p.col });
      if (!this.accept("op", ",")) break;
    }
    this.expect("op", ")", "',' or ')' in the parameter list");
    return { k: "def", name: name.text, params, body: this.block("def"), line: t.line, col: t.col };
  }

  /** `: NEWLINE INDENT statements DEDENT` or `: simple statements NEWLINE`. */
  private block(after: string): Stmt[] {
    this.expect("op", ":", `':' to end the '${after}' line`);
    if (!this.accept("newline")) return this.simpleLine();
    if (!this.accept("indent")) throw this.error(this.peek(), `expected an indented block after '${after}'`);
    const body: Stmt[] = [];
    while (!this.accept("dedent")) body.push(...this.statement());
    return body;
  }

  private simpleLine(): Stmt[] {
    const out = [this.simple()];
    while (this.accept("op", ";")) {
      if (this.at("newline")) break;
      out.push(this.simple());
    }
    this.expect("newline", undefined, "the end of the line");
    return out;
  }

  private simple(): Stmt {
    const t = this.peek();
    if (t.kind === "keyword") {
      switch (t.text) {
        case "pass":
        case "break":
        case "continue":
          this.next();
          return { k: t.text as "pass" | "break" | "continue", line: t.line, col: t.col };
        case "return": {
          this.next();
          const value = this.at("newline") || this.at("op", ";") ? null : this.expr();
          return { k: "return", value, line: t.line, col: t.col };
        }
        case "if":
        case "while":
        case "def":
          throw this.error(t, `'${t.text}' must start its own line`);
      }
    }
    const e = this.expr();
    const eq = this.accept("op", "=");
    if (!eq) return { k: "expr", expr: e, line: t.line, col: t.col };
    if (e.k !== "name" && e.k !== "field") throw this.error(t, "cannot assign to this expression (only to a variable or a field)");
    const value = this.expr();
    return { k: "assign", target: e, value, line: eq.line, col: eq.col };
  }

  // ---- expressions ----

  private expr(): Expr {
    let left = this.and();
    for (let t = this.accept("keyword", "or"); t; t = this.accept("keyword", "or")) {
      left = { k: "logic", op: "or", left, right: this.and(), line: t.line, col: t.col };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    for (let t = this.accept("keyword", "and"); t; t = this.accept("keyword", "and")) {
      left = { k: "logic", op: "and", left, right: this.not(), line: t.line, col: t.col };
    }
    return left;
  }

  private not(): Expr {
    const t = this.accept("keyword", "not");
    if (t) return { k: "not", operand: this.not(), line: t.line, col: t.col };
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.sum();
    const t = this.peek();
    if (t.kind !== "op" || !COMPARISONS.has(t.text)) return left;
    this.next();
    const e: Expr = { k: "binary", op: t.text, left, right: this.sum(), line: t.line, col: t.col };
    const u = this.peek();
    if (u.kind === "op" && COMPARISONS.has(u.text)) throw this.error(u, "comparisons cannot be chained (use 'and')");
    return e;
  }

  private sum(): Expr {
    let left = this.term();
    for (;;) {
      const t = this.peek();
      if (t.kind !== "op" || (t.text !== "+" && t.text !== "-")) return left;
      this.next();
      left = { k: "binary", op: t.text, left, right: this.term(), line: t.line, col: t.col };
    }
  }

  private term(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== "op" || (t.text !== "*" && t.text !== "/" && t.text !== "%")) return left;
      this.next();
      left = { k: "binary", op: t.text, left, right: this.unary(), line: t.line, col: t.col };
    }
  }

  private unary(): Expr {
    const t = this.accept("op", "-");
    if (t) return { k: "neg", operand: this.unary(), line: t.line, col: t.col };
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.atom();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && t.text === "(") {
        this.next();
        const args: Expr[] = [];
        while (!this.at("op", ")")) {
          args.push(this.expr());
          if (!this.accept("op", ",")) break;
        }
        this.expect("op", ")", "',' or ')' in the argument list");
        e = { k: "call", callee: e, args, line: t.line, col: t.col };
      } else if (t.kind === "op" && t.text === ".") {
        this.next();
        const name = this.expect("name", undefined, "a field name after '.'");
        e = { k: "field", obj: e, name: name.text, line: name.line, col: name.col };
      } else return e;
    }
  }

  private atom(): Expr {
    const t = this.peek();
    const pos = { line: t.line, col: t.col };
    switch (t.kind) {
      case "int":
        this.next();
        return { k: "int", value: t.num, ...pos };
      case "float":
        this.next();
        return { k: "float", value: t.num, ...pos };
      case "str":
        this.next();
        return { k: "str", value: t.text, ...pos };
      case "name":
        this.next();
        return { k: "name", name: t.text, ...pos };
      case "keyword":
        if (t.text === "True" || t.text === "False" || t.text === "None") {
          this.next();
          return { k: "const", value: t.text, ...pos };
        }
        break;
      case "op":
        if (t.text === "(") {
          this.next();
          const e = this.expr();
          this.expect("op", ")", "')'");
          return e;
        }
        if (t.text === "{") return this.record();
        break;
    }
    throw this.error(t, `expected an expression, found ${describe(t)}`);
  }

  private record(): Expr {
    const open = this.next();
    const fields: { name: string; value: Expr }[] = [];
    const seen = new Set<string>();
    while (!this.at("op", "}")) {
      const name = this.expect("name", undefined, "a field name");
      if (seen.has(name.text)) throw this.error(name, `duplicate field '${name.text}' in a record`);
      seen.add(name.text);
      this.expect("op", ":", "':' after the field name");
      fields.push({ name: name.text, value: this.expr() });
      if (!this.accept("op", ",")) break;
    }
    this.expect("op", "}", "',' or '}' in the record");
    return { k: "record", fields, line: open.line, col: open.col };
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "the end of the program";
    case "newline":
      return "the end of the line";
    case "indent":
      return "an indented line";
    case "dedent":
      return "the end of the block";
    case "str":
      return "a string";
    case "int":
    case "float":
      return `number ${t.text}`;
    default:
      return `'${t.text}'`;
  }
}
