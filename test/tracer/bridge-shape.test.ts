/**
 * @fileoverview Tests of the shape key of a guard's resume state (`bridgeShapeKey`):
 * guards whose bridges would be traced from the same state get the same key, and each
 * thing a bridge's tracing depends on — the resume position, a constant, which
 * registers hold the same value, a fail argument's kind, a fact about the guard's
 * condition or an input's class, a virtual's contents, a delayed write — tells them
 * apart (and a portal frame's entry greens, when guest calls can inline). The engine's use of it (one bridge for guards of one shape) is tested end to
 * end in bf.test.ts and by the stress tests.
 */

import { describe, expect, it } from "vitest";
import { parseTrace } from "../../src/ir/parser.js";
import { type Const, InputArg, Snapshot, type Value } from "../../src/ir/trace.js";
import { type ClassDescr } from "../../src/ir/descr.js";
import { bridgeShapeKey } from "../../src/tracer/bridge-shape.js";
import { factsAtFailure } from "../../src/tracer/resume.js";
import { ValueKeys } from "../../src/optimizer/rewriter.js";
import { translate } from "../../dist/interp-dsl/translator.js";
import { DEFAULT_PARAMS } from "../../dist/tracer/engine.js";
import { loadInterpreter } from "../../dist/tracer/loader.js";
import { portalCallsItself } from "../../dist/tracer/bridge-shape.js";
import { World } from "../fuzz/trace-exec.js";
import { ROOT } from "../helpers.js";
import { trace } from "../support/text.js";

const world = new World();
const valueKeys = new ValueKeys();
world.addA("a0", 1, 2, 3, () => null);

/** The shape key of every guard of `text`, in order. */
function keys(text: string, guestCalls = true): string[] {
  const t = parseTrace(text, world.env());
  return t.ops
    .filter((op) => op.snapshot)
    .map((guard) => {
      const s = guard.snapshot!;
      const slots = new Map<Value, number>(s.failArgs().map((v, k) => [v, k]));
      return bridgeShapeKey(s, slots, factsAtFailure(guard, t), guestCalls, valueKeys);
    });
}

describe("bridgeShapeKey", () => {
  it("is the same for guards that resume alike with other values", () => {
    const [a, b] = keys(trace`
      # loop
      [p0, n1, n2, b3, b4]
      guard_true(b3) [run@4: p0, n1, 2, b3]
      guard_true(b4) [run@4: p0, n2, 2, b4]
      finish()
    `);
    expect(a).toBe(b);
  });

  it("tells apart each thing a bridge's tracing starts from", () => {
    const [base, ...others] = keys(trace`
      # loop
      [p0, n1, n2, b3]
      guard_true(b3) [run@4: p0, n1, 2, b3]
      guard_true(b3) [run@5: p0, n1, 2, b3]
      guard_true(b3) [run@4: p0, n1, 3, b3]
      guard_true(b3) [run@4: p0, n1, n1, b3]
      guard_false(b3) [run@4: p0, n1, 2, b3]
      guard_true(b3) [run@4: n2, n1, 2, b3]
      guard_true(b3) [run@4: p0, n1, 2, b3; inner@1: n1]
      guard_true(b3) [run@4: p0, n1, 2, b3] {setfield(p0, n1, descr=A.x)}
      guard_true(b3) [run@4: p0, n1, 2, b3] {setfield(p0, n2, descr=A.x)}
      guard_true(b3) [run@4: p6, n1, 2, b3] {p6 = A(x=n1)}
      guard_true(b3) [run@4: p6, n1, 2, b3] {p6 = A(x=7)}
      finish()
    `);
    // resume position; constant; aliasing; fact about the condition; a fail argument
    // of another kind in the same place; one more frame; delayed writes (of one
    // value, of another); a virtual (and its contents).
    expect(new Set([base, ...others]).size).toBe(1 + others.length);
  });

  it("includes the classes checked before the guard", () => {
    const [before, after] = keys(trace`
      # loop
      [p0, n1, b3]
      guard_true(b3) [run@4: p0, n1, b3]
      guard_class(p0, descr=A) [run@2: p0]
      guard_true(b3) [run@4: p0, n1, b3]
      finish()
    `).filter((_, k) => k !== 1);
    expect(before).not.toBe(after);
  });

  it("counts the greens a portal frame was entered at only when the portal can be called", () => {
    const tape = new InputArg("p");
    const code = { name: "run" };
    const at = (entry: unknown[]) => new Snapshot([{ code, pc: 4, values: [tape], entry }]);
    const slots = new Map<Value, number>([[tape, 0]]);
    const facts = { consts: new Map<Value, Const>(), classes: new Map<Value, ClassDescr>() };
    const [a, b] = [at([1, "p"]), at([2, "p"])];
    expect(bridgeShapeKey(a, slots, facts, true, valueKeys)).not.toBe(bridgeShapeKey(b, slots, facts, true, valueKeys));
    expect(bridgeShapeKey(a, slots, facts, false, valueKeys)).toBe(bridgeShapeKey(b, slots, facts, false, valueKeys));
  });

  it("finds whether an interpreter's portal can be called: tiny's calls of guest functions, never BF's", async () => {
    const portalCalled = async (name: string) => {
      const loaded = await loadInterpreter(await translate(`${ROOT}/interpreters/${name}/interp.ts`), { ...DEFAULT_PARAMS }, null);
      return portalCallsItself((loaded.engine as unknown as { unit: Parameters<typeof portalCallsItself>[0] }).unit);
    };
    expect(await portalCalled("bf")).toBe(false);
    expect(await portalCalled("tiny")).toBe(true);
  });
});
