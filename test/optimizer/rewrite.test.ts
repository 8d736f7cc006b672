/**
 * @fileoverview Text-in/text-out tests of the rewrite pass: constant folding, folding
 * of immutable reads of constant objects, elidable calls, guard elimination and the
 * facts guards establish, and every algebraic rule — each with the cases it must leave
 * alone.
 */

import { describe, expect, it } from "vitest";
import { ArrayDescr, FieldDescr } from "../../src/ir/descr.js";
import { type ParseEnv } from "../../src/ir/parser.js";
import { trace } from "../support/text.js";
import { opt } from "./run.js";

const REWRITE = ["rewrite"];

class Program {
  name = "prog";
  constructor(
    readonly code: readonly number[],
    readonly version: number,
  ) {}
}

function programEnv(): ParseEnv {
  return {
    consts: {
      "Program#0": new Program([10, 20, 30, 40], 1),
      double: function double(x: number) {
        return x * 2;
      },
      boom: function boom() {
        throw new Error("boom");
      },
    },
    descrs: {
      code: new FieldDescr("Program", "code", "p", true),
      name: new FieldDescr("Program", "name", "s", false),
      version: new FieldDescr("Program", "version", "n", true, true),
      items: new ArrayDescr("Array", "number", "n", true),
      mutableItems: new ArrayDescr("Array", "number", "n", false),
    },
  };
}

