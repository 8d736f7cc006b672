/**
 * @fileoverview Backend tests of the two ops that make guest calls compiled: `finish`
 * (a compiled function returns FINISH with the portal's result in the exit buffer,
 * also out of a loop) and `call_assembler` (calls the code behind its target token,
 * counts the caller's frame in the stack depth while the callee runs, and leaves
 * through the guard_no_exception after it when the callee throws).
 */

import { describe, expect, it } from "vitest";
import { CodeSpace, FINISH } from "../../src/backend/compile.js";
import { TargetToken } from "../../src/ir/descr.js";
import { parseTrace } from "../../src/ir/parser.js";
import type { Trace } from "../../src/ir/trace.js";
import { trace } from "../support/text.js";

/** Compiles `text` as a tree of a fresh code space; returns the space and a runner. */
function compiled(text: string): { space: CodeSpace; t: Trace; run: (...inputs: unknown[]) => number } {
  const space = new CodeSpace(3000, 50);
  const t = parseTrace(text);
  const token = (t.ops.find((op) => op.name === "label")?.descr as TargetToken | undefined) ?? new TargetToken("Entry");
  const tree = space.addTree(t, token, "Entry");
  return {
    space,
    t,
    run: (...inputs) => {
      inputs.forEach((v, i) => (space.buffer[i] = v));
      return tree.fn();
    },
  };
}

/** The target token of the first call_assembler of `t`. */
function callee(t: Trace): TargetToken {
  return t.ops.find((op) => op.name === "call_assembler")!.descr as TargetToken;
}

describe("backend: finish", () => {
  it("returns FINISH with its argument in X[0]", () => {
    const { space, run } = compiled(trace`
      # entry
      [n0]
      n1 = num_add(n0, 1)
      finish(n1)
    `);
    expect(run(41)).toBe(FINISH);
    expect(space.buffer[0]).toBe(42);
  });

  it("leaves a loop, and finish() without an argument returns undefined", () => {
    const { space, run } = compiled(trace`
      # loop
      [n0]
      label(n0, descr=L)
      n1 = num_add(n0, 1)
      b2 = num_lt(n1, 10)
      guard_true(b2) [n1]
      jump(n1, descr=L)
    `);
    // Without a bridge, the guard's exit: its index, the fail argument in X[0].
    const r = run(0);
    expect(r).toBeGreaterThanOrEqual(0);
    expect(space.buffer[0]).toBe(10);
    const { space: s2, run: run2 } = compiled(trace`
      # entry
      [n0]
      finish()
    `);
    s2.buffer[0] = "stale";
    expect(run2(1)).toBe(FINISH);
    expect(s2.buffer[0]).toBe(undefined);
  });
});

describe("backend: call_assembler", () => {
  const ENTRY = trace`
    # entry
    [p0, n1]
    v2 = call_assembler(p0, n1, descr=Callee)
    guard_no_exception() [p0, n1]
    finish(v2)
  `;

  it("calls the code behind its token with its arguments, its result flowing on", () => {
    const { space, t, run } = compiled(ENTRY);
    const seen: unknown[][] = [];
    callee(t).assembler = (...args) => {
      seen.push(args);
      return "result";
    };
    const frame = { any: "object" };
    expect(run(frame, 7)).toBe(FINISH);
    expect(space.buffer[0]).toBe("result");
    expect(seen).toEqual([[frame, 7]]);
  });

  it("counts the caller's frame in the stack depth while the callee runs, and only then", () => {
    const { space, t, run } = compiled(ENTRY);
    let during = -1;
    callee(t).assembler = () => (during = space.depth[0]!);
    expect(run({}, 1)).toBe(FINISH);
    expect(during).toBeGreaterThan(0);
    expect(space.depth[0]).toBe(0);
  });

  it("leaves through guard_no_exception when the callee throws, the error in X.exc", () => {
    const { space, t, run } = compiled(ENTRY);
    const error = new Error("deep in the callee");
    callee(t).assembler = () => {
      throw error;
    };
    const frame = {};
    const r = run(frame, 3);
    expect(r).toBeGreaterThanOrEqual(0);
    expect(space.exits[r]!.guard.name).toBe("guard_no_exception");
    expect(space.buffer.exc).toBe(error);
    expect(space.buffer.slice(0, 2)).toEqual([frame, 3]);
    expect(space.depth[0]).toBe(0);
  });
});
