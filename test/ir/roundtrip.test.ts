/**
 * @fileoverview Tests of the trace parser: hand-written traces of every shape parse and
 * print back byte for byte; the parsed structures are what the text says (shared
 * descriptors, constants of every kind, snapshots with virtuals); malformed text fails
 * with a TraceSyntaxError that names the line.
 */

import { describe, expect, it } from "vitest";
import { ArrayDescr, CallDescr, ClassDescr, EFFECTS_ALL, EFFECTS_NONE, FieldDescr, TargetToken } from "../../src/ir/descr.js";
import { type ParseEnv, TraceSyntaxError, parseTrace } from "../../src/ir/parser.js";
import { printTrace } from "../../src/ir/printer.js";
import { Const, InputArg, Op } from "../../src/ir/trace.js";
import { trace } from "../support/text.js";

function roundtrip(text: string, env?: ParseEnv): void {
  expect(printTrace(parseTrace(text, env), { guardIndices: text.includes(" # g") })).toBe(text);
}

describe("parseTrace round trip", () => {
  it("a loop with label, jump and merge points", () => {
    roundtrip(trace`
      # loop bf: pc=3 '['
      [p0, n1]
      label(p0, n1, descr=Loop0)
      debug_merge_point("pc=3 '['")
      n2 = getarrayitem(p0, n1, descr=Uint8Array)
      b3 = truthy(n2)
      guard_true(b3) [run@12: p0, n1]
      n4 = num_add(n1, 1)
      jump(p0, n4, descr=Loop0)
    `);
  });

  it("bridges and entries, empty titles and inputs", () => {
    roundtrip("# bridge\n[]\nfinish()\n");
    roundtrip("# entry from guard 3\n[v0]\nfinish(v0)\n");
  });

  it("a function entry: guest calls through call_assembler, the result through finish", () => {
    const text = trace`
      # entry tiny: fib:0 LOAD_LOCAL 0
      [p0, p1]
      debug_merge_point("fib:10 CALL 1")
      v2 = call_assembler(p1, descr=Loop0)
      guard_no_exception() [run@179: p0, v2] # g4
      v3 = call_assembler(p0, v2, descr=Loop7)
      finish(v3)
    `;
    roundtrip(text);
    const t = parseTrace(text);
    const [call, , other] = t.ops.slice(1);
    expect(call!.descr).toBeInstanceOf(TargetToken);
    expect((call!.descr as TargetToken).name).toBe("Loop0");
    expect(other!.descr).not.toBe(call!.descr);
    expect(call!.kind).toBe("v");
  });

  it("guards with several frames, empty frames, anonymous frames and guard indices", () => {
    roundtrip(trace`
      # loop
      [p0, n1, s2]
      guard_nonnull(p0) [main@0: p0; step@7:; ?@3: n1, s2] # g0
      guard_value(n1, 5) [p0, n1]
      guard_class(p0, descr=W_Int) []
      guard_isnull(p0) [outer.run@1: n1]
      b3 = eq(s2, "x")
      guard_false(b3) [f@2: b3] # g12
      finish(n1)
    `);
  });

  it("virtuals and pending writes in resume data", () => {
    roundtrip(trace`
      # loop
      [p0, n1]
      guard_true(true) [run@4: p0, p2] {p2 = W_Int(value=n1, next=p3); p3 = W_Int(value=7, next=null); setfield(p0, n1, descr=Tape.pos)}
      guard_false(false) [p4, p2] {p4 = readonly Array<number>[n1, 2, -0]; p2 = W_Int(value=n1, next=null); setarrayitem(p0, n1, 3, descr=Uint8Array)}
      jump(p0, n1, descr=Loop0)
    `);
  });

  it("a virtual that a later op forces", () => {
    const text = trace`
      # loop
      [n0]
      guard_true(false) [p1] {p1 = W_Int(value=n0)}
      p1 = new(descr=W_Int)
      setfield(p1, n0, descr=W_Int.value)
      finish(p1)
    `;
    roundtrip(text);
    const t = parseTrace(text);
    const [guard, alloc] = t.ops;
    expect(guard!.snapshot!.frames[0]!.values[0]).toBe(alloc);
  });

  it("calls and heap ops", () => {
    roundtrip(trace`
      # loop
      [p0, n1, v2]
      v3 = call(ConstPtr(lookup), p0, n1, descr=lookup)
      guard_no_exception() [p0]
      n4 = call_pure(ConstPtr(ord), "a", descr=ord)
      call(ConstPtr(print), v3, descr=print)
      n5 = arraylen(p0, descr=readonly Array<number>)
      p6 = new_array(n5, 0, descr=Int32Array)
      setarrayitem(p6, 0, n4, descr=Int32Array)
      p7 = getfield(p0, descr=Program.code)
      setfield(p0, v2, descr=Program.extra)
      b8 = instance_of(p7, descr=W_Object)
      s9 = type_of(v2)
      v10 = same_as(v2)
      finish(n5, b8, s9, v10)
    `);
  });

  it("constants of every kind", () => {
    roundtrip(trace`
      # loop
      [v0]
      finish(0, -0, NaN, Infinity, -Infinity, -3, 2.5, -0.125, 1e+21, 5e-324, "", "a \"quoted\" \n string", "x, y)", true, false, null, undefined, ConstPtr(Program#0))
    `);
  });

  it("looks constants, descriptors and codes up in the environment", () => {
    class Program {
      readonly code = [1, 2];
    }
    const prog = new Program();
    const code = new FieldDescr("Program", "code", "p", true);
    const run = { name: "run" };
    const env: ParseEnv = { consts: { "Program#0": prog }, descrs: { code }, codes: { run } };
    const text = trace`
      # loop
      []
      p0 = getfield(ConstPtr(Program#0), descr=Program.code)
      guard_nonnull(p0) [run@3: p0]
      finish(p0)
    `;
    roundtrip(text, env);
    const t = parseTrace(text, env);
    expect((t.ops[0]!.args[0] as Const).value).toBe(prog);
    expect(t.ops[0]!.descr).toBe(code);
    expect(t.ops[1]!.snapshot!.frames[0]!.code).toBe(run);
  });
});

