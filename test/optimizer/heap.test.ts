/**
 * @fileoverview Text-in/text-out tests of the heap pass: field loads forwarded from
 * earlier loads and stores, lazy field writes (overwritten, carried in resume data,
 * forced where memory may be observed), calls by their effects, aliasing (objects,
 * descriptors, fresh allocations), the array cache with its index rules, typed-array
 * conversions and bounds proofs, and array lengths. Each case that must not be
 * optimized is written next to the one that is.
 */

import { describe, expect, it } from "vitest";
import { ArrayDescr, CallDescr, EFFECTS_NONE, FieldDescr } from "../../src/ir/descr.js";
import { type ParseEnv, parseTrace } from "../../src/ir/parser.js";
import { printTrace } from "../../src/ir/printer.js";
import { trace } from "../support/text.js";
import { opt } from "./run.js";

const HEAP = ["heap"];
const WITH_OTHERS = ["rewrite", "pure", "heap", "dce"];

/** Runs the heap pass and checks that the result reads back as printed. */
function heap(text: string, env?: ParseEnv, passes: readonly string[] = HEAP) {
  const r = opt(text, passes, env);
  expect(printTrace(parseTrace(r.text, env))).toBe(r.text);
  return r;
}

/** Call descriptors with known effects (the parser's default for `call` is "everything"). */
function callEnv(): ParseEnv {
  const ax = new FieldDescr("A", "x", "n", false);
  const by = new FieldDescr("B", "y", "n", false);
  const bytes = new ArrayDescr("Uint8Array", "number", "n", false);
  const spelling = { kind: "function" } as const;
  return {
    descrs: {
      "A.x": ax,
      "B.y": by,
      "A.k": new FieldDescr("A", "k", "n", true),
      Uint8Array: bytes,
      writesY: new CallDescr("writesY", "n", { writes: { fields: new Set([by]), arrays: new Set() }, readsHeap: true }, false, spelling),
      writesBytes: new CallDescr("writesBytes", "n", { writes: { fields: new Set(), arrays: new Set([bytes]) }, readsHeap: true }, false, spelling),
      noHeap: new CallDescr("noHeap", "n", EFFECTS_NONE, true, spelling),
    },
  };
}

