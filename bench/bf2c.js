/**
 * @fileoverview A direct Brainfuck-to-C translator: the "what would gcc -O2 make of
 * it" baseline for the bf suite. Deliberately naive — the only rewrite is folding runs
 * of `+-` into one add and runs of `<>` into one move (the same folding the tsjit bf
 * interpreter does), so the comparison is against an ordinary compiler, not a clever
 * Brainfuck compiler.
 *
 * Semantics, matching interpreters/bf: cells are 8-bit unsigned and wrap; `,` at end
 * of input leaves the cell unchanged; `.` is putchar. The tape is 65536 cells and the
 * head STARTS IN THE MIDDLE (cell 32768), so programs that step a little left of their
 * start still run; moves are not bounds-checked (checks would slow the baseline, and
 * the corpus programs stay within a few hundred cells of the start).
 *
 * Also a command: `node bench/bf2c.js prog.b [out.c]` (C to stdout without out.c).
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const TAPE_CELLS = 65536;

/**
 * Translates Brainfuck source to a C program.
 * @param {string} source
 * @param {string} [name]  for the header comment
 * @returns {string} C source
 * @throws {Error} on unbalanced brackets
 */
export function bf2c(source, name = "program") {
  const out = [];
  let depth = 1;
  const emit = (s) => out.push("  ".repeat(depth) + s);
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "+" || c === "-") {
      let n = 0;
      for (; i < source.length && "+-".includes(source[i]); i++) n += source[i] === "+" ? 1 : -1;
      n = ((n % 256) + 256) % 256;
      if (n !== 0) emit(n < 128 ? `*p += ${n};` : `*p -= ${256 - n};`);
      continue;
    }
    if (c === "<" || c === ">") {
      let n = 0;
      for (; i < source.length && "<>".includes(source[i]); i++) n += source[i] === ">" ? 1 : -1;
      if (n !== 0) emit(n > 0 ? `p += ${n};` : `p -= ${-n};`);
      continue;
    }
    if (c === ".") emit("putchar(*p);");
    else if (c === ",") emit("{ int c = getchar(); if (c != EOF) *p = (unsigned char)c; }");
    else if (c === "[") emit("while (*p) {"), depth++;
    else if (c === "]") {
      if (--depth < 1) throw new Error(`${name}: unmatched ']' at offset ${i}`);
      emit("}");
    }
    i++;
  }
  if (depth !== 1) throw new Error(`${name}: ${depth - 1} unmatched '['`);
  return [
    `/* ${name.replaceAll("*/", "* /")}: translated from Brainfuck by bench/bf2c.js */`,
    "#include <stdio.h>",
    "",
    `static unsigned char tape[${TAPE_CELLS}];`,
    "",
    "int main(void) {",
    `  unsigned char *p = tape + ${TAPE_CELLS / 2};`,
    ...out,
    "  return 0;",
    "}",
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (!input) {
    process.stderr.write("usage: node bench/bf2c.js prog.b [out.c]\n");
    process.exit(1);
  }
  try {
    const c = bf2c(readFileSync(input, "latin1"), input);
    if (output) writeFileSync(output, c);
    else process.stdout.write(c);
  } catch (e) {
    process.stderr.write(`bf2c: ${e.message}\n`);
    process.exit(1);
  }
}
