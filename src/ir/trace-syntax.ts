/**
 * @fileoverview The lexical half of the trace parser: scans one line of trace text
 * into a small syntax tree (op name, argument names and constants, descriptor text,
 * resume data), with value names still unresolved strings. `parser.ts` resolves the
 * names into values and descriptors and builds the Trace. Kept apart so each half stays
 * small; nothing outside `src/ir/parser.ts` needs this module except for
 * `TraceSyntaxError`, which `parser.ts` re-exports.
 */

import { type OpName, isOpName } from "./ops.js";

/** Malformed trace text; `line` and `column` are 1-based (column 0: the whole line). */
export class TraceSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly detail: string,
    readonly sourceLine: string,
  ) {
    super(`line ${line}${column > 0 ? `:${column}` : ""}: ${detail}${sourceLine ? `\n    ${sourceLine}` : ""}`);
    this.name = "TraceSyntaxError";
  }
}

// ---------------------------------------------------------------------------------
// Syntax trees

export type Arg =
  | { readonly t: "name"; readonly name: string; readonly col: number }
  | { readonly t: "const"; readonly value: unknown; readonly col: number }
  | { readonly t: "ptr"; readonly label: string; readonly col: number };

export interface FrameAst {
  readonly code: string | null;
  readonly pc: number;
  readonly values: Arg[];
}

export type ExtraAst =
  | { readonly t: "object"; readonly key: Arg; readonly cls: string; readonly fields: [string, Arg][] }
  | { readonly t: "array"; readonly key: Arg; readonly descr: string; readonly items: Arg[] }
  | { readonly t: "setfield"; readonly obj: Arg; readonly value: Arg; readonly descr: string }
  | { readonly t: "setitem"; readonly obj: Arg; readonly index: Arg; readonly value: Arg; readonly descr: string };

export interface SnapshotAst {
  readonly frames: FrameAst[];
  readonly extras: ExtraAst[];
}

export interface OpAst {
  readonly line: number;
  readonly text: string;
  readonly result: { readonly name: string; readonly col: number } | null;
  readonly name: OpName;
  readonly args: Arg[];
  readonly descr: { readonly text: string; readonly col: number } | null;
  readonly snapshot: SnapshotAst | null;
  readonly guardIndex: number;
}

