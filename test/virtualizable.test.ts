/**
 * @fileoverview Virtualizable frames (the driver's `virtualizables` option), tested on a
 * small stack machine written for it: a Frame with a stack pointer, a value stack and
 * locals, run in-process with the JIT off and on at several thresholds.
 *
 * What must hold: the results are the same in every configuration (guards failing in
 * the middle of a loop, bridges, calls that read and write the frame, the frame reached
 * through another reference, frames of another size for the same loop); the optimized
 * loop keeps the stack pointer and the stack in trace values (no access to the frame in
 * its body); and the tracer falls back (aborts) where the contract says it must.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { translate, type Translation } from "../dist/interp-dsl/translator.js";
import { loadInterpreter } from "../dist/tracer/loader.js";
import { DEFAULT_PARAMS } from "../dist/tracer/engine.js";

const SOURCE = `import { JitDriver, dontLookInside } from "tsjit/hints";

export class Frame {
  readonly stack: number[];
  sp: number;
  readonly locals: number[];
  constructor(size: number, nlocals: number) {
    this.stack = new Array<number>(size).fill(0);
    this.sp = 0;
    this.locals = new Array<number>(nlocals).fill(0);
  }
  push(v: number): void {
    this.stack[this.sp] = v;
    this.sp = this.sp + 1;
  }
  pop(): number {
    this.sp = this.sp - 1;
    return this.stack[this.sp]!;
  }
}

class Program {
  constructor(readonly ops: readonly number[], readonly args: readonly number[]) {}
}

class Output {
  readonly values: number[] = [];
  /** Where STASH keeps a frame: reached from here, not as the red. */
  stashed: Frame | null = null;
  /** Which of \`execute\`'s runs this is: STASH stores the frame in runs 0, 3, 6, ... only. */
  round = 0;
}

/** Pops every value of the stack and pushes their sum: a call that reads and writes the frame. */
function pushSum(frame: Frame): void {
  let s = 0;
  while (frame.sp > 0) s = s + frame.pop();
  frame.push(s);
}
dontLookInside(pushSum);

const driver = new JitDriver({
  greens: ["pc", "prog"],
  reds: ["frame", "out"],
  virtualizables: { frame: ["sp", "stack[*]", "locals[*]"] },
});

function run(prog: Program, frame: Frame, out: Output): void {
  let pc = 0;
  while (pc < prog.ops.length) {
    driver.jitMergePoint({ pc, prog, frame, out });
    const op = prog.ops[pc]!;
    const arg = prog.args[pc]!;
    pc = pc + 1;
    if (op === 0) frame.push(arg);
    else if (op === 1) frame.push(frame.locals[arg]!);
    else if (op === 2) frame.locals[arg] = frame.pop();
    else if (op === 3) {
      const r = frame.pop();
      frame.push(frame.pop() + r);
    } else if (op === 4) {
      const r = frame.pop();
      frame.push(frame.pop() < r ? 1 : 0);
    } else if (op === 5) {
      if (frame.pop() === 0) pc = arg;
    } else if (op === 6) {
      pc = arg;
      driver.canEnterJit({ pc, prog, frame, out });
    } else if (op === 7) out.values.push(frame.pop());
    else if (op === 8) pushSum(frame);
    else if (op === 10) {
      const r = frame.pop();
      frame.push(frame.pop() % r);
    } else if (op === 13) {
      if (out.round % 3 === 0) out.stashed = frame;
    }
    else if (op === 14) frame.push(out.stashed === null ? -1 : out.stashed.sp);
  }
}

/**
 * Runs \`ops\`/\`args\` once in a frame of each of \`sizes\` stack slots (the same Program,
 * so the same compiled loop), its locals starting as \`locals\`; returns what it printed.
 */
export function execute(ops: number[], args: number[], sizes: number[], locals: number[]): number[] {
  const prog = new Program(ops, args);
  const out = new Output();
  for (let k = 0; k < sizes.length; k++) {
    out.round = k;
    const frame = new Frame(sizes[k]!, locals.length);
    for (let i = 0; i < locals.length; i++) frame.locals[i] = locals[i]!;
    run(prog, frame, out);
    out.values.push(frame.sp, frame.stack.length);
    for (let i = 0; i < locals.length; i++) out.values.push(frame.locals[i]!);
  }
  return out.values;
}

