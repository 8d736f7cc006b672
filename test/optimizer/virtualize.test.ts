/**
 * @fileoverview Text-in/text-out tests of the virtualize pass (allocation removal):
 * objects and arrays read back and dropped, forced where they escape (calls, stores
 * into real objects, jumps, labels, fields never written), described in resume data,
 * nested and cyclic virtuals, virtual arrays (typed ones convert), tests on fresh
 * objects folded, and loops: forced at the back edge without peeling, carried around it
 * with peeling (virtual state). Each case that must not be optimized is written next to
 * one that is. The last group runs optimized and unoptimized traces on concrete inputs
 * (the fuzz executor) and checks that they agree, also when a guard fails with live
 * virtuals and resuming has to materialize them.
 */

import { describe, expect, it } from "vitest";
import { type ParseEnv, parseTrace } from "../../src/ir/parser.js";
import { TargetToken, frameShapeKey } from "../../src/ir/descr.js";
import { printTrace } from "../../src/ir/printer.js";
import { ALL_PASSES, optimize } from "../../src/optimizer/pipeline.js";
import { World, describeRun, execute } from "../fuzz/trace-exec.js";
import { trace } from "../support/text.js";
import { opt } from "./run.js";

const VIRT = ["virtualize"];
const NO_UNROLL = ALL_PASSES.filter((p) => p !== "unroll");

/** Runs the given passes and checks that the result reads back as printed. */
function virt(text: string, passes: readonly string[] = VIRT, env?: ParseEnv) {
  const r = opt(text, passes, env);
  expect(printTrace(parseTrace(r.text, env))).toBe(r.text);
  return r;
}