describe("heap: field loads", () => {
  it("forwards a load of a field already loaded, also into resume data", () => {
    const r = heap(trace`
      # loop
      [p0, p1]
      n2 = getfield(p0, descr=A.x)
      n3 = getfield(p0, descr=A.x)
      n4 = getfield(p1, descr=A.x)
      n5 = getfield(p0, descr=A.y)
      guard_true(true) [n3, n4, n5]
      n6 = getfield(p1, descr=A.x)
      finish(n2, n3, n6)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1]
      n2 = getfield(p0, descr=A.x)
      n3 = getfield(p1, descr=A.x)
      n4 = getfield(p0, descr=A.y)
      guard_true(true) [n2, n3, n4]
      finish(n2, n2, n3)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 2 });
  });

  it("forwards a store to a later load and keeps only the last of several stores", () => {
    const r = heap(trace`
      # loop
      [p0, n1]
      setfield(p0, n1, descr=A.x)
      n2 = getfield(p0, descr=A.x)
      n3 = num_add(n2, 1)
      setfield(p0, n3, descr=A.x)
      n4 = getfield(p0, descr=A.x)
      setfield(p0, n4, descr=A.x)
      finish(n4)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      n2 = num_add(n1, 1)
      setfield(p0, n2, descr=A.x)
      finish(n2)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 2, "heap-setfield-overwritten": 2 });
  });

  it("drops a store of the value the field is known to hold", () => {
    const r = heap(trace`
      # loop
      [p0, n1]
      n2 = getfield(p0, descr=A.x)
      setfield(p0, n2, descr=A.x)
      setfield(p0, n1, descr=A.x)
      setfield(p0, n2, descr=A.x)
      finish(n2)
    `);
    // The last store is needed: the field was n1 in between.
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      n2 = getfield(p0, descr=A.x)
      setfield(p0, n2, descr=A.x)
      finish(n2)
    `);
    expect(r.rules).toEqual({ "heap-setfield-redundant": 1, "heap-setfield-overwritten": 1 });
  });
});

describe("heap: lazy writes", () => {
  it("carries pending writes in the resume data of guards and performs them at the jump", () => {
    const r = heap(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=Tape.pos)
      n3 = num_add(n2, 1)
      setfield(p0, n3, descr=Tape.pos)
      b4 = num_lt(n3, 100)
      guard_true(b4) [run@3: p0, n1]
      n5 = getfield(p0, descr=Tape.pos)
      n6 = num_add(n5, 1)
      setfield(p0, n6, descr=Tape.pos)
      setfield(p0, n1, descr=Tape.mark)
      b7 = num_lt(n6, 100)
      guard_true(b7) [run@5: p0, n6]
      jump(p0, n6, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      n2 = getfield(p0, descr=Tape.pos)
      n3 = num_add(n2, 1)
      b4 = num_lt(n3, 100)
      guard_true(b4) [run@3: p0, n1] {setfield(p0, n3, descr=Tape.pos)}
      n5 = num_add(n3, 1)
      b6 = num_lt(n5, 100)
      guard_true(b6) [run@5: p0, n5] {setfield(p0, n5, descr=Tape.pos); setfield(p0, n1, descr=Tape.mark)}
      setfield(p0, n5, descr=Tape.pos)
      setfield(p0, n1, descr=Tape.mark)
      jump(p0, n5, descr=Loop0)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 1, "heap-setfield-overwritten": 1 });
  });

  it("performs pending writes before a label and forgets everything there", () => {
    const r = heap(trace`
      # loop
      [p0, n1]
      setfield(p0, n1, descr=A.x)
      n2 = getfield(p0, descr=A.x)
      n3 = getfield(p0, descr=A.k)
      label(p0, n2, descr=Loop0)
      n4 = getfield(p0, descr=A.x)
      n5 = getfield(p0, descr=A.k)
      setfield(p0, n4, descr=A.x)
      jump(p0, n5, descr=Loop0)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      n2 = getfield(p0, descr=A.k)
      setfield(p0, n1, descr=A.x)
      label(p0, n1, descr=Loop0)
      n3 = getfield(p0, descr=A.x)
      n4 = getfield(p0, descr=A.k)
      jump(p0, n4, descr=Loop0)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 1, "heap-setfield-redundant": 1 });
  });

  it("performs pending writes at finish, in the order they were made", () => {
    const r = heap(trace`
      # entry
      [p0, p1]
      setfield(p0, 1, descr=A.x)
      setfield(p1, 2, descr=A.y)
      setfield(p0, 3, descr=A.z)
      finish()
    `);
    expect(r.text).toBe(trace`
      # entry
      [p0, p1]
      setfield(p0, 1, descr=A.x)
      setfield(p1, 2, descr=A.y)
      setfield(p0, 3, descr=A.z)
      finish()
    `);
  });
});