describe("parseTrace structures", () => {
  it("builds constants with the right values and kinds", () => {
    const t = parseTrace('[v0]\nfinish(-0, NaN, "s", true, null, undefined, ConstPtr(X), ConstPtr(X))');
    const a = t.ops[0]!.args as Const[];
    expect(Object.is(a[0]!.value, -0)).toBe(true);
    expect(a[1]!.value).toBeNaN();
    expect(a.map((c) => c.kind)).toEqual(["n", "n", "s", "b", "p", "v", "p", "p"]);
    expect(a[6]!.value).toBe(a[7]!.value);
    expect(t.kind).toBe("loop");
  });

  it("creates default descriptors, one object per name", () => {
    const t = parseTrace(trace`
      # loop
      [p0]
      label(p0, descr=Loop0)
      n1 = getfield(p0, descr=A.x)
      setfield(p0, n1, descr=A.x)
      n2 = getarrayitem(p0, 1, descr=readonly Array<number>)
      p3 = getarrayitem(p0, 1, descr=Array<W_Object>)
      n4 = arraylen(p0, descr=Uint16Array)
      v5 = call(ConstPtr(f), descr=f)
      n6 = call_pure(ConstPtr(g), 1, descr=g)
      guard_class(p0, descr=W_Int) []
      jump(p0, descr=Loop0)
    `);
    const d = t.ops.map((o) => o.descr);
    expect(d[0]).toBeInstanceOf(TargetToken);
    expect(d[0]).toBe(d[9]);
    expect(d[1]).toBe(d[2]);
    expect(d[1]).toMatchObject({ owner: "A", field: "x", kind: "n", immutable: false });
    expect(d[3]).toMatchObject({ flavour: "Array", elementType: "number", itemKind: "n", immutable: true });
    expect(d[4]).toMatchObject({ flavour: "Array", elementType: "W_Object", itemKind: "p", immutable: false });
    expect(d[5]).toBeInstanceOf(ArrayDescr);
    expect((d[5] as ArrayDescr).flavour).toBe("Uint16Array");
    expect(d[6]).toBeInstanceOf(CallDescr);
    expect((d[6] as CallDescr).effects).toBe(EFFECTS_ALL);
    expect((d[6] as CallDescr).canRaise).toBe(true);
    expect((d[7] as CallDescr).effects).toBe(EFFECTS_NONE);
    expect((d[7] as CallDescr).resultKind).toBe("n");
    expect(d[8]).toBeInstanceOf(ClassDescr);
    expect((d[8] as ClassDescr).ctor).toBeNull();
  });

  it("builds snapshots with virtuals and resume codes", () => {
    const t = parseTrace(trace`
      # loop
      [p0, n1]
      guard_true(true) [run@4: p0; inner@9: p2] {p2 = W_Int(value=n1); setfield(p0, n1, descr=Tape.pos)}
      guard_no_exception() [run@5: p2] {p2 = W_Int(value=3)}
      finish()
    `);
    const s = t.ops[0]!.snapshot!;
    expect(s.frames.map((f) => [f.code?.name, f.pc])).toEqual([["run", 4], ["inner", 9]]);
    const p2 = s.frames[1]!.values[0]!;
    expect(p2).toBeInstanceOf(InputArg);
    expect(s.virtuals.get(p2)).toMatchObject({ kind: "object", cls: { name: "W_Int" } });
    expect(s.pendingWrites[0]).toMatchObject({ kind: "field", obj: t.inputs[0], value: t.inputs[1] });
    const s2 = t.ops[1]!.snapshot!;
    expect(s2.frames[0]!.code).toBe(s.frames[0]!.code);
    expect(s2.virtuals.has(p2)).toBe(true);
    expect(s2.afterCallRaising).toBe(true);
  });

  it("accepts indentation, blank and comment lines, and sets guard indices", () => {
    const t = parseTrace("\n   # bridge x\n\n   [n0]\n  # a comment\n   guard_true(true) [] # g7\n   finish(n0)\n");
    expect(t.kind).toBe("bridge");
    expect(t.title).toBe("x");
    expect(t.ops[0]!.guardIndex).toBe(7);
    expect(t.ops[1]).toBeInstanceOf(Op);
  });
});

