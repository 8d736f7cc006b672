/**
 * @fileoverview Backend tests of bridges compiled on their own and later inlined into
 * their guard's tree: a bridge is called through `x` until it has been called
 * `inlineAfter` times, then the tree is recompiled with it (and with every other
 * out-of-line bridge of the tree called at least a tenth as often); a bridge already
 * inlined that way never recompiles the tree again, although a version of the tree
 * compiled before may go on calling it out of line.
 */

import { describe, expect, it } from "vitest";
import { CodeSpace, FINISH, type GuardExit, type TraceTree } from "../../src/backend/compile.js";
import type { TargetToken } from "../../src/ir/descr.js";
import { parseTrace } from "../../src/ir/parser.js";
import { trace } from "../support/text.js";

/** An entry with two guards: n0 must be below 10, and not 5. */
const ENTRY = trace`
  # entry
  [n0]
  b1 = num_lt(n0, 10)
  guard_true(b1) [n0]
  b2 = eq(n0, 5)
  guard_false(b2) [n0]
  finish(n0)
`;

/** A bridge that finishes with its input plus `k`. */
const bridge = (k: number): string => trace`
  # bridge
  [n0]
  n1 = num_add(n0, ${k})
  finish(n1)
`;

const INLINE_AFTER = 20;

/** The entry compiled, with an out-of-line bridge at each guard, and a count of compilations. */
function setUp(): { space: CodeSpace; tree: TraceTree; exits: GuardExit[]; compiles: Map<string, number> } {
  const space = new CodeSpace(3000, INLINE_AFTER);
  const compiles = new Map<string, number>();
  space.onCompiled = (t) => compiles.set(t.name, (compiles.get(t.name) ?? 0) + 1);
  const t = parseTrace(ENTRY);
  const tree = space.addTree(t, t.ops[0]!.descr as TargetToken, "Entry");
  const exits = [...space.exits];
  space.addBridge(exits[0]!, parseTrace(bridge(100)), "Entry");
  space.addBridge(exits[1]!, parseTrace(bridge(1000)), "Entry");
  return { space, tree, exits, compiles };
}

/** Runs the tree's current function on n and returns the value it finished with. */
function run(space: CodeSpace, tree: TraceTree, n: number): unknown {
  space.buffer[0] = n;
  expect(tree.fn()).toBe(FINISH);
  return space.buffer[0];
}

describe("out-of-line bridges", () => {
  it("run out of line, then inlined into the tree after inlineAfter calls, with the same results", () => {
    const { space, tree, compiles } = setUp();
    expect(compiles.get("Entry")).toBe(1);
    for (let i = 0; i < INLINE_AFTER - 1; i++) expect(run(space, tree, 12)).toBe(112);
    expect(tree.bridges.size).toBe(0);
    expect(run(space, tree, 12)).toBe(112);
    expect(tree.bridges.size).toBe(1);
    expect(compiles.get("Entry")).toBe(2);
    expect(tree.source).toMatch(/\+ 100/);
    expect(run(space, tree, 12)).toBe(112);
    expect(run(space, tree, 5)).toBe(1005);
  });

  it("take along a bridge called often enough, which then never recompiles the tree again", () => {
    const { space, tree, exits, compiles } = setUp();
    const old = tree.fn;
    // The second guard's bridge: called a tenth of inlineAfter times, out of line.
    for (let i = 0; i < INLINE_AFTER / 10; i++) expect(run(space, tree, 5)).toBe(1005);
    for (let i = 0; i < INLINE_AFTER; i++) expect(run(space, tree, 12)).toBe(112);
    expect(tree.bridges.size).toBe(2);
    expect(compiles.get("Entry")).toBe(2);
    // The version compiled before keeps calling the second bridge out of line, up to
    // inlineAfter calls and beyond: no recompilation.
    for (let i = 0; i < INLINE_AFTER; i++) {
      space.buffer[0] = 5;
      expect(old()).toBe(FINISH);
      expect(space.buffer[0]).toBe(1005);
    }
    expect(compiles.get("Entry")).toBe(2);
    expect(exits[1]!.tree).toBe(tree);
  });
});
