/**
 * @fileoverview Text-in/text-out tests of the pure pass: CSE of pure ops (commutative
 * ones normalized, constants compared exactly, descriptors respected), no CSE of heap
 * reads or residual calls, removal of repeated guards, and the label barrier.
 */

import { describe, expect, it } from "vitest";
import { trace } from "../support/text.js";
import { opt } from "./run.js";

const PURE = ["pure"];

describe("pure: common subexpression elimination", () => {
  it("reuses identical pure ops and forwards their uses, resume data included", () => {
    const r = opt(
      trace`
        # loop
        [n0, n1, p2]
        n3 = num_add(n0, n1)
        n4 = num_add(n1, n0)
        n5 = num_sub(n0, n1)
        n6 = num_sub(n1, n0)
        n7 = num_add(n0, 0)
        n8 = num_add(n0, -0)
        n9 = num_add(n0, 0)
        n10 = getfield(p2, descr=A.x)
        n11 = getfield(p2, descr=A.x)
        n12 = call(ConstPtr(f), n0, descr=f)
        n13 = call(ConstPtr(f), n0, descr=f)
        n14 = call_pure(ConstPtr(g), n0, descr=g)
        n15 = call_pure(ConstPtr(g), n0, descr=g)
        n16 = call_pure(ConstPtr(g), n0, descr=h)
        n17 = num_mul(n3, n4)
        guard_value(n4, 3) [n4, n15]
        finish(n5, n6, n7, n8, n9, n10, n11, n12, n13, n15, n16, n17)
      `,
      PURE,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0, n1, p2]
      n3 = num_add(n0, n1)
      n4 = num_sub(n0, n1)
      n5 = num_sub(n1, n0)
      n6 = num_add(n0, 0)
      n7 = num_add(n0, -0)
      n8 = getfield(p2, descr=A.x)
      n9 = getfield(p2, descr=A.x)
      n10 = call(ConstPtr(f), n0, descr=f)
      n11 = call(ConstPtr(f), n0, descr=f)
      n12 = call_pure(ConstPtr(g), n0, descr=g)
      n13 = call_pure(ConstPtr(g), n0, descr=h)
      n14 = num_mul(n3, n3)
      guard_value(n3, 3) [n3, n12]
      finish(n4, n5, n6, n7, n6, n8, n9, n10, n11, n12, n13, n14)
    `);
    expect(r.rules).toEqual({ "cse-pure": 3 });
  });

  it("tells constants apart by value and object constants by identity", () => {
    const a = { tsjitLabel: "A" };
    const b = { tsjitLabel: "B" };
    const r = opt(
      trace`
        # loop
        [v0]
        b1 = eq(v0, ConstPtr(A))
        b2 = eq(ConstPtr(A), v0)
        b3 = eq(v0, ConstPtr(B))
        b4 = eq(v0, "1")
        b5 = eq(v0, 1)
        b6 = eq(v0, NaN)
        b7 = eq(v0, NaN)
        finish(b1, b2, b3, b4, b5, b6, b7)
      `,
      PURE,
      { consts: { A: a, B: b } },
    );
    expect(r.text).toBe(trace`
      # loop
      [v0]
      b1 = eq(v0, ConstPtr(A))
      b2 = eq(v0, ConstPtr(B))
      b3 = eq(v0, "1")
      b4 = eq(v0, 1)
      b5 = eq(v0, NaN)
      finish(b1, b1, b2, b3, b4, b5, b5)
    `);
  });
});

describe("pure: repeated guards", () => {
  it("removes a guard identical to an earlier one, but not guard_no_exception", () => {
    const r = opt(
      trace`
        # loop
        [n0, b1]
        guard_true(b1) [n0]
        guard_true(b1) [n0]
        guard_value(n0, 1) [n0]
        guard_value(n0, 2) [n0]
        guard_value(n0, 1) [n0]
        v2 = call(ConstPtr(f), descr=f)
        guard_no_exception() [n0]
        v3 = call(ConstPtr(f), descr=f)
        guard_no_exception() [n0]
        finish(v2, v3)
      `,
      PURE,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0, b1]
      guard_true(b1) [n0]
      guard_value(n0, 1) [n0]
      guard_value(n0, 2) [n0]
      v2 = call(ConstPtr(f), descr=f)
      guard_no_exception() [n0]
      v3 = call(ConstPtr(f), descr=f)
      guard_no_exception() [n0]
      finish(v2, v3)
    `);
    expect(r.rules).toEqual({ "cse-guard": 2 });
  });

  it("does not reuse values or guards across a label", () => {
    const text = trace`
      # loop
      [n0]
      n1 = num_neg(n0)
      guard_true(n0) [n0]
      label(n0, descr=Loop0)
      n2 = num_neg(n0)
      guard_true(n0) [n0]
      jump(n2, descr=Loop0)
    `;
    const r = opt(text, PURE);
    expect(r.text).toBe(text);
    expect(r.rules).toEqual({});
  });
});