describe("heap: calls", () => {
  it("performs pending writes before a call that may write the field, and reloads after it", () => {
    const r = heap(trace`
      # loop
      [p0, n1]
      setfield(p0, n1, descr=A.x)
      n2 = getfield(p0, descr=A.x)
      v3 = call(ConstPtr(f), p0, descr=f)
      guard_no_exception() [n2]
      n4 = getfield(p0, descr=A.x)
      finish(n2, n4)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      setfield(p0, n1, descr=A.x)
      v2 = call(ConstPtr(f), p0, descr=f)
      guard_no_exception() [n1]
      n3 = getfield(p0, descr=A.x)
      finish(n1, n3)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 1 });
  });

  it("keeps what a call cannot write; a call that touches no heap forces nothing", () => {
    const r = heap(
      trace`
        # loop
        [p0, p1, n2]
        n3 = getfield(p0, descr=A.x)
        n4 = getfield(p1, descr=B.y)
        n5 = getfield(p0, descr=A.k)
        setfield(p0, n2, descr=A.x)
        n6 = call(ConstPtr(f), descr=writesY)
        n7 = getfield(p0, descr=A.x)
        n8 = getfield(p1, descr=B.y)
        setfield(p0, n6, descr=A.x)
        n9 = call(ConstPtr(g), n7, descr=noHeap)
        guard_no_exception() [n9]
        n10 = call(ConstPtr(h), descr=f)
        n11 = getfield(p0, descr=A.k)
        finish(n5, n7, n8, n10, n11)
      `,
      callEnv(),
    );
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, n2]
      n3 = getfield(p0, descr=A.x)
      n4 = getfield(p1, descr=B.y)
      n5 = getfield(p0, descr=A.k)
      setfield(p0, n2, descr=A.x)
      n6 = call(ConstPtr(f), descr=writesY)
      n7 = getfield(p1, descr=B.y)
      n8 = call(ConstPtr(g), n2, descr=noHeap)
      guard_no_exception() [n8] {setfield(p0, n6, descr=A.x)}
      setfield(p0, n6, descr=A.x)
      n9 = call(ConstPtr(h), descr=f)
      finish(n5, n2, n7, n9, n5)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 2 });
  });

  it("call_pure forces nothing and keeps the cache", () => {
    const r = heap(trace`
      # loop
      [p0, n1]
      setfield(p0, n1, descr=A.x)
      n2 = call_pure(ConstPtr(g), n1, descr=g)
      n3 = getfield(p0, descr=A.x)
      finish(n2, n3)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      n2 = call_pure(ConstPtr(g), n1, descr=g)
      setfield(p0, n1, descr=A.x)
      finish(n2, n1)
    `);
  });
});

describe("heap: call_assembler", () => {
  it("performs pending writes before a guest call and reloads after it (the callee may read and write anything)", () => {
    const r = heap(
      trace`
        # entry
        [p0, p1, n2]
        n3 = getfield(p0, descr=A.k)
        setfield(p0, n2, descr=A.x)
        n4 = getfield(p0, descr=A.x)
        v5 = call_assembler(p1, descr=Loop3)
        guard_no_exception() [p0, v5]
        n6 = getfield(p0, descr=A.x)
        n7 = getfield(p0, descr=A.k)
        finish(v5, n4, n6, n7)
      `,
      callEnv(),
      WITH_OTHERS,
    );
    // The write happens before the call; the load after it stays; only the readonly field
    // is still known.
    expect(r.text).toBe(trace`
      # entry
      [p0, p1, n2]
      n3 = getfield(p0, descr=A.k)
      setfield(p0, n2, descr=A.x)
      v4 = call_assembler(p1, descr=Loop3)
      guard_no_exception() [p0, v4]
      n5 = getfield(p0, descr=A.x)
      finish(v4, n2, n5, n3)
    `);
  });

  it("is never removed, even when its result is unused", () => {
    const r = heap(
      trace`
        # entry
        [p0]
        v1 = call_assembler(p0, descr=Loop3)
        guard_no_exception() [p0]
        v2 = call_assembler(p0, descr=Loop3)
        finish(p0)
      `,
      undefined,
      WITH_OTHERS,
    );
    expect(r.text).toBe(trace`
      # entry
      [p0]
      v1 = call_assembler(p0, descr=Loop3)
      guard_no_exception() [p0]
      v2 = call_assembler(p0, descr=Loop3)
      finish(p0)
    `);
  });
});

describe("heap: aliasing", () => {
  it("a store to another object that may be the same one stops forwarding, and is performed before the load", () => {
    const r = heap(trace`
      # loop
      [p0, p1, n2]
      n3 = getfield(p0, descr=A.x)
      setfield(p1, n2, descr=A.x)
      n4 = getfield(p0, descr=A.x)
      n5 = getfield(p1, descr=A.x)
      finish(n3, n4, n5)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, n2]
      n3 = getfield(p0, descr=A.x)
      setfield(p1, n2, descr=A.x)
      n4 = getfield(p0, descr=A.x)
      finish(n3, n4, n2)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 1 });
  });

  it("keeps writes to possibly-same memory in order", () => {
    const r = heap(trace`
      # loop
      [p0, p1]
      setfield(p0, 1, descr=A.x)
      setfield(p1, 2, descr=A.x)
      setfield(p0, 3, descr=A.x)
      finish()
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1]
      setfield(p0, 1, descr=A.x)
      setfield(p1, 2, descr=A.x)
      setfield(p0, 3, descr=A.x)
      finish()
    `);
  });

  it("a store to another field does not alias", () => {
    const r = heap(trace`
      # loop
      [p0, p1, n2]
      n3 = getfield(p0, descr=A.x)
      setfield(p1, n2, descr=A.y)
      n4 = getfield(p0, descr=A.x)
      finish(n3, n4)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, n2]
      n3 = getfield(p0, descr=A.x)
      setfield(p1, n2, descr=A.y)
      finish(n3, n3)
    `);
  });

  it("fresh allocations are different from each other and from older values, not from newer ones", () => {
    // p0 and the constant K may be the same object: the write to p0 is performed first.
    const r = heap(trace`
      # loop
      [p0, n1]
      p2 = new(descr=A)
      p3 = new(descr=A)
      setfield(p2, n1, descr=A.x)
      setfield(p3, 5, descr=A.x)
      setfield(p0, 7, descr=A.x)
      setfield(ConstPtr(K), 8, descr=A.x)
      n4 = getfield(p2, descr=A.x)
      n5 = getfield(p3, descr=A.x)
      p6 = getfield(p0, descr=A.next)
      setfield(p6, 9, descr=A.x)
      n7 = getfield(p2, descr=A.x)
      finish(n4, n5, n7)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      p2 = new(descr=A)
      p3 = new(descr=A)
      setfield(p0, 7, descr=A.x)
      p4 = getfield(p0, descr=A.next)
      setfield(p2, n1, descr=A.x)
      setfield(p3, 5, descr=A.x)
      setfield(ConstPtr(K), 8, descr=A.x)
      setfield(p4, 9, descr=A.x)
      n5 = getfield(p2, descr=A.x)
      finish(n1, 5, n5)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 2 });
  });
});

describe("heap: blank allocations (new + the constructor's writes)", () => {
  it("forwards what the constructor wrote; overwriting keeps the first write's place", () => {
    // A constructor defines x as undefined, then y, then assigns x (a parameter property).
    const r = heap(trace`
      # loop
      [n0, n1]
      p2 = new(descr=A)
      setfield(p2, undefined, descr=A.x)
      setfield(p2, n1, descr=A.y)
      setfield(p2, n0, descr=A.x)
      n3 = getfield(p2, descr=A.x)
      n4 = getfield(p2, descr=A.y)
      finish(p2, n3, n4)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0, n1]
      p2 = new(descr=A)
      setfield(p2, n0, descr=A.x)
      setfield(p2, n1, descr=A.y)
      finish(p2, n0, n1)
    `);
    expect(r.rules).toEqual({ "heap-getfield-forwarded": 2, "heap-setfield-overwritten": 1 });
  });

  it("forcing a later write to a fresh object forces its earlier ones first (its fields' definition order)", () => {
    // p3 may be p2 (it was loaded after p2 was made): the load of A.y forces the write of
    // y to p2, and with it the earlier write of x to p2. The input p1's fields exist
    // already: its write of x stays pending.
    const r = heap(trace`
      # loop
      [n0, p1]
      p2 = new(descr=A)
      setfield(p2, n0, descr=A.x)
      setfield(p1, n0, descr=A.x)
      setfield(p2, n0, descr=A.y)
      p3 = getfield(p1, descr=A.next)
      n4 = getfield(p3, descr=A.y)
      finish(n4)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0, p1]
      p2 = new(descr=A)
      p3 = getfield(p1, descr=A.next)
      setfield(p2, n0, descr=A.x)
      setfield(p2, n0, descr=A.y)
      n4 = getfield(p3, descr=A.y)
      setfield(p1, n0, descr=A.x)
      finish(n4)
    `);
  });

  it("a field the trace did not write is not known: its load stays, and a write of undefined is kept", () => {
    const r = heap(trace`
      # loop
      [n0]
      p1 = new(descr=A)
      v2 = getfield(p1, descr=A.x)
      setfield(p1, undefined, descr=A.y)
      finish(p1, v2)
    `);
    expect(r.text).toBe(trace`
      # loop
      [n0]
      p1 = new(descr=A)
      v2 = getfield(p1, descr=A.x)
      setfield(p1, undefined, descr=A.y)
      finish(p1, v2)
    `);
  });
});

describe("heap: arrays", () => {
  it("a store at an unknown index stops forwarding of other indices; a plain Array store forwards exactly", () => {
    const r = heap(trace`
      # loop
      [p0, n1, n2, v3]
      v4 = getarrayitem(p0, n1, descr=Array<any>)
      v5 = getarrayitem(p0, n1, descr=Array<any>)
      setarrayitem(p0, n2, v3, descr=Array<any>)
      v6 = getarrayitem(p0, n1, descr=Array<any>)
      v7 = getarrayitem(p0, n2, descr=Array<any>)
      finish(v4, v5, v6, v7)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1, n2, v3]
      v4 = getarrayitem(p0, n1, descr=Array<any>)
      setarrayitem(p0, n2, v3, descr=Array<any>)
      v5 = getarrayitem(p0, n1, descr=Array<any>)
      finish(v4, v4, v5, v3)
    `);
    expect(r.rules).toEqual({ "heap-getarrayitem-forwarded": 2 });
  });

  it("constant indices 0 and 1 are different items, 0 and -0 the same", () => {
    const r = heap(trace`
      # loop
      [p0, n1]
      n2 = getarrayitem(p0, 0, descr=Array<number>)
      setarrayitem(p0, 1, n1, descr=Array<number>)
      n3 = getarrayitem(p0, 0, descr=Array<number>)
      setarrayitem(p0, -0, n1, descr=Array<number>)
      n4 = getarrayitem(p0, 0, descr=Array<number>)
      n5 = getarrayitem(p0, 1, descr=Array<number>)
      finish(n2, n3, n4, n5)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1]
      n2 = getarrayitem(p0, 0, descr=Array<number>)
      setarrayitem(p0, 1, n1, descr=Array<number>)
      setarrayitem(p0, -0, n1, descr=Array<number>)
      n3 = getarrayitem(p0, 0, descr=Array<number>)
      finish(n2, n2, n3, n1)
    `);
  });

  it("caches lengths: a typed array's for good, a plain Array's until a store or call", () => {
    const r = heap(trace`
      # loop
      [p0, p1, n2]
      n3 = arraylen(p0, descr=Uint8Array)
      n4 = arraylen(p1, descr=Array<number>)
      setarrayitem(p0, n2, 1, descr=Uint8Array)
      n5 = arraylen(p0, descr=Uint8Array)
      n6 = arraylen(p1, descr=Array<number>)
      setarrayitem(p1, n2, 1, descr=Array<number>)
      n7 = arraylen(p1, descr=Array<number>)
      v8 = call(ConstPtr(f), descr=f)
      n9 = arraylen(p0, descr=Uint8Array)
      n10 = arraylen(p1, descr=Array<number>)
      finish(n3, n4, n5, n6, n7, n9, n10)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, n2]
      n3 = arraylen(p0, descr=Uint8Array)
      n4 = arraylen(p1, descr=Array<number>)
      setarrayitem(p0, n2, 1, descr=Uint8Array)
      setarrayitem(p1, n2, 1, descr=Array<number>)
      n5 = arraylen(p1, descr=Array<number>)
      v6 = call(ConstPtr(f), descr=f)
      n7 = arraylen(p1, descr=Array<number>)
      finish(n3, n4, n3, n4, n5, n3, n7)
    `);
    expect(r.rules).toEqual({ "heap-arraylen-forwarded": 3 });
  });

  it("a call that may write an array kind drops its items, not other kinds' or fields", () => {
    const r = heap(
      trace`
        # loop
        [p0, p1, n2]
        n3 = getarrayitem(p0, n2, descr=Uint8Array)
        n4 = getarrayitem(p1, n2, descr=Array<number>)
        n5 = getfield(p1, descr=A.x)
        n6 = call(ConstPtr(f), descr=writesBytes)
        n7 = getarrayitem(p0, n2, descr=Uint8Array)
        n8 = getarrayitem(p1, n2, descr=Array<number>)
        n9 = getfield(p1, descr=A.x)
        finish(n3, n4, n5, n6, n7, n8, n9)
      `,
      callEnv(),
    );
    expect(r.text).toBe(trace`
      # loop
      [p0, p1, n2]
      n3 = getarrayitem(p0, n2, descr=Uint8Array)
      n4 = getarrayitem(p1, n2, descr=Array<number>)
      n5 = getfield(p1, descr=A.x)
      n6 = call(ConstPtr(f), descr=writesBytes)
      n7 = getarrayitem(p0, n2, descr=Uint8Array)
      finish(n3, n4, n5, n6, n7, n4, n5)
    `);
  });
});

describe("heap: typed arrays", () => {
  it("forwards a store to a load only with the index proved in bounds, through the conversion", () => {
    const r = heap(trace`
      # loop
      [p0, n1, n2]
      n3 = int_and(n1, 1023)
      setarrayitem(p0, n3, n2, descr=Uint8Array)
      n4 = getarrayitem(p0, n3, descr=Uint8Array)
      n5 = arraylen(p0, descr=Uint8Array)
      b6 = num_ge(n3, n5)
      guard_false(b6) [n1]
      b7 = num_lt(n3, 0)
      guard_false(b7) [n1]
      setarrayitem(p0, n3, n2, descr=Uint8Array)
      n8 = getarrayitem(p0, n3, descr=Uint8Array)
      n9 = getarrayitem(p0, n3, descr=Uint8Array)
      setarrayitem(p0, n3, 300, descr=Uint8Array)
      n10 = getarrayitem(p0, n3, descr=Uint8Array)
      finish(n4, n8, n9, n10)
    `);
    expect(r.text).toBe(trace`
      # loop
      [p0, n1, n2]
      n3 = int_and(n1, 1023)
      setarrayitem(p0, n3, n2, descr=Uint8Array)
      n4 = getarrayitem(p0, n3, descr=Uint8Array)
      n5 = arraylen(p0, descr=Uint8Array)
      b6 = num_ge(n3, n5)
      guard_false(b6) [n1]
      b7 = num_lt(n3, 0)
      guard_false(b7) [n1]
      setarrayitem(p0, n3, n2, descr=Uint8Array)
      n8 = int_and(n2, 255)
      setarrayitem(p0, n3, 300, descr=Uint8Array)
      finish(n4, n8, n8, 44)
    `);
    expect(r.rules).toEqual({ "heap-getarrayitem-forwarded": 3 });
  });

  it("needs an integer index: guards do not rule out 1.5 or NaN", () => {
    const text = trace`
      # loop
      [p0, n1, n2]
      n3 = arraylen(p0, descr=Uint8Array)
      b4 = num_lt(n1, n3)
      guard_true(b4) [n1]
      b5 = num_ge(n1, 0)
      guard_true(b5) [n1]
      setarrayitem(p0, n1, n2, descr=Uint8Array)
      n6 = getarrayitem(p0, n1, descr=Uint8Array)
      finish(n6)
    `;
    const r = heap(text);
    expect(r.text).toBe(text);
    expect(r.rules).toEqual({});
  });

  it("converts as each flavour does, with constant indices of constant arrays in bounds", () => {
    const env: ParseEnv = { consts: { I8: new Int8Array(4), I32: new Int32Array(4), F64: new Float64Array(4), F32: new Float32Array(4) } };
    const r = heap(
      trace`
        # loop
        [n0, n1]
        setarrayitem(ConstPtr(I8), 0, n0, descr=Int8Array)
        setarrayitem(ConstPtr(I8), 1, 200, descr=Int8Array)
        setarrayitem(ConstPtr(I8), 4, n0, descr=Int8Array)
        n2 = getarrayitem(ConstPtr(I8), 0, descr=Int8Array)
        n3 = getarrayitem(ConstPtr(I8), 1, descr=Int8Array)
        n4 = getarrayitem(ConstPtr(I8), 4, descr=Int8Array)
        n5 = int_xor(n0, n1)
        setarrayitem(ConstPtr(I32), 2, n5, descr=Int32Array)
        n6 = getarrayitem(ConstPtr(I32), 2, descr=Int32Array)
        setarrayitem(ConstPtr(F64), 3, n1, descr=Float64Array)
        n7 = getarrayitem(ConstPtr(F64), 3, descr=Float64Array)
        setarrayitem(ConstPtr(F32), 3, n1, descr=Float32Array)
        n8 = getarrayitem(ConstPtr(F32), 3, descr=Float32Array)
        n9 = getarrayitem(ConstPtr(F32), 3, descr=Float32Array)
        finish(n2, n3, n4, n6, n7, n8, n9)
      `,
      env,
    );
    expect(r.text).toBe(trace`
      # loop
      [n0, n1]
      setarrayitem(ConstPtr(Int8Array#0), 0, n0, descr=Int8Array)
      setarrayitem(ConstPtr(Int8Array#0), 1, 200, descr=Int8Array)
      setarrayitem(ConstPtr(Int8Array#0), 4, n0, descr=Int8Array)
      n2 = int_shl(n0, 24)
      n3 = int_shr(n2, 24)
      n4 = getarrayitem(ConstPtr(Int8Array#0), 4, descr=Int8Array)
      n5 = int_xor(n0, n1)
      setarrayitem(ConstPtr(Int32Array#0), 2, n5, descr=Int32Array)
      setarrayitem(ConstPtr(Float64Array#0), 3, n1, descr=Float64Array)
      setarrayitem(ConstPtr(Float32Array#0), 3, n1, descr=Float32Array)
      n6 = getarrayitem(ConstPtr(Float32Array#0), 3, descr=Float32Array)
      finish(n3, -56, n4, n5, n1, n6, n6)
    `);
    expect(r.rules).toEqual({ "heap-getarrayitem-forwarded": 5, "int-identity": 1 });
  });
});

describe("heap: with the other passes", () => {
  it("a BF-style cell update keeps the tape position in a value and writes it once", () => {
    const r = heap(
      trace`
        # loop bf
        [p0]
        label(p0, descr=Loop0)
        debug_merge_point("pc=1 '+'")
        p1 = getfield(p0, descr=Tape.cells)
        n2 = getfield(p0, descr=Tape.pos)
        p3 = getfield(p0, descr=Tape.cells)
        n4 = getfield(p0, descr=Tape.pos)
        n5 = getarrayitem(p3, n4, descr=Uint8Array)
        n6 = num_add(n5, 1)
        setarrayitem(p1, n2, n6, descr=Uint8Array)
        debug_merge_point("pc=2 '>'")
        n7 = getfield(p0, descr=Tape.pos)
        n8 = num_add(n7, 1)
        b9 = num_lt(n8, 0)
        guard_false(b9) [run@15: p0, n8]
        p10 = getfield(p0, descr=Tape.cells)
        n11 = arraylen(p10, descr=Uint8Array)
        b12 = num_ge(n8, n11)
        guard_false(b12) [run@15: p0, n8]
        setfield(p0, n8, descr=Tape.pos)
        debug_merge_point("pc=3 ']'")
        p13 = getfield(p0, descr=Tape.cells)
        n14 = getfield(p0, descr=Tape.pos)
        n15 = getarrayitem(p13, n14, descr=Uint8Array)
        b16 = ne(n15, 0)
        guard_true(b16) [run@34: p0, b16]
        jump(p0, descr=Loop0)
      `,
      undefined,
      WITH_OTHERS,
    );
    expect(r.text).toBe(trace`
      # loop bf
      [p0]
      label(p0, descr=Loop0)
      debug_merge_point("pc=1 '+'")
      p1 = getfield(p0, descr=Tape.cells)
      n2 = getfield(p0, descr=Tape.pos)
      n3 = getarrayitem(p1, n2, descr=Uint8Array)
      n4 = num_add(n3, 1)
      setarrayitem(p1, n2, n4, descr=Uint8Array)
      debug_merge_point("pc=2 '>'")
      n5 = num_add(n2, 1)
      b6 = num_lt(n5, 0)
      guard_false(b6) [run@15: p0, n5]
      n7 = arraylen(p1, descr=Uint8Array)
      b8 = num_ge(n5, n7)
      guard_false(b8) [run@15: p0, n5]
      debug_merge_point("pc=3 ']'")
      n9 = getarrayitem(p1, n5, descr=Uint8Array)
      b10 = ne(n9, 0)
      guard_true(b10) [run@34: p0, b10] {setfield(p0, n5, descr=Tape.pos)}
      setfield(p0, n5, descr=Tape.pos)
      jump(p0, descr=Loop0)
    `);
    expect(r.rules).toMatchObject({ "heap-getfield-forwarded": 6 });
  });
});
