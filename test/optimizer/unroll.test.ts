/**
 * @fileoverview Text-in/text-out tests of loop peeling (`unroll.ts`, driven by the
 * pipeline): loop-invariant loads and guards end up in the preamble only, a field the
 * loop reads and writes travels around the loop as a phi and is written once per
 * iteration, invariant arithmetic is hoisted, and what must not be forwarded (across
 * a call that may write, across a store to a possibly-same object) stays in the body.
 * Traces that are not peelable loops come out as the forward passes alone make them.
 * Last, a small executor of whole traces checks that peeled loops leave at the same
 * guard with the same resume values and the same heap as the loops they came from.
 *
 * Every expected text was derived by hand from the unrolled straight line
 * `label(i) BODY(i) <boundary> BODY'(j) jump(j', W, W')` (see unroll.ts): what the
 * forward passes do to it, which pairs (w, w') the wide jump ends with, and which
 * preamble values the body refers to (invariant when w' is w, else a phi).
 */

import { describe, expect, it } from "vitest";
import { CallDescr, ClassDescr, EFFECTS_ALL, FieldDescr } from "../../src/ir/descr.js";
import { type ParseEnv, parseTrace } from "../../src/ir/parser.js";
import { printTrace } from "../../src/ir/printer.js";
import { Op, Trace } from "../../src/ir/trace.js";
import { newOptStats, optimize } from "../../src/optimizer/pipeline.js";
import { closeLoop, unroll } from "../../src/optimizer/unroll.js";
import { execute } from "../fuzz/trace-exec.js";
import { trace } from "../support/text.js";
import { opt } from "./run.js";

const ALL = ["rewrite", "pure", "heap", "unroll", "dce"];
const NO_UNROLL = ["rewrite", "pure", "heap", "dce"];

/** Optimizes with peeling and checks that the result reads back as printed. */
function peel(text: string, passes: readonly string[] = ALL, env?: ParseEnv) {
  const r = opt(text, passes, env);
  expect(printTrace(parseTrace(r.text, env))).toBe(r.text);
  return r;
}

/** The part of a printed trace from the body label on. */
function bodyOf(text: string): string {
  const at = text.indexOf("label(", text.indexOf("label(") + 1);
  expect(at).toBeGreaterThan(0);
  return text.slice(at);
}

