/**
 * @fileoverview Tests of the start of a bridge from a guard whose resume data holds
 * virtuals (`resumeOps`): the ops allocate every virtual, then fill in fields and
 * items (so cycles need no order), then perform the delayed writes; run, they build
 * the same objects as resuming does (`resumeValues`); and the bridge's own
 * optimization makes the allocations virtual again.
 */

import { describe, expect, it } from "vitest";
import { parseTrace } from "../../src/ir/parser.js";
import { printTrace } from "../../src/ir/printer.js";
import { Const, InputArg, Op, Trace, type Value } from "../../src/ir/trace.js";
import { optimize } from "../../src/optimizer/pipeline.js";
import { resumeOps, resumeValues } from "../../src/tracer/resume.js";
import { World, describeRun, execute } from "../fuzz/trace-exec.js";
import { trace } from "../support/text.js";

const world = new World();
const a0 = world.addA("a0", 1, 2, 3, () => null);

/** A loop whose guard fails with a cyclic pair of virtual As, an array and a delayed write. */
const GUARDED = trace`
  # loop
  [p0, n1, n2]
  guard_true(false) [run@4: p3, n2, p5] {p3 = A(x=n1, next=p4); p4 = A(x=7, next=p3); p5 = Array<number>[n2, 0, n1]; setfield(p0, p4, descr=A.next)}
  finish()
`;

/**
 * The bridge that starts at the guard of `text` (its first op): the resume ops, then
 * `finish` with the frame's values. Its inputs are the guard's fail arguments, here
 * inputs of the guarded trace; `inputValues` orders values given for those.
 */
function bridgeFrom(text: string) {
  const t = parseTrace(text, world.env());
  const guard = t.ops[0]!;
  const s = guard.snapshot!;
  const failArgs = s.failArgs();
  const inputs = failArgs.map((v) => new InputArg(v.kind === "-" ? "v" : v.kind));
  const inputOf = new Map<Value, InputArg>(failArgs.map((v, k) => [v, inputs[k]!]));
  const prologue = resumeOps(s, (v) => inputOf.get(v)!);
  const finish = new Op("finish", s.frames[0]!.values.map((v) => (v instanceof Const ? v : prologue.boxOf(v))));
  const bridge = new Trace(inputs, [...prologue.ops, finish], "bridge", "from guard");
  const inputValues = (given: unknown[]): unknown[] => failArgs.map((v) => given[t.inputs.indexOf(v as InputArg)]);
  return { guard, bridge, inputValues, valueOf: (given: unknown[]) => (v: Value) => given[t.inputs.indexOf(v as InputArg)] };
}

describe("resumeOps: a bridge from a guard with virtuals", () => {
  it("allocates every virtual first, then fields and items, then the delayed writes", () => {
    const { bridge } = bridgeFrom(GUARDED);
    expect(printTrace(bridge)).toBe(trace`
      # bridge from guard
      [n0, n1, p2]
      p3 = new(descr=A)
      p4 = new(descr=A)
      p5 = new_array(3, 0, descr=Array<number>)
      setfield(p3, n1, descr=A.x)
      setfield(p3, p4, descr=A.next)
      setfield(p4, 7, descr=A.x)
      setfield(p4, p3, descr=A.next)
      setarrayitem(p5, 0, n0, descr=Array<number>)
      setarrayitem(p5, 1, 0, descr=Array<number>)
      setarrayitem(p5, 2, n1, descr=Array<number>)
      setfield(p2, p4, descr=A.next)
      finish(p3, n0, p5)
    `);
  });

  it("run, builds the same objects as resuming at the guard does", () => {
    const { guard, bridge, inputValues, valueOf } = bridgeFrom(GUARDED);
    for (const given of [
      [a0, 5, 6],
      [a0, -0, NaN],
    ]) {
      world.reset();
      const byResuming = resumeValues(guard.snapshot!, valueOf(given));
      const resumed = describeRun(world, { at: "finish", values: guard.snapshot!.frames[0]!.values.map(byResuming), jumps: 0 });
      world.reset();
      expect(describeRun(world, execute(bridge, inputValues(given)))).toBe(resumed);
      // The pair of As points at each other; the delayed write links a0 to the second.
      // (`new` allocates blank: fields the virtual never set are absent, as in the interpreter.)
      expect(resumed).toMatch(/a0: A k=3 next=new2 x=1 y=2\nnew0: A next=new2 x=(5|-0)\n.*\nnew2: A next=new0 x=7$/);
    }
  });

  it("the bridge's optimization makes the allocations virtual again", () => {
    const text = trace`
      # loop
      [n0, b1]
      guard_true(b1) [run@4: p2, n0] {p2 = A(x=n0, next=null)}
      finish()
    `;
    const guard = parseTrace(text, world.env()).ops[0]!;
    const n = new InputArg("n");
    const prologue = resumeOps(guard.snapshot!, () => n);
    const [alloc] = prologue.ops;
    const x = new Op("getfield", [alloc!], world.env().descrs!["A.x"]!);
    const sum = new Op("num_add", [x, Const.of(1)]);
    const bridge = new Trace([n], [...prologue.ops, x, sum, new Op("finish", [sum])], "bridge", "from guard");
    expect(printTrace(optimize(bridge))).toBe(trace`
      # bridge from guard
      [n0]
      n1 = num_add(n0, 1)
      finish(n1)
    `);
  });
});
