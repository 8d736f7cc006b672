/**
 * @fileoverview Guest calls compiled (interpreters/tiny): a recursive function gets a
 * function-entry trace that ends in `finish`, its recursive calls become
 * `call_assembler` of its own entry, and compiled callers call compiled callees
 * directly; a callee that leaves its compiled code through a guard is finished by the
 * interpreter. What the programs print, at every threshold and with bridges
 * everywhere, is checked by tiny.test.ts and stress.test.ts; here, that the JIT did
 * compile the calls, read from `--stats` and `--log`.
 */

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "./helpers.js";

const TINY = join(ROOT, "interpreters/tiny");

/** Runs a Tiny program with --stats and a log; returns stdout, the stats and the log. */
function run(path: string, ...args: string[]): { stdout: string; stats: string; log: string } {
  const log = join(mkdtempSync(join(tmpdir(), "tsjit-calls-")), "trace.log");
  const r = runCli(["run", "tiny", path, "--stats", "--log", log, ...args]);
  expect(r.status).toBe(0);
  return { stdout: r.stdout.toString("utf8"), stats: r.stderr, log: readFileSync(log, "utf8") };
}

/** The numbers of the stats' call_assembler line. */
function assemblerStats(stats: string): { ops: number; calls: number; exits: number; interpreted: number } {
  const m = /call_assembler: +(\d+) in compiled traces, (\d+) calls, (\d+) left compiled code, (\d+) run by the interpreter/.exec(stats);
  expect(m).not.toBeNull();
  return { ops: Number(m![1]), calls: Number(m![2]), exits: Number(m![3]), interpreted: Number(m![4]) };
}

