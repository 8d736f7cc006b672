/**
 * @fileoverview Backend tests of shared code: trees whose functions have the same source
 * (but for their exit indices and jump codes, which they read from their own array P)
 * are closures made by one factory, so that V8 compiles their code once; each still
 * leaves through its own exits. `shareCode` off, each tree gets a factory of its own.
 */

import { describe, expect, it } from "vitest";
import { CodeSpace, FINISH, MAX_TREES } from "../../src/backend/compile.js";
import { TargetToken } from "../../src/ir/descr.js";
import { parseTrace } from "../../src/ir/parser.js";
import { trace } from "../support/text.js";

/** An entry that finishes with n + k, and exits when n is not below 10. */
const entry = (k: number): string => trace`
  # entry
  [n0]
  b1 = num_lt(n0, 10)
  guard_true(b1) [n0]
  n2 = num_add(n0, ${k})
  finish(n2)
`;

function compileAll(space: CodeSpace, texts: string[]) {
  return texts.map((text, i) => {
    return space.addTree(parseTrace(text), new TargetToken(`E${i}`), `Entry${i}`);
  });
}

describe("backend: shared code", () => {
  it("makes trees of the same source with one factory; each leaves through its own exit", () => {
    const space = new CodeSpace(3000, 50);
    const [a, b, c] = compileAll(space, [entry(1), entry(1), entry(2)]);
    expect(space.functions).toEqual({ compiled: 3, sharingCode: 1 });
    expect(space.factories.size).toBe(2);
    expect(a!.codeOf).toBe("Entry0");
    expect(b!.codeOf).toBe("Entry0");
    expect(c!.codeOf).toBe("Entry2");
    expect(b!.body).not.toBe(a!.body);
    // Each tree's guard has its own exit index, which its function returns.
    const [ea, eb] = [a!, b!].map((t) => t.exits[0]!.index);
    expect(ea).not.toBe(eb);
    expect(a!.body(20, 0)).toBe(ea);
    expect(b!.body(20, 0)).toBe(eb);
    expect(b!.body(3, 0)).toBe(FINISH);
    expect(space.buffer[0]).toBe(4);
    expect(c!.body(3, 0)).toBe(FINISH);
    expect(space.buffer[0]).toBe(5);
  });

  it("with shareCode off, gives every tree a factory of its own", () => {
    const space = new CodeSpace(3000, 50, MAX_TREES, false);
    const [a, b] = compileAll(space, [entry(1), entry(1)]);
    expect(space.functions).toEqual({ compiled: 2, sharingCode: 0 });
    expect(space.factories.size).toBe(0);
    expect(b!.codeOf).toBe("Entry1");
    expect(a!.body(20, 0)).toBe(a!.exits[0]!.index);
    expect(b!.body(20, 0)).toBe(b!.exits[0]!.index);
  });
});