export function main(): number {
  return 0;
}
`;

const CONST = 0, LOAD = 1, STORE = 2, ADD = 3, LT = 4, JUMP_IF_FALSE = 5, JUMP_BACK = 6, PRINT = 7, SUM = 8, MOD = 10, STASH = 13, PEEK_STASHED = 14;

/** A program as [op, arg] pairs. */
type Asm = readonly (readonly [number, number])[];

/** `s = 0; i = 0; while i < n: <body>; i = i + 1` then print s, with i, s, n in locals 0, 1, 2; `body` at pc 8. */
function loop(body: Asm): Asm {
  const exit = 13 + body.length;
  return [
    [CONST, 0], [STORE, 0], [CONST, 0], [STORE, 1],
    [LOAD, 0], [LOAD, 2], [LT, 0], [JUMP_IF_FALSE, exit],
    ...body,
    [LOAD, 0], [CONST, 1], [ADD, 0], [STORE, 0], [JUMP_BACK, 4],
    [LOAD, 1], [PRINT, 0],
  ];
}

/** s = s + i */
const SUM_LOOP = loop([[LOAD, 1], [LOAD, 0], [ADD, 0], [STORE, 1]]);

/** s = s + i, and every 7th iteration also prints i (a guard that fails now and then). */
const BRANCHY_LOOP = loop([
  [LOAD, 1], [LOAD, 0], [ADD, 0], [STORE, 1],
  [LOAD, 0], [CONST, 7], [MOD, 0], [CONST, 1], [LT, 0], [JUMP_IF_FALSE, 8 + 12],
  [LOAD, 0], [PRINT, 0],
]);

/** s = pushSum(10, s, i): a residual call that gets the frame, pops three values and pushes one. */
const CALL_LOOP = loop([[CONST, 10], [LOAD, 1], [LOAD, 0], [SUM, 0], [STORE, 1]]);

/**
 * The frame is stored in the heap (in runs 0, 3, ... of \`execute\`) and a stack pointer
 * read back through that reference: the current frame's in those runs, an older one's
 * in the others.
 */
const STASH_LOOP = loop([[STASH, 0], [CONST, 5], [PEEK_STASHED, 0], [ADD, 0], [LOAD, 1], [ADD, 0], [STORE, 1]]);

let translation: Translation;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsjit-vable-"));
  const file = join(dir, "interp.ts");
  writeFileSync(file, SOURCE);
  translation = await translate(file);
}, 120_000);

interface Run {
  readonly values: number[];
  readonly log: string;
  readonly aborts: string;
}

async function execute(prog: Asm, jit: { threshold: number; bridgeThreshold?: number } | null, sizes = [8], n = 100): Promise<Run> {
  const logs: string[] = [];
  const params = jit ? { ...DEFAULT_PARAMS, threshold: jit.threshold, bridgeThreshold: jit.bridgeThreshold ?? DEFAULT_PARAMS.bridgeThreshold } : null;
  const loaded = await loadInterpreter(translation, params, jit ? (s) => logs.push(s) : null);
  const exec = loaded.entry["execute"] as (ops: number[], args: number[], sizes: number[], locals: number[]) => number[];
  const values = exec(prog.map((p) => p[0]), prog.map((p) => p[1]), sizes, [0, 0, n, 0]);
  return { values, log: logs.join("\n"), aborts: loaded.engine ? loaded.engine.stats.report() : "" };
}

/** The optimized loop traces of a log. */
function optimizedLoops(log: string): string[] {
  return log.split(/\n(?=# )/).filter((t) => /^# loop .*\(optimized\)/.test(t));
}

/** The ops of the peeled loop's body (after its label), without resume data. */
function body(trace: string): string[] {
  const lines = trace.split("\n");
  const at = lines.findIndex((l) => /^label\(.*\.body\)$/.test(l));
  expect(at, trace).toBeGreaterThan(0);
  return lines.slice(at + 1).map((l) => l.replace(/ \[.*$/, ""));
}

const CONFIGS = [
  { threshold: 1, bridgeThreshold: 1 },
  { threshold: 2, bridgeThreshold: 2 },
  { threshold: 3 },
  { threshold: 50 },
];

describe("virtualizable frames: same results with and without the JIT", () => {
  const programs: [string, Asm][] = [
    ["a sum loop", SUM_LOOP],
    ["a loop whose guard fails every 7th iteration (bridges)", BRANCHY_LOOP],
    ["a loop calling a function that reads and writes the frame", CALL_LOOP],
    ["a loop reading the frame through another reference", STASH_LOOP],
  ];
  for (const [name, prog] of programs) {
    for (const jit of CONFIGS) {
      it(`${name}, threshold ${jit.threshold}`, async () => {
        const plain = await execute(prog, null, [8, 8, 8, 8]);
        const jitted = await execute(prog, jit, [8, 8, 8, 8]);
        expect(jitted.values).toEqual(plain.values);
      });
    }
  }

  it("frames of other sizes running the same loop (compiled code for 8 stack slots is not entered with 3 or 4)", async () => {
    for (const jit of CONFIGS) {
      // The stack's length is printed: code entered with the wrong layout would grow it.
      const sizes = [8, 8, 3, 8, 4];
      const plain = await execute(BRANCHY_LOOP, null, sizes, 60);
      const jitted = await execute(BRANCHY_LOOP, jit, sizes, 60);
      expect(jitted.values).toEqual(plain.values);
    }
  });
});

describe("virtualizable frames: what the trace looks like", () => {
  it("the peeled sum loop's body reads and writes neither the frame's fields nor its arrays", async () => {
    const r = await execute(SUM_LOOP, { threshold: 5 });
    const [loop] = optimizedLoops(r.log);
    expect(loop, r.log).toBeDefined();
    const ops = body(loop!);
    expect(ops.filter((l) => /^(\w+ = )?(getfield|setfield|getarrayitem|setarrayitem|arraylen)\(/.test(l))).toEqual([]);
    // The stack pointer, the stack and the locals travel in the loop's arguments.
    expect(loop!.split("\n")[1]!.split(",").length).toBe(2 + 1 + 8 + 4);
  });

  it("a guard's resume data writes the frame back (delayed writes on the frame)", async () => {
    const r = await execute(SUM_LOOP, { threshold: 5 });
    const [loop] = optimizedLoops(r.log);
    const guard = loop!.split("\n").find((l) => l.startsWith("guard_"))!;
    expect(guard).toMatch(/\{setfield\(p0, n?\w+, descr=Frame\.sp\); setarrayitem\(p\d+, 0, /);
  });

  it("a call that gets the frame is bracketed by writing it back and reading it again", async () => {
    const r = await execute(CALL_LOOP, { threshold: 5 });
    const [loop] = optimizedLoops(r.log);
    const ops = body(loop!);
    const call = ops.findIndex((l) => /call\(ConstPtr\(pushSum\)/.test(l) || /descr=pushSum/.test(l));
    expect(call, loop).toBeGreaterThan(0);
    expect(ops.slice(0, call).some((l) => /^setfield\(p0, .*descr=Frame\.sp\)/.test(l))).toBe(true);
    expect(ops.slice(call).some((l) => /= getfield\(p0, descr=Frame\.sp\)/.test(l))).toBe(true);
  });

  it("the frame reached through another reference aborts the trace", async () => {
    const r = await execute(STASH_LOOP, { threshold: 5 });
    expect(r.aborts).toMatch(/the virtualizable frame is reached through another reference/);
  });

  it("another frame's fields are read behind a guard that it is not the frame red", async () => {
    const sizes = [8, 8, 8, 8, 8];
    const plain = await execute(STASH_LOOP, null, sizes, 40);
    const r = await execute(STASH_LOOP, { threshold: 30, bridgeThreshold: 1 }, sizes, 40);
    expect(r.values).toEqual(plain.values);
    const [loop] = optimizedLoops(r.log);
    expect(loop, r.log).toMatch(/(b\d+) = eq\((p\d+), p0\)\nguard_false\(\1\)[^\n]*\n\w+ = getfield\(\2, descr=Frame\.sp\)/);
  });
});