describe("virtualize: objects", () => {
  it("removes a box that is allocated and read back", () => {
    const r = virt(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      setfield(p1, n0, descr=Box.value)
      n2 = getfield(p1, descr=Box.value)
      n3 = num_add(n2, 1)
      setfield(p1, n3, descr=Box.value)
      n4 = getfield(p1, descr=Box.value)
      finish(n4)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0]
      n1 = num_add(n0, 1)
      finish(n1)
    `);
    expect(r.rules).toEqual({ "virtualize-new": 1, "virtualize-setfield": 2, "virtualize-getfield": 2 });
  });

  it("forces a virtual passed to a residual call just before the call, with its current fields", () => {
    const r = virt(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      setfield(p1, n0, descr=Box.value)
      n2 = num_add(n0, 1)
      setfield(p1, n2, descr=Box.value)
      v3 = call(ConstPtr(f), p1, descr=f)
      n4 = getfield(p1, descr=Box.value)
      finish(v3, n4)
    `);
    // After the call the box is an ordinary object (the call may have changed it).
    expect(r.text).toBe(trace`
      # loop
      [n0]
      n1 = num_add(n0, 1)
      p2 = new(descr=Box)
      setfield(p2, n1, descr=Box.value)
      v3 = call(ConstPtr(f), p2, descr=f)
      n4 = getfield(p2, descr=Box.value)
      finish(v3, n4)
    `);
    expect(r.rules["virtualize-force"]).toBe(1);
    expect(r.rules["virtualize-escape-call"]).toBe(1);
  });

  it("forces a virtual stored into a real object, but not one stored into a virtual", () => {
    const r = virt(trace`
      # loop
      [p0, n1]
      p2 = new(descr=Box)
      setfield(p2, n1, descr=Box.value)
      p3 = new(descr=Box)
      setfield(p3, 5, descr=Box.value)
      p4 = new(descr=Holder)
      setfield(p4, p3, descr=Holder.item)
      setfield(p0, p2, descr=Holder.item)
      p5 = getfield(p4, descr=Holder.item)
      n6 = getfield(p5, descr=Box.value)
      finish(n6)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      p2 = new(descr=Box)
      setfield(p2, n1, descr=Box.value)
      setfield(p0, p2, descr=Holder.item)
      finish(5)
    `);
    expect(r.rules["virtualize-escape-setfield"]).toBe(1);
  });

  it("forces at finish and jump, and a virtual given to any op it cannot decide", () => {
    const r = virt(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      p2 = new(descr=Box)
      s3 = to_str(p2)
      finish(p1, s3)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      s2 = to_str(p1)
      p3 = new(descr=Box)
      finish(p3, s2)
    `);
  });

  it("must not guess a field the trace never wrote: the constructor's default is unknown", () => {
    const r = virt(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      setfield(p1, n0, descr=Box.value)
      n2 = getfield(p1, descr=Box.other)
      n3 = getfield(p1, descr=Box.value)
      finish(n2, n3)
    `);
    // Forced where the unknown field is read; from then on an ordinary object (the heap
    // pass, not this one, forwards the later read).
    expect(r.text).toBe(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      setfield(p1, n0, descr=Box.value)
      n2 = getfield(p1, descr=Box.other)
      n3 = getfield(p1, descr=Box.value)
      finish(n2, n3)
    `);
    expect(r.rules).toEqual({ "virtualize-new": 1, "virtualize-setfield": 1, "virtualize-force": 1, "virtualize-escape-getfield": 1 });
  });

  it("must not treat a field of another class as the virtual's own", () => {
    const r = virt(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      setfield(p1, n0, descr=Other.value)
      finish()
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      setfield(p1, n0, descr=Other.value)
      finish()
    `);
  });

  it("forces nested virtuals inner first after the outer allocation, and ends on cycles", () => {
    const r = virt(trace`
      # loop
      [p0, n1]
      p2 = new(descr=Box)
      setfield(p2, n1, descr=Box.value)
      p3 = new(descr=Pair)
      setfield(p3, p2, descr=Pair.left)
      setfield(p3, p3, descr=Pair.right)
      p4 = getfield(p3, descr=Pair.right)
      p5 = getfield(p4, descr=Pair.left)
      n6 = getfield(p5, descr=Box.value)
      setfield(p0, p3, descr=Holder.item)
      finish(n6)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      p2 = new(descr=Pair)
      p3 = new(descr=Box)
      setfield(p3, n1, descr=Box.value)
      setfield(p2, p3, descr=Pair.left)
      setfield(p2, p2, descr=Pair.right)
      setfield(p0, p2, descr=Holder.item)
      finish(n1)
    `);
    expect(r.rules["virtualize-force"]).toBe(2);
  });
});

describe("virtualize: resume data", () => {
  it("describes a virtual that only a guard's resume data names, with its fields at the guard", () => {
    const r = virt(trace`
      # loop
      [n0, b1]
      p2 = new(descr=Box)
      setfield(p2, n0, descr=Box.value)
      p3 = new(descr=Pair)
      setfield(p3, p2, descr=Pair.left)
      setfield(p3, p3, descr=Pair.right)
      guard_true(b1) [run@3: p3, n0]
      n4 = num_add(n0, 1)
      setfield(p2, n4, descr=Box.value)
      guard_false(b1) [run@4: p2]
      finish(n4)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0, b1]
      guard_true(b1) [run@3: p2, n0] {p2 = Pair(left=p3, right=p2); p3 = Box(value=n0)}
      n4 = num_add(n0, 1)
      guard_false(b1) [run@4: p3] {p3 = Box(value=n4)}
      finish(n4)
    `);
    expect(r.rules["virtualize-resume-virtual"]).toBe(3);
    expect(r.rules["virtualize-force"]).toBeUndefined();
  });

  it("describes virtuals named by delayed writes, and keeps described ones of the input", () => {
    const r = virt(trace`
      # loop
      [p0, n1]
      p2 = new(descr=Box)
      setfield(p2, n1, descr=Box.value)
      guard_true(true) [p5] {p5 = Box(value=7); setfield(p0, p2, descr=Holder.item)}
      finish()
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      guard_true(true) [p2] {p2 = Box(value=7); p3 = Box(value=n1); setfield(p0, p3, descr=Holder.item)}
      finish()
    `);
  });

  it("a virtual forced after a guard is described at the guard and allocated after it", () => {
    const r = virt(trace`
      # loop
      [n0, b1]
      p2 = new(descr=Box)
      setfield(p2, n0, descr=Box.value)
      guard_true(b1) [p2]
      call(ConstPtr(f), p2, descr=f)
      finish()
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0, b1]
      guard_true(b1) [p2] {p2 = Box(value=n0)}
      p2 = new(descr=Box)
      setfield(p2, n0, descr=Box.value)
      call(ConstPtr(f), p2, descr=f)
      finish()
    `);
  });
});

