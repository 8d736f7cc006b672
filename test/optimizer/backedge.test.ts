/**
 * @fileoverview Text-in/text-out tests of store sinking at a peeled loop's back edge
 * (`backedge.ts`), on closed loops written by hand: the store before the jump goes when
 * every exit of the body performs it and nothing in the body can read it; it stays when
 * a guard relies on memory, when the object changes from one iteration to the next,
 * when the body reads or writes that field otherwise, when a call could read it, and
 * when a guard follows it. (The pipeline-level cases, and runs of the peeled loops, are
 * in unroll.test.ts.)
 */

import { describe, expect, it } from "vitest";
import { parseTrace } from "../../src/ir/parser.js";
import { printTrace } from "../../src/ir/printer.js";
import { sinkBackEdgeStores } from "../../src/optimizer/backedge.js";
import { newOptStats, ruleCount } from "../../src/optimizer/pipeline.js";
import { trace } from "../support/text.js";

/** `text` through the pass: the printed result and how many stores it dropped. */
function sink(text: string): { text: string; sunk: number } {
  const stats = newOptStats();
  const out = sinkBackEdgeStores(parseTrace(text), stats);
  return { text: printTrace(out), sunk: ruleCount(stats, "backedge-store-sunk") };
}

/** A closed BF-style loop; BODY replaces the part between the body label and the store. */
function loop(body: string, store = "setfield(p0, n5, descr=Tape.pos)", kind = "loop"): string {
  return trace`
    # ${kind}
    [p0, n1]
    label(p0, n1, descr=Loop0)
    n2 = num_add(n1, 1)
    b3 = num_lt(n2, 9)
    guard_true(b3) [run@1: p0] {setfield(p0, n2, descr=Tape.pos)}
    label(n2, descr=Loop0.body)
    ${body}
    ${store}
    jump(n5, descr=Loop0.body)
  `;
}

const GUARDED = `n5 = num_add(n2, 1)
    b6 = num_lt(n5, 9)
    guard_true(b6) [run@1: p0] {setfield(p0, n5, descr=Tape.pos)}`;

describe("backedge: the store before the jump", () => {
  it("is dropped when every exit of the body performs it", () => {
    const r = sink(loop(GUARDED));
    expect(r.sunk).toBe(1);
    expect(r.text).toBe(printTrace(parseTrace(loop(GUARDED, ""))));
  });

  it("stays when a guard of the body does not perform it (it relies on memory)", () => {
    const body = `n5 = num_add(n2, 1)
    b6 = num_lt(n5, 9)
    guard_true(b6) [run@1: p0] {setfield(p0, n5, descr=Tape.pos)}
    b7 = num_gt(n5, 0)
    guard_true(b7) [run@1: p0]`;
    expect(sink(loop(body)).sunk).toBe(0);
  });

  it("stays when its object is a label argument (another object each iteration)", () => {
    const text = trace`
      # loop
      [p0, n1]
      label(p0, n1, descr=Loop0)
      p2 = getfield(p0, descr=Node.next)
      guard_nonnull(p2) [run@1: p0] {setfield(p0, n1, descr=Node.count)}
      label(p2, n1, descr=Loop0.body)
      p3 = getfield(p2, descr=Node.next)
      guard_nonnull(p3) [run@1: p2] {setfield(p2, n1, descr=Node.count)}
      setfield(p2, n1, descr=Node.count)
      jump(p3, n1, descr=Loop0.body)
    `;
    expect(sink(text).sunk).toBe(0);
  });

  it("stays when the body reads the field (of any object)", () => {
    const body = `n4 = getfield(p0, descr=Tape.pos)
    n5 = num_add(n4, 1)
    b6 = num_lt(n5, 9)
    guard_true(b6) [run@1: p0] {setfield(p0, n5, descr=Tape.pos)}`;
    expect(sink(loop(body)).sunk).toBe(0);
  });

  it("stays when the body makes a call that could read the heap", () => {
    const body = `call(p0, descr=show)
    ${GUARDED}`;
    expect(sink(loop(body)).sunk).toBe(0);
  });

  it("stays when a guard follows it", () => {
    const store = `setfield(p0, n5, descr=Tape.pos)
    b7 = num_gt(n5, 0)
    guard_true(b7) [run@1: p0] {setfield(p0, n5, descr=Tape.pos)}`;
    expect(sink(loop(GUARDED, store)).sunk).toBe(0);
  });

  it("a trace that is not a loop is left alone", () => {
    expect(sink(loop(GUARDED, undefined, "bridge")).sunk).toBe(0);
  });
});
