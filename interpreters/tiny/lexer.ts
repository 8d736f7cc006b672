/**
 * @fileoverview Tiny's lexer: source text to tokens, with Python-style indentation
 * turned into INDENT and DEDENT tokens (see the grammar in parser.ts).
 *
 * - Comments run from `#` to the end of the line. Blank and comment-only lines are
 *   ignored entirely (they never indent or dedent).
 * - Indentation is spaces only (a tab in indentation is an error). A line indented more
 *   than the previous one opens a block (INDENT); a line indented less closes blocks
 *   (DEDENT) and must line up with an enclosing block.
 * - Inside ( ) and { } newlines and indentation are ignored, so expressions can span
 *   lines.
 * - Numbers: `123` is an int (at most 2**53 - 1), `1.5`, `1e3`, `2.5e-3` are floats
 *   (a float literal needs a digit on both sides of the dot: `1.` is an error).
 * - Strings: '...' or "...", on one line, escapes \n \t \r \0 \\ \' \".
 *
 * Runs before the dispatch loop, so it is ordinary TypeScript (never traced).
 */

import { GuestError } from "tsjit/io";

export type TokenKind = "int" | "float" | "str" | "name" | "keyword" | "op" | "newline" | "indent" | "dedent" | "eof";

export interface Token {
  readonly kind: TokenKind;
  /** The source text (for names, keywords and operators) or the decoded string value. */
  readonly text: string;
  /** The value of a number literal. */
  readonly num: number;
  readonly line: number;
  readonly col: number;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  "if", "elif", "else", "while", "def", "return", "break", "continue", "pass", "and", "or", "not", "True", "False", "None",
]);

const TWO_CHAR_OPS: ReadonlySet<string> = new Set(["<=", ">=", "==", "!="]);
const ONE_CHAR_OPS = "+-*/%<>=(){},:.;";
const OPENERS: Record<string, string> = { "(": ")", "{": "}" };

/** A syntax error at line:col (1-based), reported by the CLI as `error: syntax error at 3:7: ...`. */
export function syntaxError(line: number, col: number, message: string): GuestError {
  return new GuestError(`syntax error at ${line}:${col}: ${message}`);
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isNameStart = (c: string | undefined): boolean => c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_");
const isNameChar = (c: string | undefined): boolean => isNameStart(c) || isDigit(c);

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"' };

/** Splits `src` into tokens; the last one is always `eof`, preceded by a `newline` if there was any token. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const indents = [0];
  /** Open brackets: the bracket and where it is. */
  const brackets: { ch: string; line: number; col: number }[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  const col = (at: number): number => at - lineStart + 1;
  const push = (kind: TokenKind, text: string, at: number, num = 0): void => {
    tokens.push({ kind, text, num, line, col: col(at) });
  };

  while (i < src.length) {
    if (atLineStart && brackets.length === 0) {
      // Measure the indentation of a new logical line.
      let j = i;
      while (j < src.length && (src[j] === " " || src[j] === "\t")) {
        if (src[j] === "\t") throw syntaxError(line, col(j), "tab in indentation (indent with spaces)");
        j++;
      }
      if (j >= src.length) {
        i = j;
        break;
      }
      const c = src[j];
      if (c === "\n" || c === "\r" || c === "#") {
        // Blank or comment-only line: skip it whole.
        while (j < src.length && src[j] !== "\n") j++;
        i = j + 1;
        line++;
        lineStart = i;
        continue;
      }
      const width = j - i;
      i = j;
      atLineStart = false;
      if (width > indents[indents.length - 1]!) {
        indents.push(width);
        push("indent", "", i);
      } else {
        while (width < indents[indents.length - 1]!) {
          indents.pop();
          push("dedent", "", i);
        }
        if (width !== indents[indents.length - 1]) throw syntaxError(line, col(i), "this line's indentation does not match any enclosing block");
      }
      continue;
    }
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "\n") {
      if (brackets.length === 0) {
        push("newline", "", i);
        atLineStart = true;
      }
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (isDigit(c)) {
      i = lexNumber(i);
      continue;
    }
    if (isNameStart(c)) {
      const start = i;
      while (isNameChar(src[i])) i++;
      const word = src.slice(start, i);
      push(KEYWORDS.has(word) ? "keyword" : "name", word, start);
      continue;
    }
    if (c === '"' || c === "'") {
      i = lexString(i);
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      push("op", two, i);
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.includes(c)) {
      if (c === "(" || c === "{") brackets.push({ ch: c, line, col: col(i) });
      else if (c === ")" || c === "}") {
        const open = brackets.pop();
        if (!open) throw syntaxError(line, col(i), `unmatched '${c}'`);
        if (OPENERS[open.ch] !== c) throw syntaxError(line, col(i), `'${c}' does not match '${open.ch}' at ${open.line}:${open.col}`);
      }
      push("op", c, i);
      i++;
      continue;
    }
    if (c === "!") throw syntaxError(line, col(i), "unexpected character '!' (use 'not' for negation, '!=' for inequality)");
    const shown = c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` : c;
    throw syntaxError(line, col(i), `unexpected character '${shown}'`);
  }
  if (brackets.length > 0) {
    const open = brackets[brackets.length - 1]!;
    throw syntaxError(open.line, open.col, `'${open.ch}' was never closed`);
  }
  if (tokens.length > 0 && tokens[tokens.length - 1]!.kind !== "newline") push("newline", "", i);
  while (indents.length > 1) {
    indents.pop();
    push("dedent", "", i);
  }
  push("eof", "", i);
  return tokens;

  function lexNumber(start: number): number {
    let j = start;
    while (isDigit(src[j])) j++;
    let isFloat = false;
    if (src[j] === ".") {
      if (!isDigit(src[j + 1])) throw syntaxError(line, col(start), `malformed number '${src.slice(start, j + 1)}' (a float needs digits after the dot: ${src.slice(start, j)}.0)`);
      isFloat = true;
      j++;
      while (isDigit(src[j])) j++;
    }
    if (src[j] === "e" || src[j] === "E") {
      let k = j + 1;
      if (src[k] === "+" || src[k] === "-") k++;
      if (!isDigit(src[k])) throw syntaxError(line, col(start), `malformed number '${src.slice(start, k)}'`);
      while (isDigit(src[k])) k++;
      isFloat = true;
      j = k;
    }
    if (isNameChar(src[j])) {
      let k = j;
      while (isNameChar(src[k])) k++;
      throw syntaxError(line, col(start), `malformed number '${src.slice(start, k)}'`);
    }
    const text = src.slice(start, j);
    const value = Number(text);
    if (!isFloat && value > 9007199254740991) throw syntaxError(line, col(start), `integer literal ${text} is too large (the limit is 2**53 - 1)`);
    push(isFloat ? "float" : "int", text, start, value);
    return j;
  }

  function lexString(start: number): number {
    const quote = src[start]!;
    let j = start + 1;
    let value = "";
    for (;;) {
      const c = src[j];
      if (c === undefined || c === "\n" || c === "\r") throw syntaxError(line, col(start), "unterminated string");
      if (c === quote) break;
      if (c === "\\") {
        const e = src[j + 1];
        const decoded = e === undefined ? undefined : ESCAPES[e];
        if (decoded === undefined) {
          if (e === undefined || e === "\n") throw syntaxError(line, col(start), "unterminated string");
          throw syntaxError(line, col(j), `unknown escape sequence '\\${e}'`);
        }
        value += decoded;
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    tokens.push({ kind: "str", text: value, num: 0, line, col: col(start) });
    return j + 1;
  }
}