describe("unroll: loop-invariant code motion", () => {
  // A BF-style `>` then `]`: the tape's cells array is never written, so its load runs
  // once, in the preamble; the array's length is invariant too. The position is
  // loaded once (preamble) and then carried in n3, written back once per iteration.
  const BF = trace`
    # loop bf
    [p0]
    label(p0, descr=Loop0)
    debug_merge_point("pc=1 '>'")
    p1 = getfield(p0, descr=Tape.cells)
    n2 = getfield(p0, descr=Tape.pos)
    n3 = num_add(n2, 1)
    n4 = arraylen(p1, descr=Uint8Array)
    b5 = num_lt(n3, n4)
    guard_true(b5) [run@1: p0]
    setfield(p0, n3, descr=Tape.pos)
    debug_merge_point("pc=2 ']'")
    p6 = getfield(p0, descr=Tape.cells)
    n7 = getfield(p0, descr=Tape.pos)
    n8 = getarrayitem(p6, n7, descr=Uint8Array)
    b9 = ne(n8, 0)
    guard_true(b9) [run@2: p0]
    jump(p0, descr=Loop0)
  `;

  it("loads an unwritten field and an array length in the preamble only; the position is a phi", () => {
    const r = peel(BF);
    expect(r.text).toBe(trace`
      # loop bf
      [p0]
      label(p0, descr=Loop0)
      debug_merge_point("pc=1 '>'")
      p1 = getfield(p0, descr=Tape.cells)
      n2 = getfield(p0, descr=Tape.pos)
      n3 = num_add(n2, 1)
      n4 = arraylen(p1, descr=Uint8Array)
      b5 = num_lt(n3, n4)
      guard_true(b5) [run@1: p0]
      debug_merge_point("pc=2 ']'")
      n6 = getarrayitem(p1, n3, descr=Uint8Array)
      b7 = ne(n6, 0)
      guard_true(b7) [run@2: p0] {setfield(p0, n3, descr=Tape.pos)}
      label(n3, descr=Loop0.body)
      debug_merge_point("pc=1 '>'")
      n8 = num_add(n3, 1)
      b9 = num_lt(n8, n4)
      guard_true(b9) [run@1: p0] {setfield(p0, n3, descr=Tape.pos)}
      debug_merge_point("pc=2 ']'")
      n10 = getarrayitem(p1, n8, descr=Uint8Array)
      b11 = ne(n10, 0)
      guard_true(b11) [run@2: p0] {setfield(p0, n8, descr=Tape.pos)}
      jump(n8, descr=Loop0.body)
    `);
    const body = bodyOf(r.text);
    expect(body).not.toContain("getfield");
    expect(body).not.toContain("arraylen");
    expect(body).not.toMatch(/^setfield/m);
    expect(r.rules).toEqual({
      "backedge-store-sunk": 1,
      "guard-bool-makes-const": 4,
      "heap-getfield-forwarded": 6,
      "heap-arraylen-forwarded": 1,
      "heap-setfield-overwritten": 1,
      "unroll-peeled": 1,
      "unroll-phi": 1,
    });
  });

  it("without peeling, the loop reloads cells and pos every iteration", () => {
    const r = peel(BF, NO_UNROLL);
    expect(r.text.match(/getfield/g)).toHaveLength(2);
    expect(r.text).not.toContain("Loop0.body");
  });

  // Loop-invariant code motion by the heap pass alone: the body's load of Tape.cells is
  // forwarded to the preamble's (p3, invariant), while the item load depends on the
  // counter and stays. The counter n6 and the sum n5 are phis.
  it("hoists an invariant load out of a counting loop (heap alone)", () => {
    const r = peel(
      trace`
        # loop
        [p0, n1, n2]
        label(p0, n1, n2, descr=Loop0)
        p3 = getfield(p0, descr=Tape.cells)
        n4 = getarrayitem(p3, n1, descr=Uint8Array)
        n5 = num_add(n2, n4)
        n6 = num_add(n1, 1)
        b7 = num_lt(n6, 10)
        guard_true(b7) [p0, n6, n5]
        jump(p0, n6, n5, descr=Loop0)
      `,
      ["heap", "unroll", "dce"],
    );
    expect(r.text).toBe(trace`
      # loop
      [p0, n1, n2]
      label(p0, n1, n2, descr=Loop0)
      p3 = getfield(p0, descr=Tape.cells)
      n4 = getarrayitem(p3, n1, descr=Uint8Array)
      n5 = num_add(n2, n4)
      n6 = num_add(n1, 1)
      b7 = num_lt(n6, 10)
      guard_true(b7) [p0, n6, n5]
      label(n6, n5, descr=Loop0.body)
      n8 = getarrayitem(p3, n6, descr=Uint8Array)
      n9 = num_add(n5, n8)
      n10 = num_add(n6, 1)
      b11 = num_lt(n10, 10)
      guard_true(b11) [p0, n10, n9]
      jump(n10, n9, descr=Loop0.body)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 1, "unroll-peeled": 1, "unroll-phi": 2 });
  });

  // Peeling alone moves nothing: the body is a plain copy of the iteration in which
  // the inputs became what the jump passed (n1 -> n3, a phi; p0 -> p0, invariant).
  // With the heap pass, the body's load is forwarded to the preamble's: hoisted.
  it("peeling by itself only copies; the heap pass then hoists the load", () => {
    const text = trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=Tape.step)
      n3 = num_add(n1, n2)
      b4 = num_lt(n3, 100)
      guard_true(b4) [n1]
      jump(p0, n3, descr=Loop0)
    `;
    const alone = peel(text, ["unroll"]);
    expect(alone.text).toBe(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=Tape.step)
      n3 = num_add(n1, n2)
      b4 = num_lt(n3, 100)
      guard_true(b4) [n1]
      label(n3, descr=Loop0.body)
      n5 = getfield(p0, descr=Tape.step)
      n6 = num_add(n3, n5)
      b7 = num_lt(n6, 100)
      guard_true(b7) [n3]
      jump(n6, descr=Loop0.body)
    `);
    expect(alone.rules).toEqual({ "unroll-peeled": 1, "unroll-phi": 1 });
    const withHeap = peel(text, ["heap", "unroll", "dce"]);
    expect(bodyOf(withHeap.text)).toBe(trace`
      label(n3, descr=Loop0.body)
      n5 = num_add(n3, n2)
      b6 = num_lt(n5, 100)
      guard_true(b6) [n3]
      jump(n5, descr=Loop0.body)
    `);
  });
});

/** A loop that reads and writes Tape.pos every iteration. */
const POS_LOOP = trace`
  # loop
  [p0, n1]
  label(p0, n1, descr=Loop0)
  n2 = getfield(p0, descr=Tape.pos)
  n3 = num_add(n2, 1)
  setfield(p0, n3, descr=Tape.pos)
  b4 = num_lt(n3, n1)
  guard_true(b4) [run@1: p0, n1]
  jump(p0, n1, descr=Loop0)
`;

/** POS_LOOP peeled. */
const POS_LOOP_PEELED = trace`
  # loop
  [p0, n1]
  label(p0, n1, descr=Loop0)
  n2 = getfield(p0, descr=Tape.pos)
  n3 = num_add(n2, 1)
  b4 = num_lt(n3, n1)
  guard_true(b4) [run@1: p0, n1] {setfield(p0, n3, descr=Tape.pos)}
  label(n3, descr=Loop0.body)
  n5 = num_add(n3, 1)
  b6 = num_lt(n5, n1)
  guard_true(b6) [run@1: p0, n1] {setfield(p0, n5, descr=Tape.pos)}
  jump(n5, descr=Loop0.body)
`;

describe("unroll: fields carried around the loop", () => {
  // pos is read and written every iteration: the body's read is forwarded to the
  // preamble's pending write (n3), which becomes the phi; the write itself is delayed to
  // the end of the body, and the guard in the body carries it in its resume data. The
  // preamble performs no write at all: its pending write is in its guard's resume data,
  // and in the body it is overwritten before the body's guard (which therefore carries
  // n5, the body's value). The store heap makes before the jump is dropped
  // (backedge.ts): the body's only exit performs it.
  it("a read-modify-write field becomes a phi that only the exits write", () => {
    const r = peel(POS_LOOP);
    expect(r.text).toBe(POS_LOOP_PEELED);
    const body = bodyOf(r.text);
    expect(body).not.toContain("getfield");
    expect(body).not.toMatch(/^setfield/m);
    expect(r.rules).toEqual({
      "backedge-store-sunk": 1,
      "guard-bool-makes-const": 2,
      "heap-getfield-forwarded": 1,
      "heap-setfield-overwritten": 1,
      "unroll-peeled": 1,
      "unroll-phi": 1,
    });
  });
});

describe("unroll: an object made every iteration and stored", () => {
  // tiny's module-level loop: each iteration boxes its counter and stores the box into
  // the globals. The preamble's delayed write to its own box is forced at the end of the
  // preamble; were it delayed to the end of the body, the body would write the previous
  // iteration's box again (on a phi) every iteration. The body's load of the stored box
  // is forwarded, so its null test folds (an allocation is never null).
  it("writes each box's field once, in its own iteration; the null test of the box folds", () => {
    const r = peel(
      trace`
        # loop
        [p0, n1]
        label(p0, n1, descr=Loop0)
        p2 = getarrayitem(p0, 1, descr=Array<Box>)
        b3 = eq(p2, null)
        guard_false(b3) [run@1: p0]
        n4 = getfield(p2, descr=Box.value)
        n5 = num_add(n4, 1)
        p6 = new(descr=Box)
        setfield(p6, n5, descr=Box.value)
        setarrayitem(p0, 1, p6, descr=Array<Box>)
        b7 = num_lt(n5, n1)
        guard_true(b7) [run@2: p0]
        jump(p0, n1, descr=Loop0)
      `,
      ["rewrite", "pure", "virtualize", "heap", "unroll", "dce"],
    );
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      p2 = getarrayitem(p0, 1, descr=Array<Box>)
      b3 = eq(p2, null)
      guard_false(b3) [run@1: p0]
      n4 = getfield(p2, descr=Box.value)
      n5 = num_add(n4, 1)
      p6 = new(descr=Box)
      setarrayitem(p0, 1, p6, descr=Array<Box>)
      b7 = num_lt(n5, n1)
      guard_true(b7) [run@2: p0] {setfield(p6, n5, descr=Box.value)}
      setfield(p6, n5, descr=Box.value)
      label(n5, descr=Loop0.body)
      n8 = num_add(n5, 1)
      p9 = new(descr=Box)
      setarrayitem(p0, 1, p9, descr=Array<Box>)
      b10 = num_lt(n8, n1)
      guard_true(b10) [run@2: p0] {setfield(p9, n8, descr=Box.value)}
      setfield(p9, n8, descr=Box.value)
      jump(n8, descr=Loop0.body)
    `);
  });
});