describe("rewrite: constant folding", () => {
  it("folds pure ops with constant arguments, also in resume data", () => {
    const r = opt(
      trace`
        # loop
        [n0]
        n1 = num_add(2, 3)
        n2 = num_mul(n0, n1)
        b3 = num_lt(n1, 10)
        guard_true(b3) [n0, n1, n2]
        b4 = num_lt(n0, n1)
        guard_true(b4) [f@1: n0, n1]
        jump(n2, descr=Loop0)
      `,
      REWRITE,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0]
      n1 = num_mul(n0, 5)
      b2 = num_lt(n0, 5)
      guard_true(b2) [f@1: n0, 5]
      jump(n1, descr=Loop0)
    `);
    expect(r.rules).toMatchObject({ "fold-pure-const": 2, "guard-const-true": 1 });
  });

  it("keeps an op whose evaluation throws, folds Infinity and -0 exactly", () => {
    const r = opt(
      trace`
        # loop
        [v0]
        n1 = str_len(null)
        n2 = num_div(1, 0)
        n3 = num_sub(-0, 0)
        n4 = num_mul(-1, 0)
        finish(n1, n2, n3, n4)
      `,
      REWRITE,
    );
    expect(r.text).toBe(trace`
      # loop
      [v0]
      n1 = str_len(null)
      finish(n1, Infinity, -0, -0)
    `);
  });

  it("runs call_pure with constant arguments, but not a throwing one or a plain call", () => {
    const r = opt(
      trace`
        # loop
        [n0]
        n1 = call_pure(ConstPtr(double), 21, descr=double)
        n2 = call_pure(ConstPtr(boom), 1, descr=boom)
        n3 = call(ConstPtr(double), 4, descr=dbl)
        n4 = call_pure(ConstPtr(double), n0, descr=double)
        finish(n1, n2, n3, n4)
      `,
      REWRITE,
      programEnv(),
    );
    expect(r.text).toBe(trace`
      # loop
      [n0]
      n1 = call_pure(ConstPtr(boom), 1, descr=boom)
      n2 = call(ConstPtr(double), 4, descr=dbl)
      n3 = call_pure(ConstPtr(double), n0, descr=double)
      finish(42, n1, n2, n3)
    `);
    expect(r.rules).toEqual({ "fold-elidable-call": 1 });
  });
});

describe("rewrite: immutable reads of constants", () => {
  it("folds a dispatch on a constant program away completely", () => {
    const r = opt(
      trace`
        # loop
        [n0]
        p1 = getfield(ConstPtr(Program#0), descr=Program.code)
        n2 = getarrayitem(p1, 3, descr=readonly Array<number>)
        n3 = arraylen(p1, descr=readonly Array<number>)
        b4 = eq(n2, 40)
        guard_true(b4) [n0, n2]
        finish(n2, n3)
      `,
      REWRITE,
      programEnv(),
    );
    expect(r.text).toBe(trace`
      # loop
      [n0]
      finish(40, 4)
    `);
    expect(r.rules).toEqual({
      "fold-readonly-field": 1,
      "fold-readonly-item": 1,
      "fold-readonly-arraylen": 1,
      "fold-pure-const": 1,
      "guard-const-true": 1,
    });
  });

  it("keeps mutable, quasi-immutable, non-constant and failing reads", () => {
    const r = opt(
      trace`
        # loop
        [n0, p1]
        s2 = getfield(ConstPtr(Program#0), descr=Program.name)
        n3 = getfield(ConstPtr(Program#0), descr=Program.version)
        p4 = getfield(p1, descr=Program.code)
        p5 = getfield(null, descr=Program.code)
        p6 = getfield(ConstPtr(Program#0), descr=Program.code)
        n7 = getarrayitem(p6, n0, descr=readonly Array<number>)
        n8 = getarrayitem(p6, 1, descr=Array<number>)
        n9 = arraylen(p6, descr=Array<number>)
        n10 = arraylen(p4, descr=readonly Array<number>)
        finish(s2, n3, p5, n7, n8, n9, n10)
      `,
      REWRITE,
      programEnv(),
    );
    expect(r.text).toBe(trace`
      # loop
      [n0, p1]
      s2 = getfield(ConstPtr(Program#0), descr=Program.name)
      n3 = getfield(ConstPtr(Program#0), descr=Program.version)
      p4 = getfield(p1, descr=Program.code)
      p5 = getfield(null, descr=Program.code)
      n6 = getarrayitem(ConstPtr(Array#0), n0, descr=readonly Array<number>)
      n7 = getarrayitem(ConstPtr(Array#0), 1, descr=Array<number>)
      n8 = arraylen(ConstPtr(Array#0), descr=Array<number>)
      n9 = arraylen(p4, descr=readonly Array<number>)
      finish(s2, n3, p5, n6, n7, n8, n9)
    `);
    expect(r.rules).toEqual({ "fold-readonly-field": 1 });
  });
});

describe("rewrite: guards", () => {
  it("decides a null test of an allocation or of a value past guard_nonnull, not past eq(x, null)", () => {
    const r = opt(
      trace`
        # entry
        [p0]
        p1 = new(descr=Box)
        b2 = eq(p1, null)
        b3 = ne(null, p1)
        guard_true(b3) [run@1: p0]
        b4 = eq(p0, null)
        guard_false(b4) [run@1: p0]
        guard_nonnull(p0) [run@2: p0]
        b5 = ne(p0, null)
        finish(b2, b5)
      `,
      REWRITE,
    );
    // p0 !== null does not make p0 != null (it may be undefined): guard_nonnull stays.
    expect(r.text).toBe(trace`
      # entry
      [p0]
      p1 = new(descr=Box)
      b2 = eq(p0, null)
      guard_false(b2) [run@1: p0]
      guard_nonnull(p0) [run@2: p0]
      finish(false, true)
    `);
    expect(r.rules["null-test-known"]).toBe(3);
  });

  it("removes guards that pass on constants and keeps those that always fail", () => {
    const r = opt(
      trace`
        # loop
        [n0]
        guard_true(true) [n0]
        guard_false(true) [n0]
        guard_value(7, 7) [n0]
        guard_value(7, 8) [n0]
        guard_nonnull(null) [n0]
        guard_isnull(null) [n0]
        guard_class(null, descr=W_Int) [n0]
        finish(n0)
      `,
      REWRITE,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0]
      guard_false(true) [n0]
      guard_value(7, 8) [n0]
      guard_nonnull(null) [n0]
      guard_class(null, descr=W_Int) [n0]
      finish(n0)
    `);
    expect(r.rules).toEqual({ "guard-const-true": 3 });
  });

  it("guard_value makes its argument a constant for the rest of the trace", () => {
    const r = opt(
      trace`
        # loop
        [p0, n1, n2]
        label(p0, n1, n2, descr=Loop0)
        guard_value(n1, 5) [p0, n1]
        n3 = num_add(n1, 1)
        guard_value(n1, 5) [p0, n1]
        b4 = num_lt(n1, n3)
        guard_true(b4) [p0, n1, n3]
        b5 = num_lt(n2, n1)
        guard_true(b5) [p0, n1, n3]
        guard_value(p0, ConstPtr(Program#0)) [p0]
        p6 = getfield(p0, descr=Program.code)
        n7 = arraylen(p6, descr=readonly Array<number>)
        jump(p0, n3, n7, descr=Loop0)
      `,
      REWRITE,
      programEnv(),
    );
    expect(r.text).toBe(trace`
      # loop
      [p0, n1, n2]
      label(p0, n1, n2, descr=Loop0)
      guard_value(n1, 5) [p0, n1]
      b3 = num_lt(n2, 5)
      guard_true(b3) [p0, 5, 6]
      guard_value(p0, ConstPtr(Program#0)) [p0]
      jump(ConstPtr(Program#0), 6, 4, descr=Loop0)
    `);
    expect(r.rules).toMatchObject({ "guard-value-makes-const": 2, "guard-const-true": 2, "fold-readonly-arraylen": 1 });
  });

  it("guard_value on zero does not make a possibly -0 value a constant", () => {
    const r = opt(
      trace`
        # loop
        [n0, n1]
        guard_value(n0, 0) [n0]
        n2 = num_add(n0, 1)
        n3 = int_or(n1, 0)
        guard_value(n3, -0) [n3]
        n4 = num_sub(n3, 1)
        guard_value(n1, NaN) [n1]
        n5 = num_neg(n1)
        finish(n2, n4, n5)
      `,
      REWRITE,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0, n1]
      guard_value(n0, 0) [n0]
      n2 = num_add(n0, 1)
      n3 = int_or(n1, 0)
      guard_value(n3, -0) [n3]
      guard_value(n1, NaN) [n1]
      n4 = num_neg(n1)
      finish(n2, -1, n4)
    `);
  });

  it("guard_true on a boolean or on x === C makes constants", () => {
    const r = opt(
      trace`
        # loop
        [n0, s1, b2, n3]
        b4 = eq(n0, 43)
        guard_true(b4) [n0]
        b5 = eq(s1, "a")
        guard_false(b5) [s1]
        guard_false(b2) [b2]
        b6 = ne(n0, 0)
        n7 = num_add(n0, 1)
        b8 = eq(n3, 0)
        guard_true(b8) [n3]
        n9 = num_mul(n3, 2)
        finish(n7, b6, s1, b2, b4, n9)
      `,
      REWRITE,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0, s1, b2, n3]
      b4 = eq(n0, 43)
      guard_true(b4) [n0]
      b5 = eq(s1, "a")
      guard_false(b5) [s1]
      guard_false(b2) [b2]
      b6 = eq(n3, 0)
      guard_true(b6) [n3]
      n7 = num_mul(n3, 2)
      finish(44, true, s1, false, true, n7)
    `);
    expect(r.rules).toMatchObject({ "guard-eq-makes-const": 1, "guard-bool-makes-const": 4 });
  });

  it("removes guards implied by earlier guards and allocations", () => {
    const r = opt(
      trace`
        # loop
        [p0, p1, p2, n3]
        guard_class(p0, descr=W_Int) [p0]
        guard_nonnull(p0) [p0]
        guard_class(p0, descr=W_Int) [p0]
        guard_class(p0, descr=W_Str) [p0]
        guard_nonnull(p1) [p1]
        guard_nonnull(p1) [p1]
        guard_true(p1) [p1]
        p4 = new(descr=W_Int)
        guard_class(p4, descr=W_Int) [p4]
        guard_nonnull(p4) [p4]
        guard_isnull(p2) [p2]
        guard_isnull(p2) [p2]
        guard_false(p2) [p2]
        guard_true(n3) [n3]
        guard_true(n3) [n3]
        guard_false(n3) [n3]
        finish(p4)
      `,
      REWRITE,
    );
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, p2, n3]
      guard_class(p0, descr=W_Int) [p0]
      guard_class(p0, descr=W_Str) [p0]
      guard_nonnull(p1) [p1]
      p4 = new(descr=W_Int)
      guard_isnull(p2) [p2]
      guard_true(n3) [n3]
      guard_false(n3) [n3]
      finish(p4)
    `);
    expect(r.rules).toEqual({ "guard-implied": 9 });
  });

  it("forgets guard facts at a label", () => {
    const r = opt(
      trace`
        # loop
        [p0]
        guard_nonnull(p0) [p0]
        label(p0, descr=Loop0)
        guard_nonnull(p0) [p0]
        jump(p0, descr=Loop0)
      `,
      REWRITE,
    );
    expect(r.rules).toEqual({});
  });

  it("strips negations and truthiness from guard conditions", () => {
    const text = trace`
      # loop
      [b0, n1, v2]
      b3 = bool_not(b0)
      guard_true(b3) [b0]
      b4 = truthy(n1)
      guard_true(b4) [n1]
      b5 = bool_not(v2)
      b6 = bool_not(b5)
      guard_false(b6) [v2]
      finish(b0)
    `;
    const r = opt(text, REWRITE);
    expect(r.text).toBe(trace`
      # loop
      [b0, n1, v2]
      b3 = bool_not(b0)
      guard_false(b0) [b0]
      b4 = truthy(n1)
      guard_true(n1) [n1]
      b5 = bool_not(v2)
      b6 = truthy(v2)
      guard_false(v2) [v2]
      finish(false)
    `);
    expect(r.rules).toEqual({
      "guard-not-flip": 1,
      "guard-truthy-strip": 2,
      "bool-not-not-truthy": 1,
      "guard-bool-makes-const": 1,
    });
    expect(opt(text).text).toBe(trace`
      # loop
      [b0, n1, v2]
      guard_false(b0) [b0]
      guard_true(n1) [n1]
      guard_false(v2) [v2]
      finish(false)
    `);
  });
});

describe("rewrite: algebraic rules", () => {
  it("applies every rule where it is exact", () => {
    const r = opt(
      trace`
        # loop
        [n0, v1, b2, s3, n4]
        n40 = num_mul(n0, 3)
        n5 = num_sub(n40, 0)
        n6 = num_add(-0, n5)
        n7 = num_mul(1, n6)
        n8 = num_div(n7, 1)
        n9 = num_pow(n8, 1)
        n10 = num_pow(n4, 0)
        n11 = num_neg(n40)
        n12 = num_neg(n11)
        n13 = int_and(n4, 255)
        n14 = int_or(n13, 0)
        n15 = int_xor(0, n14)
        n16 = int_and(n15, -1)
        n17 = int_shl(n16, 0)
        n18 = int_shr(n17, 32)
        n19 = int_not(n18)
        n20 = int_not(n19)
        n21 = num_add(n20, 0)
        b22 = num_lt(n0, n0)
        b23 = eq(s3, s3)
        b24 = eq(b2, true)
        b25 = ne(b24, true)
        b26 = bool_not(b25)
        b27 = truthy(b26)
        b28 = truthy(v1)
        b29 = bool_not(b28)
        s30 = type_of(n12)
        s31 = str_concat(s3, "")
        s32 = to_str(s31)
        v33 = same_as(v1)
        finish(n9, n10, n12, n21, b22, b23, b27, b29, s30, s32, v33)
      `,
      REWRITE,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0, v1, b2, s3, n4]
      n5 = num_mul(n0, 3)
      n6 = num_neg(n5)
      n7 = int_and(n4, 255)
      n8 = int_not(n7)
      b9 = bool_not(b2)
      b10 = truthy(v1)
      b11 = bool_not(v1)
      finish(n5, 1, n5, n7, false, true, b2, b11, "number", s3, v1)
    `);
    expect(r.rules).toEqual({
      "num-sub-zero": 1,
      "num-add-negzero": 1,
      "num-mul-one": 1,
      "num-div-one": 1,
      "num-pow-one": 1,
      "num-pow-zero": 1,
      "num-neg-neg": 1,
      "int-identity": 5,
      "int-not-not": 1,
      "num-add-zero": 1,
      "cmp-self-false": 1,
      "eq-self": 1,
      "eq-bool-const": 2,
      "bool-not-not": 1,
      "truthy-bool": 1,
      "not-truthy": 1,
      "typeof-known-kind": 1,
      "str-concat-empty": 1,
      "to-str-str": 1,
      "same-as-forward": 1,
    });
  });

  it("x + 0 is x for a sum or difference that cannot be -0 (n - 1, n - -0, a sum with such a side), not for n + m or n * 2", () => {
    const r = opt(
      trace`
        # loop
        [n0, n1]
        n2 = num_sub(n0, 1)
        n3 = num_add(n2, 0)
        n4 = num_add(n1, n3)
        n5 = num_add(n4, 0)
        n6 = num_sub(n0, -0)
        n7 = num_add(n6, 0)
        n8 = num_add(n0, n1)
        n9 = num_add(n8, 0)
        n10 = num_mul(n0, 2)
        n11 = num_sub(n10, 0)
        n12 = num_add(n11, 0)
        finish(n5, n7, n9, n12)
      `,
      REWRITE,
    );
    // -0 + -0 and -0 - +0 are the only ways to -0: n0 - (-0) never is (-0 - -0 is +0),
    // while n0 + n1 and n0 * 2 (n0 - 0 is just n0) are for some inputs.
    expect(r.text).toBe(trace`
      # loop
      [n0, n1]
      n2 = num_sub(n0, 1)
      n3 = num_add(n1, n2)
      n4 = num_sub(n0, -0)
      n5 = num_add(n0, n1)
      n6 = num_add(n5, 0)
      n7 = num_mul(n0, 2)
      n8 = num_add(n7, 0)
      finish(n3, n4, n6, n8)
    `);
    expect(r.rules).toEqual({ "num-add-zero": 3, "num-sub-zero": 1 });
  });

  it("does not answer x for x - 0, x * 1, -(-x) ... when x may be undefined (an item read past an array's end)", () => {
    const text = trace`
      # loop
      [n0, p1]
      n2 = getarrayitem(p1, n0, descr=Array<number>)
      n3 = num_sub(n2, 0)
      n4 = num_mul(n0, 1)
      n5 = num_neg(n2)
      n6 = num_neg(n5)
      n7 = num_add(n2, -0)
      finish(n3, n4, n6, n7)
    `;
    const r = opt(text, REWRITE);
    expect(r.text).toBe(text);
    expect(r.rules).toEqual({});
  });

  it("leaves alone what is not exact for every value of the kinds", () => {
    const text = trace`
      # loop
      [n0, v1, s2, n3]
      n4 = num_add(n0, 0)
      n5 = num_mul(v1, 1)
      n6 = num_sub(v1, 0)
      n7 = num_mul(n0, 0)
      n8 = num_sub(n0, n0)
      n9 = int_or(n0, 0)
      n10 = int_ushr(n3, 0)
      n11 = int_or(n10, 0)
      b12 = num_le(n0, n0)
      b13 = eq(n0, n0)
      b14 = eq(v1, v1)
      s15 = str_concat(v1, "")
      s16 = type_of(v1)
      n17 = num_sub(0, n0)
      n18 = num_neg(v1)
      n19 = num_neg(n18)
      b20 = truthy(n0)
      b21 = bool_not(n0)
      n22 = num_div(n0, n0)
      finish(n4, n5, n6, n7, n8, n9, n11, b12, b13, b14, s15, s16, n17, n19, b20, b21, n22)
    `;
    const r = opt(text, REWRITE);
    expect(r.text).toBe(text);
    expect(r.rules).toEqual({});
  });
});
