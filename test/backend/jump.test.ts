/**
 * @fileoverview Backend tests of a `jump` to another tree: it calls that tree's
 * function with the jump's arguments as its inputs; when the tree cannot be entered
 * there (it is a stub, it is already running below on the JS stack, or the stack budget
 * is spent) the function returns the jump code `-1 - id` with the arguments in `X`, for
 * whoever runs the target next.
 */

import { describe, expect, it } from "vitest";
import { CodeSpace, FINISH, STACK_BUDGET, type TraceTree } from "../../src/backend/compile.js";
import type { TargetToken } from "../../src/ir/descr.js";
import { parseTrace } from "../../src/ir/parser.js";
import { trace } from "../support/text.js";

/** A loop whose one pass adds 100 to its input and jumps to the tree of `Other`. */
const JUMPER = trace`
  # loop
  [p0, n1]
  label(p0, n1, descr=Jumper)
  n2 = num_add(n1, 100)
  jump(p0, n2, descr=Other)
`;

/** What `Other` is when compiled: it finishes with its second input, plus 1. */
const OTHER = trace`
  # entry
  [p0, n1]
  n2 = num_add(n1, 1)
  finish(n2)
`;

/** A code space with JUMPER compiled; `other` is the token its jump targets. */
function jumper(): { space: CodeSpace; other: TargetToken; run: (p: unknown, n: number) => number } {
  const space = new CodeSpace(3000, 50);
  const t = parseTrace(JUMPER);
  const own = t.ops[0]!.descr as TargetToken;
  const other = t.ops.at(-1)!.descr as TargetToken;
  const tree = space.addTree(t, own, "Jumper");
  // The last argument: the weight of the compiled frames below (see the backend overview).
  return { space, other, run: (p, n) => tree.body(p, n, space.depth[0]) as number };
}

describe("backend: jump to another tree", () => {
  it("enters the target's compiled code with the jump's arguments as its inputs", () => {
    const { space, other, run } = jumper();
    const target = space.addTree(parseTrace(OTHER), other, "Other");
    expect(run({}, 1)).toBe(FINISH);
    expect(space.buffer[0]).toBe(102);
    expect(target.active).toBe(0);
    expect(space.depth[0]).toBe(0);
  });

  it("to a stub: returns its jump code with the arguments in X", () => {
    const { space, other, run } = jumper();
    const stub = space.stub(other);
    const frame = {};
    expect(run(frame, 1)).toBe(-1 - stub.id);
    // The arguments, not the stack depth passed after them.
    expect(space.buffer).toEqual([frame, 101]);
  });

  // A tree running below on the stack, or the stack budget spent: the target is not
  // called, and whoever runs it next finds its inputs in X.
  it.each([
    ["to a tree running below on the stack", (_space: CodeSpace, target: TraceTree) => (target.active = 1)],
    ["past the stack budget", (space: CodeSpace) => (space.depth[0] = STACK_BUDGET)],
  ])("%s: does not call it, returns its jump code with the arguments in X", (_what, block) => {
    const { space, other, run } = jumper();
    const target = space.addTree(parseTrace(OTHER), other, "Other");
    block(space, target);
    const frame = {};
    expect(run(frame, 1)).toBe(-1 - target.id);
    expect(space.buffer.slice(0, 2)).toEqual([frame, 101]);
  });
});
