/**
 * @fileoverview Tests of the pass pipeline: pass names and order, `enable`, unknown
 * passes, rule counters and their rendering, and the passes working together on a
 * whole interpreter-shaped loop.
 */

import { describe, expect, it } from "vitest";
import { ArrayDescr, FieldDescr } from "../../src/ir/descr.js";
import { parseTrace } from "../../src/ir/parser.js";
import { printTrace } from "../../src/ir/printer.js";
import { ALL_PASSES, formatOptStats, newOptStats, optimize } from "../../src/optimizer/pipeline.js";
import { trace } from "../support/text.js";
import { opt } from "./run.js";

class Program {
  constructor(readonly code: readonly number[]) {}
}

const LOOP = trace`
  # loop toy: pc=2
  [p0, n1, n2]
  label(p0, n1, n2, descr=Loop0)
  debug_merge_point("pc=2")
  guard_value(p0, ConstPtr(Program#0)) [run@0: p0, n1, n2]
  p3 = getfield(p0, descr=Program.code)
  n4 = getarrayitem(p3, 2, descr=readonly Array<number>)
  b5 = eq(n4, 7)
  guard_true(b5) [run@1: p0, n1, n2]
  n6 = num_add(n1, n2)
  n7 = num_add(n2, n1)
  n8 = num_mul(n6, 1)
  b9 = num_lt(n7, 100)
  b10 = bool_not(b9)
  guard_false(b10) [run@5: p0, n8, n2]
  n11 = int_and(n8, 255)
  n12 = num_add(n11, 0)
  jump(p0, n12, n2, descr=Loop0)
`;

function env() {
  return {
    consts: { "Program#0": new Program([0, 0, 7]) },
    descrs: {
      code: new FieldDescr("Program", "code", "p", true),
      items: new ArrayDescr("Array", "number", "n", true),
    },
  };
}

describe("optimize", () => {
  it("lists the passes in order", () => {
    expect(ALL_PASSES).toEqual(["rewrite", "pure", "virtualize", "heap", "intbounds", "unroll", "dce"]);
  });

  it("runs every pass by default and the passes work together", () => {
    const r = opt(LOOP, undefined, env());
    // Peeled: the guard on the constant program stays in the preamble; n2 is loop
    // invariant, n5 the one loop-carried value.
    expect(r.text).toBe(trace`
      # loop toy: pc=2
      [p0, n1, n2]
      label(p0, n1, n2, descr=Loop0)
      debug_merge_point("pc=2")
      guard_value(p0, ConstPtr(Program#0)) [run@0: p0, n1, n2]
      n3 = num_add(n1, n2)
      b4 = num_lt(n3, 100)
      guard_true(b4) [run@5: ConstPtr(Program#0), n3, n2]
      n5 = int_and(n3, 255)
      label(n5, descr=Loop0.body)
      debug_merge_point("pc=2")
      n6 = num_add(n5, n2)
      b7 = num_lt(n6, 100)
      guard_true(b7) [run@5: ConstPtr(Program#0), n6, n2]
      n8 = int_and(n6, 255)
      jump(n8, descr=Loop0.body)
    `);
    expect(r.rules).toEqual({
      "guard-value-makes-const": 1,
      "fold-readonly-field": 2,
      "fold-readonly-item": 2,
      "fold-pure-const": 2,
      "guard-const-true": 3,
      "num-mul-one": 2,
      "guard-not-flip": 2,
      "guard-bool-makes-const": 2,
      "num-add-zero": 2,
      "cse-pure": 2,
      "unroll-peeled": 1,
      "unroll-phi": 1,
      "dce-unused": 2,
    });
  });

  it("without unroll, runs the passes over the loop as it is", () => {
    const r = opt(LOOP, ["rewrite", "pure", "heap", "dce"], env());
    expect(r.text).toBe(trace`
      # loop toy: pc=2
      [p0, n1, n2]
      label(p0, n1, n2, descr=Loop0)
      debug_merge_point("pc=2")
      guard_value(p0, ConstPtr(Program#0)) [run@0: p0, n1, n2]
      n3 = num_add(n1, n2)
      b4 = num_lt(n3, 100)
      guard_true(b4) [run@5: ConstPtr(Program#0), n3, n2]
      n5 = int_and(n3, 255)
      jump(ConstPtr(Program#0), n5, n2, descr=Loop0)
    `);
  });

  it("runs only the enabled passes, in table order", () => {
    const t = parseTrace(LOOP, env());
    expect(printTrace(optimize(t, { enable: [] }))).toBe(LOOP);
    const onlyDce = printTrace(optimize(t, { enable: ["dce"] }));
    expect(onlyDce).toBe(LOOP);
    // dce runs after rewrite whatever the order given, so it removes what rewrite left dead.
    const stats = newOptStats();
    optimize(t, { enable: ["dce", "rewrite"], stats });
    expect(stats.rules.get("dce-unused")).toBe(1);
    expect(stats.rules.has("cse-pure")).toBe(false);
  });

  it("rejects unknown passes", () => {
    expect(() => optimize(parseTrace("[n0]\nfinish(n0)"), { enable: ["heap!"] })).toThrow(/unknown optimizer pass 'heap!'/);
  });

  it("renders rule counts", () => {
    const stats = newOptStats();
    expect(formatOptStats(stats)).toBe("(no rules applied)\n");
    optimize(parseTrace(LOOP, env()), { stats });
    expect(formatOptStats(stats)).toContain("cse-pure                 2\n");
    expect(formatOptStats(stats).split("\n")[0]).toBe("cse-pure                 2");
  });
});