describe("unroll: invariant guards", () => {
  // p0 and p1 are passed to the jump unchanged. The body's copy of guard_class(p0) is
  // implied by the preamble's; its copy of guard_value(p1, K) is guard_value(K, K)
  // (p1 is K after the first) and folds. Only the counter n3 is a phi.
  it("guards on invariant inputs are checked in the preamble only", () => {
    const r = peel(trace`
      # loop
      [p0, p1, n2]
      label(p0, p1, n2, descr=Loop0)
      guard_class(p0, descr=Tape) [p0, p1, n2]
      guard_value(p1, ConstPtr(K)) [p0, p1, n2]
      n3 = num_add(n2, 1)
      b4 = num_lt(n3, 100)
      guard_true(b4) [p0, p1, n3]
      jump(p0, p1, n3, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, n2]
      label(p0, p1, n2, descr=Loop0)
      guard_class(p0, descr=Tape) [p0, p1, n2]
      guard_value(p1, ConstPtr(K)) [p0, p1, n2]
      n3 = num_add(n2, 1)
      b4 = num_lt(n3, 100)
      guard_true(b4) [p0, ConstPtr(K), n3]
      label(n3, descr=Loop0.body)
      n5 = num_add(n3, 1)
      b6 = num_lt(n5, 100)
      guard_true(b6) [p0, ConstPtr(K), n5]
      jump(n5, descr=Loop0.body)
    `);
    expect(r.rules).toEqual({
      "guard-implied": 1,
      "guard-value-makes-const": 1,
      "guard-const-true": 1,
      "guard-bool-makes-const": 2,
      "unroll-peeled": 1,
      "unroll-phi": 1,
    });
  });

  // A guard on a value that changes every iteration is not invariant: its copy checks
  // the next iteration's value and stays in the body.
  it("a guard on a loop-carried value stays in the body", () => {
    const r = peel(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      guard_nonnull(p0) [p0, n1]
      p2 = getfield(p0, descr=Node.next)
      jump(p2, n1, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      guard_nonnull(p0) [p0, n1]
      p2 = getfield(p0, descr=Node.next)
      label(p2, descr=Loop0.body)
      guard_nonnull(p2) [p2, n1]
      p3 = getfield(p2, descr=Node.next)
      jump(p3, descr=Loop0.body)
    `);
  });

  // A guard that makes a *loaded* invariant value a constant (an interpreter's promote of
  // `frame.code` or `obj.shape`). The preamble's guard makes rewrite replace p2 by K for
  // the rest of the straight line; the heap pass forwards the body's copy of the load to
  // the preamble's p2; the second round of rewrite after heap then folds the body's
  // guard_value(p2, K). (Before that round existed, peeling gave up on such loops.)
  it("a guard_value on an invariant loaded value is in the preamble only", () => {
    const r = peel(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      p2 = getfield(p0, descr=Frame.code)
      guard_value(p2, ConstPtr(K)) [p0, n1]
      n3 = num_add(n1, 1)
      jump(p0, n3, descr=Loop0)
    `);
    expect(r.rules["unroll-gave-up"]).toBeUndefined();
    expect(r.rules["unroll-peeled"]).toBe(1);
    const body = bodyOf(r.text);
    expect(body).not.toContain("getfield");
    expect(body).not.toContain("guard_value");
  });
});

describe("unroll: arithmetic", () => {
  // n2 = n1 * 3 with n1 passed unchanged: the body's copy is CSE'd with the preamble's,
  // so n2 is invariant (computed once); the counter n3 is a phi.
  it("hoists arithmetic on invariants; the counter is a phi", () => {
    const r = peel(trace`
      # loop
      [n0, n1]
      label(n0, n1, descr=Loop0)
      n2 = num_mul(n1, 3)
      n3 = num_add(n0, n2)
      b4 = num_lt(n3, 100)
      guard_true(b4) [n0, n1]
      jump(n3, n1, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0, n1]
      label(n0, n1, descr=Loop0)
      n2 = num_mul(n1, 3)
      n3 = num_add(n0, n2)
      b4 = num_lt(n3, 100)
      guard_true(b4) [n0, n1]
      label(n3, descr=Loop0.body)
      n5 = num_add(n3, n2)
      b6 = num_lt(n5, 100)
      guard_true(b6) [n3, n1]
      jump(n5, descr=Loop0.body)
    `);
    expect(r.rules).toEqual({ "cse-pure": 1, "guard-bool-makes-const": 2, "unroll-peeled": 1, "unroll-phi": 1 });
  });

  // Fibonacci: n0 <- n1 <- n3. The body refers to n1 (the copy of n0) and n3 (the copy
  // of n1); n1's back-edge value is the preamble value n3, itself a phi, so the jump
  // passes n3's current value and the label's arguments are assigned in parallel.
  it("a phi whose back-edge value is another phi", () => {
    const r = peel(trace`
      # loop
      [n0, n1, n2]
      label(n0, n1, n2, descr=Loop0)
      n3 = num_add(n0, n1)
      n4 = num_add(n2, 1)
      b5 = num_lt(n4, 10)
      guard_true(b5) [run@1: n0, n1, n3]
      jump(n1, n3, n4, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0, n1, n2]
      label(n0, n1, n2, descr=Loop0)
      n3 = num_add(n0, n1)
      n4 = num_add(n2, 1)
      b5 = num_lt(n4, 10)
      guard_true(b5) [run@1: n0, n1, n3]
      label(n3, n1, n4, descr=Loop0.body)
      n6 = num_add(n1, n3)
      n7 = num_add(n4, 1)
      b8 = num_lt(n7, 10)
      guard_true(b8) [run@1: n1, n3, n6]
      jump(n6, n3, n7, descr=Loop0.body)
    `);
    expect(r.rules["unroll-phi"]).toBe(3);
  });
});

/** Call descriptors: `f` (the parser's default) may write everything; writesY only B.y. */
function callEnv(): ParseEnv {
  const by = new FieldDescr("B", "y", "n", false);
  const spelling = { kind: "function" } as const;
  return {
    descrs: {
      "B.y": by,
      writesY: new CallDescr("writesY", "-", { writes: { fields: new Set([by]), arrays: new Set() }, readsHeap: true }, false, spelling),
    },
  };
}

describe("unroll: what must not be forwarded", () => {
  const callLoop = (descr: string): string => trace`
    # loop
    [p0, n1]
    label(p0, n1, descr=Loop0)
    n2 = getfield(p0, descr=Tape.pos)
    b3 = num_lt(n2, n1)
    guard_true(b3) [run@1: p0, n1, n2]
    call(ConstPtr(bump), p0, descr=${descr})
    guard_no_exception() [run@2: p0, n1]
    jump(p0, n1, descr=Loop0)
  `;

  // The call may write Tape.pos: the body's load happens after the preamble's call, so
  // it cannot take the preamble's value; it stays in the body. Nothing is a phi.
  it("a call that may write the field keeps the load in the body", () => {
    const r = peel(callLoop("f"));
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=Tape.pos)
      b3 = num_lt(n2, n1)
      guard_true(b3) [run@1: p0, n1, n2]
      call(ConstPtr(bump), p0, descr=f)
      guard_no_exception() [run@2: p0, n1]
      label(descr=Loop0.body)
      n4 = getfield(p0, descr=Tape.pos)
      b5 = num_lt(n4, n1)
      guard_true(b5) [run@1: p0, n1, n4]
      call(ConstPtr(bump), p0, descr=f)
      guard_no_exception() [run@2: p0, n1]
      jump(descr=Loop0.body)
    `);
    expect(r.rules).toEqual({ "guard-bool-makes-const": 2, "unroll-peeled": 1 });
  });

  // The same loop with a call that writes only B.y: the load is invariant and hoisted,
  // and so is the comparison on it and its guard.
  it("a call that cannot write the field does not stop the forwarding", () => {
    const r = peel(callLoop("writesY"), ALL, callEnv());
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=Tape.pos)
      b3 = num_lt(n2, n1)
      guard_true(b3) [run@1: p0, n1, n2]
      call(ConstPtr(bump), p0, descr=writesY)
      guard_no_exception() [run@2: p0, n1]
      label(descr=Loop0.body)
      call(ConstPtr(bump), p0, descr=writesY)
      guard_no_exception() [run@2: p0, n1]
      jump(descr=Loop0.body)
    `);
    // The body's copy of the test is the preamble's, once the load is forwarded: the
    // second round of rewrite/pure after heap removes it (uncounted).
    expect(r.rules).toEqual({ "guard-bool-makes-const": 2, "heap-getfield-forwarded": 1, "unroll-peeled": 1 });
  });

  // p1 may be p0. The store to p1.pos is pending at the end of the preamble; the body's
  // load of p0.pos must see it, so the write is performed first (at the top of the
  // body: the preamble's pending write, with its value n4 a phi) and the load stays.
  // The body's own store is then the only pending write, performed before the jump.
  // (Re-performing `setfield(p1, n4)` on the back edge is harmless: it stores what the
  // previous iteration's last op stored.)
  it("a store to a possibly-same object keeps the load in the body", () => {
    const r = peel(trace`
      # loop
      [p0, p1, n2]
      label(p0, p1, n2, descr=Loop0)
      n3 = getfield(p0, descr=Tape.pos)
      n4 = num_add(n3, n2)
      setfield(p1, n4, descr=Tape.pos)
      n5 = num_add(n2, 1)
      b6 = num_lt(n5, 5)
      guard_true(b6) [run@1: p0, p1, n3, n5]
      jump(p0, p1, n5, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, n2]
      label(p0, p1, n2, descr=Loop0)
      n3 = getfield(p0, descr=Tape.pos)
      n4 = num_add(n3, n2)
      n5 = num_add(n2, 1)
      b6 = num_lt(n5, 5)
      guard_true(b6) [run@1: p0, p1, n3, n5] {setfield(p1, n4, descr=Tape.pos)}
      label(n5, n4, descr=Loop0.body)
      setfield(p1, n4, descr=Tape.pos)
      n7 = getfield(p0, descr=Tape.pos)
      n8 = num_add(n7, n5)
      n9 = num_add(n5, 1)
      b10 = num_lt(n9, 5)
      guard_true(b10) [run@1: p0, p1, n7, n9] {setfield(p1, n8, descr=Tape.pos)}
      setfield(p1, n8, descr=Tape.pos)
      jump(n9, n8, descr=Loop0.body)
    `);
  });

  // The same loop storing to another field: no alias, the load is invariant.
  it("a store to another field does not stop the forwarding", () => {
    const r = peel(trace`
      # loop
      [p0, p1, n2]
      label(p0, p1, n2, descr=Loop0)
      n3 = getfield(p0, descr=Tape.pos)
      n4 = num_add(n3, n2)
      setfield(p1, n4, descr=Tape.mark)
      n5 = num_add(n2, 1)
      b6 = num_lt(n5, 5)
      guard_true(b6) [run@1: p0, p1, n3, n5]
      jump(p0, p1, n5, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, n2]
      label(p0, p1, n2, descr=Loop0)
      n3 = getfield(p0, descr=Tape.pos)
      n4 = num_add(n3, n2)
      n5 = num_add(n2, 1)
      b6 = num_lt(n5, 5)
      guard_true(b6) [run@1: p0, p1, n3, n5] {setfield(p1, n4, descr=Tape.mark)}
      label(n5, descr=Loop0.body)
      n7 = num_add(n3, n5)
      n8 = num_add(n5, 1)
      b9 = num_lt(n8, 5)
      guard_true(b9) [run@1: p0, p1, n3, n8] {setfield(p1, n7, descr=Tape.mark)}
      jump(n8, descr=Loop0.body)
    `);
  });
});

