/**
 * @fileoverview Backend tests of the two ops that make guest calls compiled: `finish`
 * (a compiled function returns FINISH with the portal's result in the exit buffer) and `call_assembler` (calls the tree behind its target token
 * directly, hands the engine a callee that did not finish or was not called past the
 * stack budget, counts the caller's frame in the stack depth meanwhile, and leaves
 * through the guard_no_exception after it when the call throws).
 */

import { describe, expect, it } from "vitest";
import { CALL_BUDGET, CodeSpace, FINISH, OVER_BUDGET } from "../../src/backend/compile.js";
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

  it("finish() without an argument leaves undefined in X[0]", () => {
    const { space, run } = compiled(trace`
      # entry
      [n0]
      finish()
    `);
    space.buffer[0] = "stale";
    expect(run(1)).toBe(FINISH);
    expect(space.buffer[0]).toBe(undefined);
  });
});

describe("backend: call_assembler", () => {
  const CALLER = trace`
    # entry
    [p0, n1]
    v2 = call_assembler(p0, n1, descr=Callee)
    guard_no_exception() [p0, n1]
    finish(v2)
  `;
  /** A caller that passes the callee other values than its own inputs (so X shows which). */
  const CALLER_PLUS_100 = trace`
    # entry
    [p0, n1]
    n2 = num_add(n1, 100)
    v3 = call_assembler(p0, n2, descr=Callee)
    guard_no_exception() [p0, n1]
    finish(v3)
  `;
  /** A callee entered at `token`: finishes with n1 + 1, or fails its guard when n1 is 13. */
  const CALLEE = trace`
    # entry
    [p0, n1]
    b2 = ne(n1, 13)
    guard_true(b2) [p0, n1]
    n3 = num_add(n1, 1)
    finish(n3)
  `;

  it("calls the callee's compiled code directly; its finish is the call's result", () => {
    const { space, t, run } = compiled(CALLER);
    const tree = space.addTree(parseTrace(CALLEE), callee(t), "Callee");
    space.onCallExit = () => {
      throw new Error("the engine is not needed");
    };
    expect(run({}, 41)).toBe(FINISH);
    expect(space.buffer[0]).toBe(42);
    expect(tree.calls).toBe(1);
  });

  it("hands the engine a callee that did not finish: a guard exit, with its fail arguments in X", () => {
    const { space, t, run } = compiled(CALLER);
    const tree = space.addTree(parseTrace(CALLEE), callee(t), "Callee");
    const frame = {};
    const seen: [unknown, number, unknown[]][] = [];
    space.onCallExit = (c, r) => {
      seen.push([c, r, space.buffer.slice(0, 2)]);
      return "finished by the engine";
    };
    expect(run(frame, 13)).toBe(FINISH);
    expect(space.buffer[0]).toBe("finished by the engine");
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toBe(tree);
    expect(space.exits[seen[0]![1]]!.guard.name).toBe("guard_true");
    expect(seen[0]![2]).toEqual([frame, 13]);
  });

  it("a callee not compiled yet (a stub) goes to the engine, the caller's frame counted in D meanwhile", () => {
    const { space, t, run } = compiled(CALLER_PLUS_100);
    const stub = space.stub(callee(t));
    let during = -1;
    let code = 0;
    let inputs: unknown[] = [];
    space.onCallExit = (c, r) => {
      expect(c).toBe(stub);
      code = r;
      during = space.depth[0]!;
      inputs = space.buffer.slice(0, 2);
      return 7;
    };
    const frame = {};
    expect(run(frame, 1)).toBe(FINISH);
    expect(space.buffer[0]).toBe(7);
    expect(code).toBe(-1 - stub.id);
    // The call passes the inputs as arguments; the stub leaves them in X for the engine.
    expect(inputs).toEqual([frame, 101]);
    expect(during).toBeGreaterThan(0);
    expect(space.depth[0]).toBe(0);
  });

  it("past the call budget, the callee is not called: the engine gets OVER_BUDGET", () => {
    const { space, t, run } = compiled(CALLER_PLUS_100);
    const tree = space.addTree(parseTrace(CALLEE), callee(t), "Callee");
    let code = 0;
    let inputs: unknown[] = [];
    space.onCallExit = (_c, r) => ((code = r), (inputs = space.buffer.slice(0, 2)), "interpreted");
    space.depth[0] = CALL_BUDGET;
    const frame = {};
    expect(run(frame, 1)).toBe(FINISH);
    expect(space.buffer[0]).toBe("interpreted");
    expect(code).toBe(OVER_BUDGET);
    // Not called: the inputs are in X for the engine, which runs the callee.
    expect(inputs).toEqual([frame, 101]);
    expect(tree.calls).toBe(1);
    expect(space.depth[0]).toBe(CALL_BUDGET);
  });

  it("leaves through guard_no_exception when the call throws, the error in X.exc", () => {
    const { space, t, run } = compiled(CALLER);
    space.stub(callee(t));
    const error = new Error("deep in the callee");
    space.onCallExit = () => {
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

describe("backend: the stack depth at a residual call", () => {
  it("a call of a function sets D[0] to the depth of the caller's frame first: the callee may enter the engine", () => {
    const space = new CodeSpace(3000, 50);
    let during = -1;
    const t = parseTrace(
      trace`
        # entry
        [n0]
        n1 = call(ConstPtr(probe), n0, descr=probe)
        finish(n1)
      `,
      { consts: { probe: (n: number) => ((during = space.depth[0]!), n + 1) } },
    );
    const tree = space.addTree(t, new TargetToken("Entry"), "Entry");
    const weight = Number(/const W = (\d+)/.exec(tree.source)![1]);
    space.depth[0] = 100;
    space.buffer[0] = 1;
    expect(tree.fn()).toBe(FINISH);
    expect(space.buffer[0]).toBe(2);
    expect(weight).toBeGreaterThan(0);
    expect(during).toBe(100 + weight);
  });
});