describe("parseTrace errors", () => {
  const cases: [string, string, number, RegExp][] = [
    ["unknown op", "[n0]\nn1 = num_frob(n0, 1)", 2, /unknown operation 'num_frob'/],
    ["undefined value", "[n0]\nn1 = num_add(n0, n5)", 2, /n5 is not defined/],
    ["use before definition", "[n0]\nn1 = num_add(n0, n2)\nn2 = num_neg(n0)", 2, /n2 is used before it is defined \(on line 3\)/],
    ["redefinition", "[n0]\nn1 = num_neg(n0)\nn1 = num_neg(n0)", 3, /n1 is defined twice/],
    ["wrong kind letter", "[n0]\nn1 = num_lt(n0, 1)", 2, /names a value of kind n, but this num_lt produces kind b/],
    ["missing result", "[n0]\nnum_add(n0, 1)", 2, /produces a value of kind n/],
    ["result of a void op", "[p0]\nn1 = setfield(p0, 1, descr=A.x)", 2, /produces no value/],
    ["arity", "[n0]\nn1 = num_add(n0)", 2, /takes 2 arguments, not 1/],
    ["missing descr", "[p0]\nn1 = getfield(p0)", 2, /needs a descriptor/],
    ["descr on a plain op", "[n0]\nn1 = num_neg(n0, descr=X)", 2, /takes no descriptor/],
    ["bad field descr", "[p0]\nn1 = getfield(p0, descr=nodot)", 2, /Owner\.field/],
    ["bad array descr", "[p0]\nn1 = arraylen(p0, descr=Uint9Array)", 2, /unknown array descriptor/],
    ["unclosed call", "[n0]\nn1 = num_neg(n0", 2, /expected ',' or '\)'/],
    ["bad token", "[n0]\nn1 = num_neg(foo)", 2, /'foo' is neither a value name/],
    ["unterminated string", '[n0]\ns1 = to_str("abc)', 2, /unterminated string/],
    ["trailing junk", "[n0]\nn1 = num_neg(n0) junk", 2, /unexpected/],
    ["bad frame", "[n0]\nguard_true(true) [run@1: n0; n0]", 2, /code@pc:/],
    ["undefined in snapshot", "[n0]\nguard_true(true) [n0, p9]", 2, /p9 is not defined/],
    ["later value in snapshot", "[n0]\nguard_true(true) [n1]\nn1 = num_neg(n0)", 2, /n1 is defined later/],
    ["bad virtual", "[n0]\nguard_true(true) [p1] {p1 = W_Int value}", 2, /expected '\('/],
    ["missing inputs", "# loop\nn1 = num_neg(1)", 2, /input arguments line/],
    ["constant input", "[n0, 5]", 1, /must be value names/],
    ["bad header", "# lop\n[n0]", 1, /header/],
    ["location", "[n0]\ndebug_merge_point(n0)", 2, /location as a string/],
  ];
  for (const [what, text, line, message] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        parseTrace(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TraceSyntaxError);
      expect((err as TraceSyntaxError).line).toBe(line);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toMatch(new RegExp(`^line ${line}`));
    });
  }
});