export const VALUE_NAME = /^[nbspv]\d+$/;
const CODE_AT_PC = /(\?|[^\s@;,[\]"(){}]+)@(\d+):/y;
const TOKEN = /-?(?:Infinity|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|[A-Za-z_$][\w$]*/y;

// ---------------------------------------------------------------------------------
// Scanning one line

export class LineScanner {
  pos = 0;
  constructor(
    readonly text: string,
    readonly line: number,
  ) {}

  fail(msg: string, at = this.pos): never {
    throw new TraceSyntaxError(this.line, at + 1, msg, this.text);
  }
  spaces(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === " " || this.text[this.pos] === "\t")) this.pos++;
  }
  atEnd(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? "";
  }
  here(): string {
    return this.atEnd() ? "the end of the line" : `'${this.text.slice(this.pos, this.pos + 16)}'`;
  }
  eat(s: string): boolean {
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }
  expect(s: string, context: string): void {
    this.spaces();
    if (!this.eat(s)) this.fail(`expected '${s}' ${context}, found ${this.here()}`);
  }
  /** Matches a sticky regex at the current position, advancing past it on success. */
  match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m) this.pos = re.lastIndex;
    return m;
  }
  word(what: string): string {
    this.spaces();
    const m = this.match(/[A-Za-z_$][\w$]*/y);
    if (!m) this.fail(`expected ${what}, found ${this.here()}`);
    return m[0];
  }
  jsonString(): string {
    const start = this.pos;
    let i = this.pos + 1;
    while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === "\\" ? 2 : 1;
    if (i >= this.text.length) this.fail("unterminated string", start);
    this.pos = i + 1;
    try {
      return JSON.parse(this.text.slice(start, i + 1)) as string;
    } catch {
      return this.fail("malformed string (strings are written as JSON)", start);
    }
  }
  /**
   * The text up to the first character of `stops` outside parentheses, strings and
   * (when `angles`) angle brackets. Used for descriptor names, which may contain spaces,
   * dots, commas inside `<>` and so on.
   */
  until(stops: string, angles: boolean): string {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (depth === 0 && stops.includes(c)) break;
      if (c === '"') {
        this.jsonString();
        continue;
      }
      if (c === "(" || (angles && c === "<")) depth++;
      else if (c === ")" || (angles && c === ">")) depth--;
      this.pos++;
    }
    return this.text.slice(start, this.pos).trim();
  }

  /** A value name or a constant. */
  arg(): Arg {
    this.spaces();
    const col = this.pos;
    if (this.peek() === '"') return { t: "const", value: this.jsonString(), col };
    if (this.eat("ConstPtr(")) {
      const m = this.match(/[\w$.#]+/y);
      if (!m) this.fail("expected a label in ConstPtr(…)");
      this.expect(")", "after the ConstPtr label");
      return { t: "ptr", label: m[0], col };
    }
    const m = this.match(TOKEN);
    if (!m) this.fail(`expected a value or a constant, found ${this.here()}`);
    const w = m[0];
    if (/^-?[\dI]/.test(w) || w === "NaN") return { t: "const", value: Number(w), col };
    switch (w) {
      case "true":
        return { t: "const", value: true, col };
      case "false":
        return { t: "const", value: false, col };
      case "null":
        return { t: "const", value: null, col };
      case "undefined":
        return { t: "const", value: undefined, col };
    }
    if (VALUE_NAME.test(w)) return { t: "name", name: w, col };
    return this.fail(
      `'${w}' is neither a value name (a kind letter n, b, s, p or v and a number) nor a constant ` +
        "(number, JSON string, true, false, null, undefined, ConstPtr(label))",
      col,
    );
  }

  /** Comma-separated args up to (and past) `close`. */
  argList(close: string, context: string): Arg[] {
    const out: Arg[] = [];
    this.spaces();
    if (this.eat(close)) return out;
    for (;;) {
      out.push(this.arg());
      this.spaces();
      if (this.eat(close)) return out;
      if (!this.eat(",")) this.fail(`expected ',' or '${close}' ${context}, found ${this.here()}`);
    }
  }
}

// ---------------------------------------------------------------------------------
// Lines to syntax trees

export function parseOpLine(s: LineScanner): OpAst {
  let result: OpAst["result"] = null;
  const r = s.match(/([A-Za-z_$][\w$]*)\s*=(?!=)\s*/y);
  if (r) {
    if (!VALUE_NAME.test(r[1]!)) s.fail(`'${r[1]}' is not a value name (a kind letter n, b, s, p or v and a number)`, 0);
    result = { name: r[1]!, col: 0 };
  }
  const nameCol = s.pos;
  const name = s.word("an operation name");
  if (!isOpName(name)) s.fail(`unknown operation '${name}'`, nameCol);
  s.expect("(", `after '${name}'`);
  const args: Arg[] = [];
  let descr: OpAst["descr"] = null;
  s.spaces();
  if (!s.eat(")")) {
    for (;;) {
      s.spaces();
      if (s.eat("descr=")) {
        const col = s.pos;
        const text = s.until(")", false);
        if (!text) s.fail("empty descriptor name", col);
        descr = { text, col };
        s.expect(")", "after the descriptor (descr= comes last)");
        break;
      }
      args.push(s.arg());
      s.spaces();
      if (s.eat(")")) break;
      if (!s.eat(",")) s.fail(`expected ',' or ')' in the arguments of ${name}, found ${s.here()}`);
    }
  }
  s.spaces();
  const snapshot = s.peek() === "[" ? parseSnapshot(s) : null;
  s.spaces();
  let guardIndex = -1;
  if (s.eat("#")) {
    const g = /^\s*g(\d+)\s*$/.exec(s.text.slice(s.pos));
    if (g) guardIndex = Number(g[1]);
    s.pos = s.text.length;
  }
  if (!s.atEnd()) s.fail(`unexpected ${s.here()} after the operation`);
  return { line: s.line, text: s.text, result, name, args, descr, snapshot, guardIndex };
}

function parseSnapshot(s: LineScanner): SnapshotAst {
  s.expect("[", "to begin resume data");
  const frames: FrameAst[] = [];
  s.spaces();
  let m = s.match(CODE_AT_PC);
  if (!m) {
    frames.push({ code: null, pc: 0, values: s.argList("]", "in resume data") });
  } else {
    for (;;) {
      const code = m[1] === "?" ? null : m[1]!;
      const values: Arg[] = [];
      s.spaces();
      if (s.peek() !== ";" && s.peek() !== "]") {
        for (;;) {
          values.push(s.arg());
          s.spaces();
          if (!s.eat(",")) break;
        }
      }
      frames.push({ code, pc: Number(m[2]), values });
      s.spaces();
      if (s.eat("]")) break;
      if (!s.eat(";")) s.fail(`expected ',', ';' or ']' in resume data, found ${s.here()}`);
      s.spaces();
      m = s.match(CODE_AT_PC);
      if (!m) s.fail(`expected 'code@pc:' to begin a frame, found ${s.here()}`);
    }
  }
  const extras: ExtraAst[] = [];
  s.spaces();
  if (s.eat("{")) {
    for (;;) {
      extras.push(parseExtra(s));
      s.spaces();
      if (s.eat("}")) break;
      if (!s.eat(";")) s.fail(`expected ';' or '}' in the virtuals of resume data, found ${s.here()}`);
    }
  }
  return { frames, extras };
}

function parseDescrArg(s: LineScanner, what: string): string {
  s.expect(",", `in ${what}`);
  s.expect("descr=", `in ${what}`);
  const text = s.until(")", false);
  if (!text) s.fail("empty descriptor name");
  s.expect(")", `to close ${what}`);
  return text;
}

function parseExtra(s: LineScanner): ExtraAst {
  s.spaces();
  if (s.eat("setfield(")) {
    const obj = s.arg();
    s.expect(",", "in a delayed setfield");
    const value = s.arg();
    return { t: "setfield", obj, value, descr: parseDescrArg(s, "a delayed setfield") };
  }
  if (s.eat("setarrayitem(")) {
    const obj = s.arg();
    s.expect(",", "in a delayed setarrayitem");
    const index = s.arg();
    s.expect(",", "in a delayed setarrayitem");
    const value = s.arg();
    return { t: "setitem", obj, index, value, descr: parseDescrArg(s, "a delayed setarrayitem") };
  }
  const key = s.arg();
  if (key.t !== "name") s.fail("a virtual must be named by a value name", key.col);
  s.expect("=", "after the name of a virtual");
  s.spaces();
  const col = s.pos;
  const descr = s.until("([", true);
  if (!descr) s.fail("expected a class or array descriptor name", col);
  if (s.eat("[")) return { t: "array", key, descr, items: s.argList("]", "in a virtual array") };
  if (!s.eat("(")) s.fail(`expected '(' (virtual object) or '[' (virtual array), found ${s.here()}`);
  const fields: [string, Arg][] = [];
  s.spaces();
  if (!s.eat(")")) {
    for (;;) {
      const f = s.word("a field name");
      s.expect("=", "after a field name");
      fields.push([f, s.arg()]);
      s.spaces();
      if (s.eat(")")) break;
      if (!s.eat(",")) s.fail(`expected ',' or ')' in a virtual object, found ${s.here()}`);
    }
  }
  return { t: "object", key, cls: descr, fields };
}