describe("virtualize: tests on fresh objects", () => {
  it("folds identity: a fresh object is identical only to itself", () => {
    const r = virt(trace`
      # loop
      [p0]
      p1 = new(descr=Box)
      p2 = new(descr=Box)
      b3 = eq(p1, p0)
      b4 = ne(p1, p2)
      b5 = eq(p1, p1)
      b6 = eq(null, p2)
      p7 = same_as(p1)
      b8 = eq(p7, p1)
      finish(b3, b4, b5, b6, b8)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0]
      finish(false, true, true, false, true)
    `);
  });

  it("must not fold identity once the object is real (another value may be the same object)", () => {
    const r = virt(trace`
      # loop
      [p0]
      p1 = new(descr=Box)
      v2 = call(ConstPtr(f), p1, descr=f)
      b3 = eq(p1, v2)
      finish(b3)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0]
      p1 = new(descr=Box)
      v2 = call(ConstPtr(f), p1, descr=f)
      b3 = eq(p1, v2)
      finish(b3)
    `);
  });

  it("removes guards a fresh object passes and turns the ones it fails into guard_true(false)", () => {
    const r = virt(trace`
      # loop
      [p0, n1]
      p2 = new(descr=Box)
      setfield(p2, n1, descr=Box.value)
      guard_nonnull(p2) [p2]
      guard_class(p2, descr=Box) [p2]
      guard_true(p2) [p2]
      b3 = truthy(p2)
      s4 = type_of(p2)
      guard_class(p2, descr=Other) [run@7: p2]
      guard_value(p0, p2) [run@8: p0]
      finish(b3, s4)
    `);
    // A failing guard stays a way out, with the virtual described for resuming.
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      guard_true(false) [run@7: p2] {p2 = Box(value=n1)}
      guard_true(false) [run@8: p0]
      finish(true, "object")
    `);
    expect(r.rules["virtualize-guard-removed"]).toBe(3);
    expect(r.rules["virtualize-guard-fails"]).toBe(2);
  });
});

describe("virtualize: arrays", () => {
  it("keeps a small array of constant length virtual: items, fill value, length", () => {
    const r = virt(trace`
      # loop
      [n0]
      p1 = new_array(3, 0, descr=Array<number>)
      setarrayitem(p1, 1, n0, descr=Array<number>)
      n2 = getarrayitem(p1, 1, descr=Array<number>)
      n3 = getarrayitem(p1, 2, descr=Array<number>)
      n4 = arraylen(p1, descr=Array<number>)
      guard_true(true) [p1]
      finish(n2, n3, n4)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0]
      guard_true(true) [p1] {p1 = Array<number>[0, n0, 0]}
      finish(n0, 0, 3)
    `);
  });

  it("appends to a plain array at its end (an array literal grown item by item), but not past it", () => {
    const r = virt(trace`
      # loop
      [n0, p1]
      p2 = new_array(0, undefined, descr=Array<number>)
      setarrayitem(p2, 0, n0, descr=Array<number>)
      setarrayitem(p2, 1, 5, descr=Array<number>)
      n3 = arraylen(p2, descr=Array<number>)
      n4 = getarrayitem(p2, 1, descr=Array<number>)
      guard_true(true) [p2]
      p5 = new_array(0, undefined, descr=Array<number>)
      setarrayitem(p5, 2, n0, descr=Array<number>)
      finish(n3, n4, p5)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0, p1]
      guard_true(true) [p2] {p2 = Array<number>[n0, 5]}
      p3 = new_array(0, undefined, descr=Array<number>)
      setarrayitem(p3, 2, n0, descr=Array<number>)
      finish(2, 5, p3)
    `);
    expect(r.rules["virtualize-append"]).toBe(2);
  });

  it("applies a typed array's conversion to what it reads back", () => {
    const r = virt(trace`
      # loop
      [n0]
      p1 = new_array(2, 7, descr=Uint8Array)
      setarrayitem(p1, 0, n0, descr=Uint8Array)
      setarrayitem(p1, 1, 300, descr=Uint8Array)
      n2 = getarrayitem(p1, 0, descr=Uint8Array)
      n3 = getarrayitem(p1, 1, descr=Uint8Array)
      finish(n2, n3)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0]
      n1 = int_and(n0, 255)
      finish(n1, 44)
    `);
  });

  it("forces the array at an index it cannot decide and writes only items that differ from the fill", () => {
    const text = trace`
      # loop
      [n0]
      p1 = new_array(3, 0, descr=Array<number>)
      setarrayitem(p1, 2, n0, descr=Array<number>)
      n2 = getarrayitem(p1, n0, descr=Array<number>)
      p3 = new_array(2, 0, descr=Array<number>)
      n4 = getarrayitem(p3, 2, descr=Array<number>)
      p5 = new_array(2, 0, descr=Array<number>)
      setarrayitem(p5, 1.5, 1, descr=Array<number>)
      finish(n2, n4, p5)
    `;
    // Out of bounds (2 of 2) and not an index (1.5, a property) are not guessed either:
    // the trace comes out as it went in.
    expect(virt(text).text).toBe(text);
  });

  it("must not virtualize an array of unknown or large length, or a Float32Array", () => {
    const text = trace`
      # loop
      [n0]
      p1 = new_array(n0, 0, descr=Array<number>)
      p2 = new_array(1000, 0, descr=Array<number>)
      p3 = new_array(2, 0, descr=Float32Array)
      setarrayitem(p3, 0, 0.1, descr=Float32Array)
      n4 = getarrayitem(p3, 0, descr=Float32Array)
      finish(p1, p2, n4)
    `;
    const r = virt(text);
    expect(r.text).toBe(text);
    expect(r.rules).toEqual({});
  });
});

// objloop.tiny's shape: a box made this iteration goes into a record, and the record of
// the previous iteration is still live (in a guard's resume data) when the next one
// starts. Peeled once, the record's field would be a phi entering with the real input p0
// and coming around with a virtual; peeled twice, both sides are virtual.
const RECORD_LOOP = trace`
  # loop
  [p0, p1]
  label(p0, p1, descr=Loop0)
  n2 = getfield(p0, descr=A.x)
  p3 = new(descr=A)
  setfield(p3, p0, descr=A.next)
  n4 = num_add(n2, 1)
  p5 = new(descr=A)
  setfield(p5, n4, descr=A.x)
  b6 = num_lt(n4, 100)
  guard_true(b6) [run@1: p5, p3, p1]
  jump(p5, p3, descr=Loop0)
`;

describe("virtualize: loops", () => {
  const BOX_LOOP = trace`
    # loop
    [p0]
    label(p0, descr=Loop0)
    n1 = getfield(p0, descr=Box.value)
    n2 = num_add(n1, 1)
    p3 = new(descr=Box)
    setfield(p3, n2, descr=Box.value)
    b4 = num_lt(n2, 100)
    guard_true(b4) [run@2: p3]
    jump(p3, descr=Loop0)
  `;

  it("forces a virtual at the loop's jump when the loop is not peeled", () => {
    const r = virt(BOX_LOOP, NO_UNROLL);
    expect(r.text).toBe(trace`
      # loop
      [p0]
      label(p0, descr=Loop0)
      n1 = getfield(p0, descr=Box.value)
      n2 = num_add(n1, 1)
      b3 = num_lt(n2, 100)
      guard_true(b3) [run@2: p4] {p4 = Box(value=n2)}
      p4 = new(descr=Box)
      setfield(p4, n2, descr=Box.value)
      jump(p4, descr=Loop0)
    `);
  });

  it("forces the virtuals at a label: the code after it also runs on the back edge", () => {
    const r = virt(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      setfield(p1, n0, descr=Box.value)
      label(n0, descr=Loop0)
      n2 = getfield(p1, descr=Box.value)
      setfield(p1, 1, descr=Box.value)
      jump(n2, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0]
      p1 = new(descr=Box)
      setfield(p1, n0, descr=Box.value)
      label(n0, descr=Loop0)
      n2 = getfield(p1, descr=Box.value)
      setfield(p1, 1, descr=Box.value)
      jump(n2, descr=Loop0)
    `);
  });

  it("peeled: a box carried around the loop stays virtual and its field is the phi (virtual state)", () => {
    const r = virt(BOX_LOOP, ALL_PASSES);
    expect(r.text).toBe(trace`
      # loop
      [p0]
      label(p0, descr=Loop0)
      n1 = getfield(p0, descr=Box.value)
      n2 = num_add(n1, 1)
      b3 = num_lt(n2, 100)
      guard_true(b3) [run@2: p4] {p4 = Box(value=n2)}
      label(n2, descr=Loop0.body)
      n5 = num_add(n2, 1)
      b6 = num_lt(n5, 100)
      guard_true(b6) [run@2: p7] {p7 = Box(value=n5)}
      jump(n5, descr=Loop0.body)
    `);
    expect(r.rules["unroll-peeled"]).toBe(1);
    expect(r.text).not.toContain("new(");
  });

  it("peeled: a virtual the body forces is allocated in the body from phis", () => {
    const r = virt(
      trace`
        # loop
        [p0, n1]
        label(p0, n1, descr=Loop0)
        v2 = call(ConstPtr(f), p0, descr=f)
        n3 = num_add(n1, 1)
        p4 = new(descr=Box)
        setfield(p4, n3, descr=Box.value)
        jump(p4, n3, descr=Loop0)
      `,
      ALL_PASSES,
    );
    // One allocation per iteration, where the object escapes; its field is the phi.
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      v2 = call(ConstPtr(f), p0, descr=f)
      n3 = num_add(n1, 1)
      label(n3, descr=Loop0.body)
      p4 = new(descr=Box)
      setfield(p4, n3, descr=Box.value)
      v5 = call(ConstPtr(f), p4, descr=f)
      n6 = num_add(n3, 1)
      jump(n6, descr=Loop0.body)
    `);
  });

  it("peeled: gives up peeling when a phi would have to carry a virtual (a growing list)", () => {
    const r = virt(
      trace`
        # loop
        [p0, n1]
        label(p0, n1, descr=Loop0)
        p2 = new(descr=A)
        setfield(p2, p0, descr=A.next)
        n3 = num_add(n1, 1)
        b4 = num_lt(n3, 10)
        guard_true(b4) [run@1: p2]
        jump(p2, n3, descr=Loop0)
      `,
      ALL_PASSES,
    );
    expect(r.rules["unroll-gave-up"]).toBe(1);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = num_add(n1, 1)
      b3 = num_lt(n2, 10)
      guard_true(b3) [run@1: p4] {p4 = A(next=p0)}
      p4 = new(descr=A)
      setfield(p4, p0, descr=A.next)
      jump(p4, n2, descr=Loop0)
    `);
  });

  it("peeled twice: a record of the previous iteration holding a box stays virtual (two phis)", () => {
    const r = virt(RECORD_LOOP, ALL_PASSES);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1]
      label(p0, p1, descr=Loop0)
      n2 = getfield(p0, descr=A.x)
      n3 = num_add(n2, 1)
      b4 = num_lt(n3, 100)
      guard_true(b4) [run@1: p5, p6, p1] {p5 = A(x=n3); p6 = A(next=p0)}
      n7 = num_add(n3, 1)
      b8 = num_lt(n7, 100)
      guard_true(b8) [run@1: p9, p10, p6] {p9 = A(x=n7); p10 = A(next=p5); p6 = A(next=p0); p5 = A(x=n3)}
      label(n3, n7, descr=Loop0.body)
      n11 = num_add(n7, 1)
      b12 = num_lt(n11, 100)
      guard_true(b12) [run@1: p13, p14, p10] {p13 = A(x=n11); p14 = A(next=p9); p10 = A(next=p5); p9 = A(x=n7); p5 = A(x=n3)}
      jump(n7, n11, descr=Loop0.body)
    `);
    expect(r.rules["unroll-peeled-again"]).toBe(1);
    expect(r.rules["unroll-gave-up"]).toBeUndefined();
  });
});

describe("virtualize: a guest call's frame passed by its contents", () => {
  /** A callee token whose frame (the first red of two) may be passed by contents; records the shapes asked for. */
  function callee(accept = true) {
    const shapes: string[] = [];
    const token = new TargetToken("Loop3");
    const entry = new TargetToken("Loop3f");
    token.frameEntry = {
      red: 0,
      reds: 2,
      entry: (shape) => {
        shapes.push(frameShapeKey(shape));
        return accept ? entry : null;
      },
    };
    return { env: { descrs: { Loop3: token, Loop3f: entry } }, shapes };
  }

  /** A caller that allocates the callee's frame (a stack of two, a depth) and calls with it. */
  const call = (after = "") => trace`
    # bridge
    [p0, n1, p2]
    p3 = new(descr=Frame)
    p4 = new_array(2, null, descr=Array<W_Root>)
    setarrayitem(p4, 0, p2, descr=Array<W_Root>)
    setfield(p3, p4, descr=Frame.stack)
    setfield(p3, n1, descr=Frame.depth)
    v5 = call_assembler(p3, p0, p2, null, descr=Loop3)
    guard_no_exception() [run@7: p0]
    ${after}finish(v5)
  `;

  it("passes a frame the caller never uses again as its fields and its arrays' items, to the callee's frame entry", () => {
    const c = callee();
    const r = virt(call(), VIRT, c.env);
    expect(r.text).toBe(trace`
      # bridge
      [p0, n1, p2]
      v3 = call_assembler(p0, p2, null, n1, descr=Loop3f)
      guard_no_exception() [run@7: p0]
      finish(v3)
    `);
    expect(c.shapes).toEqual(["Frame{stack:[*,*],depth}"]);
    expect(r.rules["virtualize-frame-passed"]).toBe(1);
  });

  it("must not when the callee has no frame entry for the shape: the frame is forced", () => {
    const r = virt(call(), VIRT, callee(false).env);
    expect(r.text).toContain("= call_assembler(p3, p0, p2, null, descr=Loop3)");
    expect(r.text).toContain("p3 = new(descr=Frame)");
  });

  it("must not when the frame is used after the call, named by later resume data, or held by another virtual", () => {
    for (const after of ["n6 = getfield(p3, descr=Frame.depth)\n    guard_true(n6) [run@8: p0]\n    ", "guard_true(n1) [run@8: p0, p3]\n    "]) {
      const c = callee();
      const r = virt(call(after), VIRT, c.env);
      expect(r.text).toContain("descr=Loop3)");
      expect(c.shapes).toEqual([]);
    }
    const c = callee();
    const held = virt(
      trace`
        # bridge
        [p0, n1]
        p3 = new(descr=Frame)
        setfield(p3, n1, descr=Frame.depth)
        p5 = new(descr=Box)
        setfield(p5, p3, descr=Box.value)
        v6 = call_assembler(p3, p0, descr=Loop3)
        finish(v6)
      `,
      VIRT,
      c.env,
    );
    expect(held.text).toContain("descr=Loop3)");
    expect(c.shapes).toEqual([]);
  });

  it("passes an array of the frame that the caller uses again, or that another virtual holds, as a real object", () => {
    const c = callee();
    const used = virt(call("p6 = getarrayitem(p4, 0, descr=Array<W_Root>)\n    guard_nonnull(p6) [run@8: p0]\n    "), VIRT, c.env);
    expect(used.text).toContain("p3 = new_array(2, null, descr=Array<W_Root>)");
    expect(used.text).toContain("v4 = call_assembler(p0, p3, n1, descr=Loop3f)");
    const held = virt(
      trace`
        # bridge
        [p0, n1, p2]
        p3 = new(descr=Frame)
        p4 = new_array(2, null, descr=Array<W_Root>)
        setfield(p3, p4, descr=Frame.stack)
        setfield(p3, n1, descr=Frame.depth)
        p5 = new(descr=Box)
        setfield(p5, p4, descr=Box.value)
        v6 = call_assembler(p3, p0, null, null, descr=Loop3)
        n7 = call(ConstPtr(f), p5, descr=f)
        finish(v6)
      `,
      VIRT,
      c.env,
    );
    expect(held.text).toMatch(/p3 = new_array\(2, null, descr=Array<W_Root>\)\nv4 = call_assembler\(p0, p3, n1, descr=Loop3f\)\np5 = new\(descr=Box\)/);
    expect(c.shapes).toEqual(["Frame{stack,depth}", "Frame{stack,depth}"]);
  });

  it("passes a box the frame holds by its contents too; one the caller uses again is forced and passed as an object", () => {
    const box = (after: string) => trace`
      # bridge
      [p0, n1]
      p3 = new(descr=Frame)
      p4 = new(descr=W_Int)
      setfield(p4, n1, descr=W_Int.value)
      setfield(p3, p4, descr=Frame.arg)
      v5 = call_assembler(p3, p0, descr=Loop3)
      ${after}finish(v5)
    `;
    const c = callee();
    expect(virt(box(""), VIRT, c.env).text).toBe(trace`
      # bridge
      [p0, n1]
      v2 = call_assembler(p0, n1, descr=Loop3f)
      finish(v2)
    `);
    const used = virt(box("n6 = call(ConstPtr(f), p4, descr=f)\n      "), VIRT, c.env).text;
    expect(used).toContain("p2 = new(descr=W_Int)");
    expect(used).toContain("v3 = call_assembler(p0, p2, descr=Loop3f)");
    expect(c.shapes).toEqual(["Frame{arg:W_Int{value}}", "Frame{arg}"]);
  });
});

describe("virtualize: optimized and unoptimized traces agree when run", () => {
  /** The outcomes of `text` unoptimized and optimized with `enable`, on each input set. */
  function runs(text: string, world: World, inputSets: unknown[][], enable?: readonly string[]): { optimized: string; outcomes: [string, string][] } {
    const t = parseTrace(text, world.env());
    world.reset();
    const o = optimize(t, { enable });
    const outcome = (tr: typeof t, inputs: unknown[]): string => {
      world.reset();
      return describeRun(world, execute(tr, inputs));
    };
    return { optimized: printTrace(o), outcomes: inputSets.map((inputs) => [outcome(t, inputs), outcome(o, inputs)]) };
  }

  const world = new World();
  const a0 = world.addA("a0", 1, 2, 3, () => null);

  it("a loop of boxes (virtual state): leaving at the counter's guard materializes the box", () => {
    const text = trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=A.x)
      n3 = num_add(n2, n1)
      p4 = new(descr=A)
      setfield(p4, n3, descr=A.x)
      setfield(p4, p0, descr=A.next)
      p5 = new_array(2, 0, descr=Array<number>)
      setarrayitem(p5, 1, n3, descr=Array<number>)
      n6 = num_add(n1, 1)
      b7 = num_lt(n6, 5)
      guard_true(b7) [run@1: p4, p5, n6]
      jump(p4, n6, descr=Loop0)
    `;
    for (const enable of [undefined, NO_UNROLL, VIRT]) {
      const r = runs(text, world, [[a0, 0], [a0, 3], [a0, 7]], enable);
      for (const [unoptimized, optimized] of r.outcomes) expect(optimized).toBe(unoptimized);
      // The run leaves with a fresh A and a fresh array, compared field by field.
      expect(r.outcomes[0]![0]).toMatch(/new0: A next=new\d x=\d+/);
      expect(r.outcomes[0]![0]).toMatch(/new\d: Array\[2\] 0=0 1=\d+/);
    }
    // Peeled, the loop keeps the chain of boxes virtual only as long as the pass can:
    // every box points at the one before, so peeling gives up and the jump forces it.
    expect(runs(text, world, [], undefined).optimized).toContain("new(descr=A)");
  });

  it("a record holding the previous iteration's box (peeled twice): same exits, same objects", () => {
    const text = RECORD_LOOP.replace("num_lt(n4, 100)", "num_lt(n4, 6)"); // leaves within a few iterations
    expect(text).toContain("num_lt(n4, 6)");
    const r = runs(text, world, [[a0, a0], [a0, null]]);
    expect(r.optimized).toContain("Loop0.body");
    expect(r.optimized).not.toContain("new(");
    for (const [unoptimized, optimized] of r.outcomes) expect(optimized).toBe(unoptimized);
  });

  it("a box read back in the next iteration: no allocation in the loop, same results", () => {
    const text = trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=A.x)
      n3 = num_add(n2, 2)
      p4 = new(descr=A)
      setfield(p4, n3, descr=A.x)
      n5 = num_add(n1, 1)
      b6 = num_lt(n5, 6)
      guard_true(b6) [run@1: p4, n5]
      b7 = num_lt(n3, 9)
      guard_true(b7) [run@2: n3, p4]
      jump(p4, n5, descr=Loop0)
    `;
    const r = runs(text, world, [[a0, 0], [a0, 4], [a0, 5]]);
    expect(r.optimized).not.toContain("new(");
    for (const [unoptimized, optimized] of r.outcomes) expect(optimized).toBe(unoptimized);
    expect(r.outcomes.map(([u]) => u.split("\n")[0])).toEqual(["exit: guard run@2", "exit: guard run@1", "exit: guard run@1"]);
  });

  it("nested and cyclic virtuals materialize as objects equal field by field", () => {
    const text = trace`
      # bridge
      [p0, n1]
      p2 = new(descr=A)
      setfield(p2, n1, descr=A.x)
      p3 = new(descr=A)
      setfield(p3, p2, descr=A.next)
      setfield(p2, p3, descr=A.next)
      b4 = num_lt(n1, 3)
      guard_true(b4) [run@1: p3, p0] {setfield(p0, p2, descr=A.next)}
      n5 = call(ConstPtr(fRead), p3, descr=fRead)
      finish(p2, n5)
    `;
    const r = runs(text, world, [[a0, 1], [a0, 5]]);
    expect(r.optimized).toContain("{p");
    for (const [unoptimized, optimized] of r.outcomes) expect(optimized).toBe(unoptimized);
    expect(r.outcomes[1]![0]).toMatch(/^exit: guard run@1/);
  });
});