describe("unroll: traces that are not peelable loops", () => {
  const BODY = `
    n2 = getfield(p0, descr=Tape.pos)
    n3 = num_add(n2, 1)
    setfield(p0, n3, descr=Tape.pos)
    b4 = num_lt(n3, n1)
    guard_true(b4) [run@1: p0, n1]
  `;
  const cases: Record<string, string> = {
    bridge: `# bridge\n[p0, n1]\nlabel(p0, n1, descr=Loop0)\n${BODY}\njump(p0, n1, descr=Loop0)`,
    "loop without a label": `# loop\n[p0, n1]\n${BODY}\njump(p0, n1, descr=Loop0)`,
    "loop jumping to another label": `# loop\n[p0, n1]\nlabel(p0, n1, descr=Loop1)\n${BODY}\njump(p0, n1, descr=Loop0)`,
    "label not on the inputs": `# loop\n[p0, n1]\nlabel(n1, p0, descr=Loop0)\n${BODY}\njump(n1, p0, descr=Loop0)`,
    "entry ending in finish": `# entry\n[p0, n1]\n${BODY}\nfinish(n3)`,
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: as the forward passes alone make it`, () => {
      const peeled = peel(text);
      const plain = peel(text, NO_UNROLL);
      expect(peeled.text).toBe(plain.text);
      expect(peeled.rules).toEqual(plain.rules);
      expect(Object.keys(peeled.rules).filter((k) => k.startsWith("unroll"))).toEqual([]);
    });
  }

  it("a bridge: the write is delayed to the jump, nothing is peeled", () => {
    expect(peel(cases.bridge!).text).toBe(trace`
      # bridge
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=Tape.pos)
      n3 = num_add(n2, 1)
      b4 = num_lt(n3, n1)
      guard_true(b4) [run@1: p0, n1] {setfield(p0, n3, descr=Tape.pos)}
      setfield(p0, n3, descr=Tape.pos)
      jump(p0, n1, descr=Loop0)
    `);
  });
});

describe("unroll: rule counters", () => {
  it("counts one unroll-peeled per loop and one unroll-phi per label argument", () => {
    const r = opt(trace`
      # loop
      [n0, n1, n2]
      label(n0, n1, n2, descr=Loop0)
      n3 = num_add(n0, 1)
      n4 = num_add(n1, n2)
      b5 = num_lt(n3, n4)
      guard_true(b5) [n0, n1, n2]
      jump(n3, n4, n2, descr=Loop0)
    `);
    // n3 and n4 are phis (in the order closeLoop finds them); n2 is invariant.
    expect(r.text).toContain("label(n4, n3, descr=Loop0.body)");
    expect(r.text).toContain("jump(n7, n6, descr=Loop0.body)");
    expect(r.rules["unroll-peeled"]).toBe(1);
    expect(r.rules["unroll-phi"]).toBe(2);
  });

  // Closing the loop fails (and the pipeline falls back to the unpeeled loop, counting
  // unroll-gave-up) when the pairs of the wide jump disagree or the body refers to a
  // preamble value no pair covers. No real trace is known to do that now, so the check
  // is made on closeLoop directly, with the pairs of an unrolled loop tampered with.
  it("closeLoop gives up when the pairs are inconsistent", () => {
    const t = parseTrace(trace`
      # loop
      [n0]
      label(n0, descr=Loop0)
      n1 = num_add(n0, 1)
      jump(n1, descr=Loop0)
    `);
    const u = unroll(t);
    const ops = u.trace.ops;
    const jump = ops[ops.length - 1]!;
    expect(closeLoop(u.trace, u)).not.toBeNull();
    // W = [n0, n1] and W' = [n1, n1']; claim W = [n0, n0]: n0 then became both n1 and n1'.
    const args = jump.args.slice();
    const w = args.length - 2 * u.pairs;
    args[w + 1] = args[w]!;
    const tampered = new Trace(u.trace.inputs, [...ops.slice(0, -1), new Op("jump", args, jump.descr)], "loop", "");
    expect(closeLoop(tampered, u)).toBeNull();
  });
});

// ---- executing traces ---------------------------------------------------------------
//
// Whole traces run with the fuzzer's executor (test/fuzz/trace-exec.ts): a run leaves
// like compiled code does, at a failing guard whose resume data (delayed writes
// performed) is what the interpreter would go on with. Compared: where it left, the
// values it left with, and the input objects' state after the run.

/** Where a run left and with what (not how many iterations: peeling runs one fewer jump). */
function run(t: Trace, inputs: unknown[]): { at: string; values: unknown[] } {
  const { at, values } = execute(t, inputs, 10_000);
  return { at, values };
}

class Tape {
  pos = 0;
  mark = 0;
  constructor(readonly cells: Uint8Array = new Uint8Array(8)) {}
}
function bump(t: Tape): void {
  t.pos += 2;
}
const K = { name: "K" };
const execEnv: ParseEnv = {
  consts: { K, bump },
  descrs: { Tape: new ClassDescr("Tape", Tape), bump: new CallDescr("bump", "-", EFFECTS_ALL, true, { kind: "function" }) },
};

/**
 * Runs `text` as it is and optimized by the default pipeline (every pass, intbounds
 * included; the loop must come out peeled), each on fresh inputs
 * from `inputs()`: both must leave at the same place with the same values and leave the
 * inputs (the heap) in the same state. Returns where the original left.
 */
function sameRun(text: string, inputs: () => unknown[]): { at: string; values: unknown[] } {
  const original = parseTrace(text, execEnv);
  const stats = newOptStats();
  const peeled = optimize(original, { stats });
  expect(stats.rules.get("unroll-peeled")).toBe(1);
  const a = inputs();
  const b = inputs();
  const exitA = run(original, a);
  const exitB = run(peeled, b);
  expect(exitB).toEqual(exitA);
  expect(b).toEqual(a);
  return exitA;
}

describe("unroll: peeled loops run as the originals do", () => {
  const BF = trace`
    # loop bf
    [p0]
    label(p0, descr=Loop0)
    guard_class(p0, descr=Tape) [run@0: p0]
    p1 = getfield(p0, descr=Tape.cells)
    n2 = getfield(p0, descr=Tape.pos)
    n3 = num_add(n2, 1)
    n4 = arraylen(p1, descr=Uint8Array)
    b5 = num_lt(n3, n4)
    guard_true(b5) [run@1: p0]
    setfield(p0, n3, descr=Tape.pos)
    p6 = getfield(p0, descr=Tape.cells)
    n7 = getfield(p0, descr=Tape.pos)
    n8 = getarrayitem(p6, n7, descr=Uint8Array)
    b9 = ne(n8, 0)
    guard_true(b9) [run@2: p0]
    jump(p0, descr=Loop0)
  `;

  // The BF loop of the first tests, with a class check. It leaves at `]` (a zero cell)
  // or at `>`'s bounds check, before the original stores pos. With a 2-cell tape it
  // leaves in the first run of the peeled body, where pos = 1 was never stored by the
  // compiled code: only the guard's delayed write puts it into the heap.
  it("BF `>]`: stops at a zero cell, and at the end of the tape (with the delayed write)", () => {
    const zeroAt4 = sameRun(BF, () => [new Tape(Uint8Array.of(1, 1, 1, 1, 0, 1))]);
    expect(zeroAt4).toEqual({ at: "guard run@2", values: [expect.objectContaining({ pos: 4 })] });
    const noZero = sameRun(BF, () => [new Tape(Uint8Array.of(1, 1, 1, 1))]);
    expect(noZero).toEqual({ at: "guard run@1", values: [expect.objectContaining({ pos: 3 })] });
    const short = sameRun(BF, () => [new Tape(Uint8Array.of(1, 1))]);
    expect(short).toEqual({ at: "guard run@1", values: [expect.objectContaining({ pos: 1 })] });
    const first = sameRun(BF, () => [new Tape(Uint8Array.of(1, 0))]);
    expect(first).toEqual({ at: "guard run@2", values: [expect.objectContaining({ pos: 1 })] });
  });

  // The aliasing loop of the must-not tests, run with p1 === p0 (the body's load must
  // see the store) and with two tapes.
  it("a store to a possibly-same object: aliased and not", () => {
    const text = trace`
      # loop
      [p0, p1, n2]
      label(p0, p1, n2, descr=Loop0)
      n3 = getfield(p0, descr=Tape.pos)
      n4 = num_add(n3, n2)
      setfield(p1, n4, descr=Tape.pos)
      n5 = num_add(n2, 1)
      b6 = num_lt(n5, 5)
      guard_true(b6) [run@1: p0, p1, n3, n5]
      jump(p0, p1, n5, descr=Loop0)
    `;
    const aliased = sameRun(text, () => {
      const t = new Tape();
      return [t, t, 1];
    });
    // pos: 0 -> 1 -> 3 -> 6 -> 10; the guard fails with n3 = 6 and n5 = 5.
    expect(aliased.values.slice(2)).toEqual([6, 5]);
    expect((aliased.values[0] as Tape).pos).toBe(10);
    const apart = sameRun(text, () => [new Tape(), new Tape(), 1]);
    expect(apart.values.slice(2)).toEqual([0, 5]);
  });

  // A call that moves pos (the body reloads it), and phis assigned in parallel.
  it("a call that writes the field, and a Fibonacci loop of phis", () => {
    const call = sameRun(
      trace`
        # loop
        [p0, n1]
        label(p0, n1, descr=Loop0)
        n2 = getfield(p0, descr=Tape.pos)
        b3 = num_lt(n2, n1)
        guard_true(b3) [run@1: p0, n1, n2]
        call(ConstPtr(bump), p0, descr=bump)
        guard_no_exception() [run@2: p0, n1]
        jump(p0, n1, descr=Loop0)
      `,
      () => [new Tape(), 7],
    );
    expect(call.values.slice(1)).toEqual([7, 8]);
    const fib = sameRun(
      trace`
        # loop
        [n0, n1, n2]
        label(n0, n1, n2, descr=Loop0)
        n3 = num_add(n0, n1)
        n4 = num_add(n2, 1)
        b5 = num_lt(n4, 10)
        guard_true(b5) [run@1: n0, n1, n3]
        jump(n1, n3, n4, descr=Loop0)
      `,
      () => [0, 1, 0],
    );
    expect(fib.values).toEqual([34, 55, 89]);
  });

  // The comparison is not vacuous: the peeled POS_LOOP runs as the original does, but
  // without the delayed write in its body guard's resume data, pos is left one short.
  it("notices a peeled loop that loses a delayed write", () => {
    const original = parseTrace(POS_LOOP, execEnv);
    const runOnTape = (t: Trace): [{ at: string; values: unknown[] }, unknown[]] => {
      const inputs = [new Tape(), 3];
      return [run(t, inputs), inputs];
    };
    const expected = runOnTape(original);
    expect(expected[0].at).toBe("guard run@1");
    expect(runOnTape(parseTrace(POS_LOOP_PEELED, execEnv))).toEqual(expected);
    const broken = POS_LOOP_PEELED.replace(" {setfield(p0, n5, descr=Tape.pos)}", "");
    expect(broken).not.toBe(POS_LOOP_PEELED);
    expect(runOnTape(parseTrace(broken, execEnv))).not.toEqual(expected);
  });

  // Guards checked only in the preamble: passing ones, and a guard_value that fails.
  it("invariant guards: the loop leaves at the counter's guard, or at once at guard_value", () => {
    const text = trace`
      # loop
      [p0, p1, n2]
      label(p0, p1, n2, descr=Loop0)
      guard_class(p0, descr=Tape) [run@0: p0, p1, n2]
      guard_value(p1, ConstPtr(K)) [run@1: p0, p1, n2]
      n3 = num_add(n2, 1)
      b4 = num_lt(n3, 100)
      guard_true(b4) [run@2: p0, p1, n3]
      jump(p0, p1, n3, descr=Loop0)
    `;
    expect(sameRun(text, () => [new Tape(), K, 0]).values[2]).toBe(100);
    expect(sameRun(text, () => [new Tape(), { name: "other" }, 0]).at).toBe("guard run@1");
  });
});