/** The optimized traces of a log, as text blocks. */
function optimized(log: string): string[] {
  return log.split(/\n(?=# )/).filter((b) => b.split("\n")[0]!.includes("(optimized)"));
}

describe("guest calls: fib", () => {
  const fib = run(join(TINY, "examples/fib.tiny"), "--threshold", "50");

  it("prints what the interpreter prints", () => {
    expect(fib.stdout).toBe(readFileSync(join(TINY, "examples/fib.out"), "utf8"));
  });

  it("compiles fib's entry as a function trace", () => {
    expect(fib.stats).toMatch(/traces compiled: +\d+ \(\d+ loop, \d+ entry, [1-9]\d* function/);
    expect(fib.stats).toMatch(/^ +function at fib:0 /m);
  });

  it("calls fib's compiled code from compiled code, and rarely falls back to the interpreter", () => {
    const s = assemblerStats(fib.stats);
    expect(s.ops).toBeGreaterThanOrEqual(2);
    expect(s.calls).toBeGreaterThan(10_000);
    expect(s.exits * 100).toBeLessThan(s.calls);
    expect(s.interpreted * 100).toBeLessThan(s.calls);
  });

  it("the entry trace ends in finish; the recursive calls are call_assembler of fib's own entry", () => {
    const traces = optimized(fib.log);
    const entry = traces.find((t) => t.startsWith("# entry tiny: fib:0"));
    expect(entry).toBeDefined();
    const token = /descr=(Loop\d+(?:f\d+)?)/.exec(fib.log.split("\n").find((l) => l.includes("call_assembler("))!)![1];
    // Every call_assembler of the run targets the same entry: fib calls only fib.
    const targets = new Set([...fib.log.matchAll(/call_assembler\([^)]*descr=(Loop\d+(?:f\d+)?)\)/g)].map((m) => m[1]));
    expect([...targets]).toEqual([token]);
    expect(entry!.trimEnd().split("\n").at(-1)).toMatch(/^finish\(p\d+\)$/);
    // The callee's code object is a constant before the call (the call is only right for
    // these greens): here read from the global `fib`, a quasi-immutable cell, so folded
    // behind a guard_not_invalidated rather than checked by a guard_value.
    const withCalls = traces.find((t) => t.includes("call_assembler("))!;
    expect(withCalls).toMatch(/(guard_value\(p\d+, ConstPtr\(Code#\d+\)\)|guard_not_invalidated\()[^\n]*\n(?:[^\n]*\n)*?v\d+ = call_assembler/);
    expect(withCalls).not.toMatch(/getarrayitem\(ConstPtr\(Array#\d+\)/); // no load of a global
  });
});

describe("guest calls: the callee's frame passed by its contents (frame entries)", () => {
  const fib = run(join(TINY, "examples/fib.tiny"), "--threshold", "50");

  it("compiles a frame entry of fib, and every compiled call enters it: no optimized trace allocates a Frame", () => {
    expect(fib.stats).toMatch(/^ +frame entry at fib:0 /m);
    const traces = optimized(fib.log);
    const calls = traces.flatMap((t) => [...t.matchAll(/call_assembler\(.*descr=(\w+)\)$/gm)].map((m) => m[1]));
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls).size).toBe(1);
    expect(calls[0]).toMatch(/^Loop\d+f\d+$/);
    for (const t of traces) expect(t).not.toMatch(/= new\(descr=Frame\)/);
    expect(fib.stats).toMatch(/virtualize-frame-passed/);
  });

  it("guards of frame entries fail (argument types change, a local is reassigned) with the interpreter's output", () => {
    const path = join(TINY, "examples/frame_entry.tiny");
    for (const t of ["1", "50"]) {
      const r = run(path, "--threshold", t);
      expect(r.stdout).toBe(readFileSync(join(TINY, "examples/frame_entry.out"), "utf8"));
      expect(r.stats).toMatch(/^ +frame entry at (walk|rec):0 /m);
      expect(r.stats).toMatch(/guard failures: +[1-9]/);
    }
  });

  it("with inlining off, a call from a loop passes the frame too", () => {
    const path = program("loop-calls", "def f(x):\n    return x * 2 + 1\ni = 0\ns = 0\nwhile i < 3000:\n    s = s + f(i)\n    i = i + 1\nprint(s)\n");
    const r = run(path, "--threshold", "50", "--jit-param", "inlining=0");
    expect(r.stdout).toBe("9000000\n");
    const loop = optimized(r.log).find((t) => t.startsWith("# loop tiny: <module>"))!;
    expect(loop).toMatch(/call_assembler\(.*descr=Loop\d+f\d+\)$/m);
    expect(loop).not.toMatch(/= new\(descr=Frame\)/);
  });
});

describe("guest calls: deep recursion and guard failures in callees", () => {
  it("a recursion deeper than the stack budget goes on in the interpreter, with the same output", () => {
    const r = run(join(TINY, "examples/recursion.tiny"), "--threshold", "1");
    expect(r.stdout).toBe(readFileSync(join(TINY, "examples/recursion.out"), "utf8"));
    const s = assemblerStats(r.stats);
    expect(s.calls).toBeGreaterThan(0);
    // depth(900..987) nests deeper than compiled frames may: some callees ran in the interpreter.
    expect(s.interpreted).toBeGreaterThan(0);
    expect(r.stats).toMatch(/guard failures: +[1-9]/);
  });

  it("a recursion through compiled loops, 990 deep, goes on in the interpreter past the stack budget", () => {
    for (const t of ["1", "50"]) {
      const r = run(join(TINY, "examples/loop_recursion.tiny"), "--threshold", t);
      expect(r.stdout).toBe(readFileSync(join(TINY, "examples/loop_recursion.out"), "utf8"));
      expect(r.stats).toMatch(/^ +loop at f:/m);
      expect(assemblerStats(r.stats).calls).toBeGreaterThan(0);
    }
  });

  it("the depth limit error after a compiled warm-up is the interpreter's", () => {
    const path = join(TINY, "errors/hot_recursion_depth.tiny");
    for (const t of ["1", "50"]) {
      const r = runCli(["run", "tiny", path, "--threshold", t, "--stats"]);
      expect(r.status).toBe(1);
      expect(r.stdout.toString()).toBe("990\n");
      expect(r.stderr).toMatch(/^error: line 5 in down: maximum call depth exceeded \(1000 nested calls\)\n$/m);
      expect(assemblerStats(r.stderr).calls).toBeGreaterThan(0);
    }
  });
});

/** Writes a Tiny program of the project's own into a temporary folder; returns its path. */
const programs = mkdtempSync(join(tmpdir(), "tsjit-calls-programs-"));
function program(name: string, text: string): string {
  const path = join(programs, `${name}.tiny`);
  writeFileSync(path, text);
  return path;
}

describe("guest calls: inlining", () => {
  const loopCalling = (callee: string): string => `${callee}
i = 0
s = 0
while i < 3000:
    s = s + f(i)
    i = i + 1
print(s)
`;

  it("a call of a small function in a loop is inlined: no call_assembler, and its frame and boxes are not allocated", () => {
    const r = run(program("small", loopCalling("def f(x):\n    return x * 2 + 1\n")), "--threshold", "50");
    expect(r.stdout).toBe("9000000\n");
    const loop = optimized(r.log).find((t) => t.startsWith("# loop tiny: <module>"))!;
    expect(loop).toContain('debug_merge_point("f:0 ');
    const body = loop.slice(loop.search(/descr=Loop\d+\.body\)/)).split("\n").map((l) => l.replace(/ \[.*$/, ""));
    expect(body.filter((l) => /call_assembler\(|\bnew(_array)?\(|\bcall\(/.test(l))).toEqual([]);
    // With inlining=0, the same loop calls f's compiled code instead.
    const off = run(program("small-off", loopCalling("def f(x):\n    return x * 2 + 1\n")), "--threshold", "50", "--jit-param", "inlining=0");
    expect(off.stdout).toBe("9000000\n");
    expect(optimized(off.log).find((t) => t.startsWith("# loop tiny: <module>"))).toMatch(/call_assembler\(/);
  });

  it("a function that runs a loop is not inlined: the trace that met its loop is abandoned and retraced with a call_assembler", () => {
    const callee = "def f(x):\n    k = 0\n    t = 0\n    while k < 3:\n        t = t + x\n        k = k + 1\n    return t\n";
    const r = run(program("looping", loopCalling(callee)), "--threshold", "50");
    expect(r.stdout).toBe("13495500\n");
    expect(r.stats).toMatch(/the guest call at f:0 \S+ \d+ runs a loop \(it is not inlined from now on\) \(at <module>/);
    expect(r.stats).toMatch(/blacklisted: +0/);
    expect(optimized(r.log).find((t) => t.startsWith("# loop tiny: <module>"))).toMatch(/call_assembler\(/);
  });

  it("a trace too long because of an inlined call is retraced with that call as a call_assembler", () => {
    const callee = "def f(x):\n    return x * 2 + 1\n";
    const r = run(program("long", loopCalling(callee)), "--threshold", "50", "--jit-param", "tree_limit=40");
    expect(r.stdout).toBe("9000000\n");
    expect(r.stats).toMatch(/trace too long \(the guest call at f:0 \S+ \d+ is not inlined from now on\)/);
    expect(optimized(r.log).find((t) => t.startsWith("# loop tiny: <module>"))).toMatch(/call_assembler\(/);
  });

  it("a recursive call is inlined max_unroll_recursion levels deep (default 1), into traces and their bridges", () => {
    for (const levels of [0, 1]) {
      const args = levels === 1 ? [] : ["--jit-param", `max_unroll_recursion=${levels}`];
      const r = run(join(TINY, "examples/fib.tiny"), "--threshold", "50", ...args);
      expect(r.stdout).toBe(readFileSync(join(TINY, "examples/fib.out"), "utf8"));
      // How deep portal frames nest in a guard's resume data: the trace's own, one per
      // inlined level, and one more in the prologue of a call (before its merge point).
      const depths = [...r.log.matchAll(/^guard_\w+\([^)]*\) \[([^\]]*)\]/gm)].map((m) => m[1]!.match(/(^|; )run@/g)?.length ?? 0);
      expect(Math.max(...depths)).toBe(levels + 2);
      expect(r.log).toMatch(/call_assembler\(/);
    }
  });
});

describe("tiny's global variables (quasi-immutable cells)", () => {
  it("a global assigned in a hot loop and read by a function stops invalidating traces after a few assignments", () => {
    const path = program("counter", "count = 0\ndef get():\n    return count\ni = 0\nt = 0\nwhile i < 5000:\n    count = count + 1\n    t = t + get()\n    i = i + 1\nprint(t)\n");
    const r = run(path, "--threshold", "50");
    expect(r.stdout).toBe(`${(5000 * 5001) / 2}\n`);
    const invalidated = Number(/invalidated: +(\d+)/.exec(r.stats)![1]);
    expect(invalidated).toBeLessThanOrEqual(3);
    expect(r.stats).toMatch(/blacklisted: +0/);
  });
});

describe("a loop trace that leaves its loop", () => {
  it("is dropped when the invocation returns before the loop closes, and counts as an abort", () => {
    // Each call runs the loop twice: the back edge is counted once per call, so tracing
    // starts at the second (last) iteration, which returns.
    const path = program("twice", "def twice(x):\n    k = 0\n    while k < 2:\n        x = x + 1\n        k = k + 1\n    return x\ni = 0\nt = 0\nwhile i < 3000:\n    t = t + twice(i)\n    i = i + 1\nprint(t)\n");
    const r = run(path, "--threshold", "50");
    expect(r.stdout).toBe(`${(2999 * 3000) / 2 + 2 * 3000}\n`);
    expect(r.stats).toMatch(/the loop was left before it closed \(its invocation returned\) \(at twice:\d+ /);
    expect(r.stats).not.toMatch(/^ +entry at twice:\d+ [^0]/m);
  });
});
