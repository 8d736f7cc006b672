/**
 * @fileoverview Text-in/text-out tests of the intbounds pass: range checks decided by
 * earlier ones are removed, through additions and subtractions of constants; checks
 * that would fail for NaN, that a positive step could violate, or that come after a
 * label, stay.
 */

import { describe, expect, it } from "vitest";
import { trace } from "../support/text.js";
import { opt } from "./run.js";

const BOUNDS = ["intbounds"];

describe("intbounds", () => {
  it("removes lower and upper checks implied by earlier ones (a head moving right then left)", () => {
    const r = opt(
      trace`
        # bridge
        [n0, n1]
        n2 = num_add(n0, 9)
        b3 = num_lt(n2, 0)
        guard_false(b3) [n2]
        b4 = num_ge(n2, n1)
        guard_false(b4) [n2]
        n5 = num_add(n2, 1)
        b6 = num_lt(n5, 0)
        guard_false(b6) [n5]
        b7 = num_ge(n5, n1)
        guard_false(b7) [n5]
        n8 = num_sub(n5, 10)
        b9 = num_lt(n8, 0)
        guard_false(b9) [n8]
        b10 = num_ge(n8, n1)
        guard_false(b10) [n8]
        jump(n8, descr=Loop0)
      `,
      BOUNDS,
    );
    // n5 = n2 + 1 >= 1: its lower check goes; it may reach n1, so its upper check stays.
    // n8 = n5 - 10 < n1: its upper check goes; it may be negative, so its lower check stays.
    expect(r.text).toBe(trace`
      # bridge
      [n0, n1]
      n2 = num_add(n0, 9)
      b3 = num_lt(n2, 0)
      guard_false(b3) [n2]
      b4 = num_ge(n2, n1)
      guard_false(b4) [n2]
      n5 = num_add(n2, 1)
      b6 = num_lt(n5, 0)
      b7 = num_ge(n5, n1)
      guard_false(b7) [n5]
      n8 = num_sub(n5, 10)
      b9 = num_lt(n8, 0)
      guard_false(b9) [n8]
      b10 = num_ge(n8, n1)
      jump(n8, descr=Loop0)
    `);
    expect(r.rules).toEqual({ "bounds-lower-implied": 1, "bounds-upper-implied": 1 });
  });

  it("keeps checks that NaN would fail, and forgets everything at a label", () => {
    const r = opt(
      trace`
        # loop
        [n0, n1]
        b2 = num_lt(n0, 0)
        guard_false(b2) [n0]
        n3 = num_add(n0, 1)
        b4 = num_ge(n3, 0)
        guard_true(b4) [n3]
        label(n3, n1, descr=Loop0)
        b5 = num_lt(n3, 0)
        guard_false(b5) [n3]
        jump(n3, n1, descr=Loop0)
      `,
      BOUNDS,
    );
    // guard_true(n3 >= 0) fails when n3 is NaN, which n0 >= 0 (or NaN) does not exclude.
    expect(r.rules).toEqual({});
    expect(r.text).toContain("guard_true(b4)");
    expect(r.text).toContain("guard_false(b5)");
  });

  it("learns from guard_true(x < n) and guard_true(x >= c) too, and from constants on the left", () => {
    const r = opt(
      trace`
        # bridge
        [n0, n1]
        b2 = num_lt(n0, n1)
        guard_true(b2) [n0]
        b3 = num_ge(n0, 2)
        guard_true(b3) [n0]
        n4 = num_add(-1, n0)
        b5 = num_lt(n4, 1)
        guard_false(b5) [n4]
        b6 = num_ge(n4, n1)
        guard_false(b6) [n4]
        jump(n4, descr=Loop0)
      `,
      BOUNDS,
    );
    expect(r.rules).toEqual({ "bounds-lower-implied": 1, "bounds-upper-implied": 1 });
  });
});
