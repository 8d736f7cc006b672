/**
 * @fileoverview Text-in/text-out tests of dead code elimination: unused side-effect-free
 * ops go (chains of them too), while anything used by an argument or by resume data
 * (frames, virtual fields, delayed writes) stays, as do calls, writes and guards.
 */

import { describe, expect, it } from "vitest";
import { trace } from "../support/text.js";
import { opt } from "./run.js";

const DCE = ["dce"];

describe("dce", () => {
  it("removes unused pure ops, reads, allocations and elidable calls", () => {
    const r = opt(
      trace`
        # loop
        [n0, p1]
        n2 = num_add(n0, 1)
        n3 = num_mul(n2, 2)
        n4 = getfield(p1, descr=A.x)
        p5 = new(descr=W_Int)
        n6 = num_neg(n0)
        guard_true(true) [n6]
        n7 = call(ConstPtr(f), n0, descr=f)
        n8 = call_pure(ConstPtr(g), n0, descr=g)
        p9 = new_array(3, 0, descr=Uint8Array)
        n10 = arraylen(p1, descr=Uint8Array)
        setfield(p1, n0, descr=A.x)
        n11 = num_sub(n0, 1)
        jump(n11, descr=Loop0)
      `,
      DCE,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0, p1]
      n2 = num_neg(n0)
      guard_true(true) [n2]
      n3 = call(ConstPtr(f), n0, descr=f)
      setfield(p1, n0, descr=A.x)
      n4 = num_sub(n0, 1)
      jump(n4, descr=Loop0)
    `);
    expect(r.rules).toEqual({ "dce-unused": 7 });
  });

  it("keeps values used by virtuals and delayed writes in resume data", () => {
    const text = trace`
      # loop
      [n0, p1]
      n2 = num_add(n0, 1)
      n3 = num_add(n0, 2)
      n4 = num_add(n0, 3)
      n5 = getfield(p1, descr=A.x)
      guard_true(true) [run@1: p6] {p6 = W_Int(value=n2); p7 = Array<number>[n3]; setarrayitem(p1, n5, n4, descr=Uint8Array)}
      finish()
    `;
    const r = opt(text, DCE);
    expect(r.text).toBe(text);
    expect(r.rules).toEqual({});
  });

  it("keeps markers, labels and guards even when nothing uses them", () => {
    const text = trace`
      # loop
      [n0]
      label(n0, descr=Loop0)
      debug_merge_point("pc=1")
      b1 = num_lt(n0, 3)
      guard_true(b1) []
      jump(n0, descr=Loop0)
    `;
    expect(opt(text, DCE).text).toBe(text);
  });
});
