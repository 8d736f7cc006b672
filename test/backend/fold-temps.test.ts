/**
 * @fileoverview Tests of the backend's peephole that writes a single-use temporary into
 * the next line (`fold-temps.ts`), text in / text out, including every case where it
 * must not fold; and of what it gives on a compiled tree: the guard's comparison in the
 * `if`, the failed condition a constant in the exit, results unchanged.
 */

import { describe, expect, it } from "vitest";
import { CodeSpace } from "../../src/backend/compile.js";
import { foldSingleUseTemps } from "../../src/backend/fold-temps.js";
import type { TargetToken } from "../../src/ir/descr.js";
import { parseTrace } from "../../src/ir/parser.js";
import { trace } from "../support/text.js";

const fold = (text: string): string => foldSingleUseTemps(text.split("\n")).join("\n");

describe("foldSingleUseTemps", () => {
  it("writes a temporary used once, on the next line, into that line, as one operand", () => {
    expect(fold("  const v1 = (v0 < 0);\n  if (!!v1) {")).toBe("  if (!!(v0 < 0)) {");
    expect(fold("const v1 = v0 < 0;\nif (!!v1) {")).toBe("if (!!(v0 < 0)) {");
    expect(fold("const v1 = i0.cells[v2];\nif (!(v1 !== 0)) {")).toBe("if (!(i0.cells[v2] !== 0)) {");
    expect(fold("const v1 = (a + 1) * (b + 2);\nconst v2 = (v1 - 3);")).toBe("const v2 = (((a + 1) * (b + 2)) - 3);");
  });

  it("does not fold where the temporary is called: a property read there would become a method call", () => {
    const text = "const v1 = i0.handler;\nconst v2 = v1(v0);";
    expect(fold(text)).toBe(text);
  });

  it("folds chains, so each expression is still evaluated in the order of the lines", () => {
    expect(fold("const v1 = i0.pos;\nconst v2 = (v1 + 9);\nconst v3 = (v2 >= v4);\nif (!!v3) {")).toBe(
      "if (!!((i0.pos + 9) >= v4)) {",
    );
  });

  it("keeps a temporary used twice, or used on a later line only", () => {
    const twice = "const v1 = (v0 + 1);\nif (!(v1 < v1)) {";
    expect(fold(twice)).toBe(twice);
    const later = "const v1 = i0.pos;\n(i0.pos = 3);\nif (!(v1 < 0)) {";
    expect(fold(later)).toBe(later);
    const inExit = "const v1 = (v0 < 0);\nif (!!v1) {\n  o0 = v1; g = 1; break q;\n}";
    expect(fold(inExit)).toBe(inExit);
  });

  it("does not fold into a line that may not evaluate it, or that catches", () => {
    for (const line of ["if (!(v0 != null && v1.constructor === k0)) {", "x = v2 ? v1 : 0;", "y = v2 || v1;", "try { v3 = f(v1); } catch (e) { X.exc = e;"]) {
      const text = `const v1 = i0.pos;\n${line}`;
      expect(fold(text)).toBe(text);
    }
  });

  it("does not fold into a later statement of the line, which may run after an assignment to what it reads", () => {
    const text = "const v15 = (l12 + l11);\nl11 = v14; l12 = v15;";
    expect(fold(text)).toBe(text);
    expect(fold("const v15 = (l12 + l11);\nl12 = v15; l11 = v14;")).toBe("l12 = (l12 + l11); l11 = v14;");
  });

  it("counts a field named like a temporary as no use of it", () => {
    expect(fold("const v3 = (v0 + 1);\n(i0.v3 = v3);")).toBe("(i0.v3 = (v0 + 1));");
    const field = "const v3 = i0.v3;\n(v1.v3 = v2);";
    expect(fold(field)).toBe(field);
  });
});

describe("a compiled tree", () => {
  /** Counts down from its input; the guard's comparison leaves with its value. */
  const COUNTDOWN = trace`
    # loop
    [n0]
    label(n0, descr=Countdown)
    n1 = num_sub(n0, 1)
    b2 = num_gt(n1, 0)
    guard_true(b2) [n1, b2]
    jump(n1, descr=Countdown)
  `;

  it("has the guard's comparison in its if, the failed condition as false in the exit, and the same results", () => {
    const space = new CodeSpace(3000, 50);
    const t = parseTrace(COUNTDOWN);
    const tree = space.addTree(t, t.ops[0]!.descr as TargetToken, "Countdown");
    expect(tree.source).toMatch(/if \(!\(v\d+ > 0\)\) \{/);
    expect(tree.source).toMatch(/o0 = v\d+; o1 = false; g = p\d+; break q;/);
    expect(tree.source).not.toMatch(/const v\d+ = \(v\d+ > 0\)/);
    const r = tree.body(5, 0);
    expect(r).toBe(0);
    expect(space.buffer.slice(0, 2)).toEqual([0, false]);
  });
});
