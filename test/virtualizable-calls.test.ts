/**
 * @fileoverview Virtualizable frames together with guest calls (function entries,
 * `call_assembler`, `finish`), on a small stack machine whose CALL allocates the
 * callee's Frame and runs the portal on it, as tiny does.
 *
 * What must hold: the same results with the JIT off and on at several thresholds,
 * including when the caller reads the callee's frame after the call (so `finish` must
 * have written the callee's stack pointer and locals back); a call_assembler passes the
 * callee frame's values after the reds (the callee tree's inputs).
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { translate, type Translation } from "../dist/interp-dsl/translator.js";
import { loadInterpreter } from "../dist/tracer/loader.js";
import { DEFAULT_PARAMS } from "../dist/tracer/engine.js";

const SOURCE = `import { JitDriver } from "tsjit/hints";

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

class World {
  readonly values: number[] = [];
  readonly programs: Program[] = [];
}

const driver = new JitDriver({
  greens: ["pc", "prog"],
  reds: ["frame", "world"],
  virtualizables: { frame: ["sp", "stack[*]", "locals[*]"] },
});

function run(prog: Program, frame: Frame, world: World): number {
  let pc = 0;
  while (pc < prog.ops.length) {
    driver.jitMergePoint({ pc, prog, frame, world });
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
      driver.canEnterJit({ pc, prog, frame, world });
    } else if (op === 7) world.values.push(frame.pop());
    else if (op === 10) {
      const r = frame.pop();
      frame.push(frame.pop() % r);
    } else if (op === 15 || op === 17) {
      // A guest call of program \`arg\` with one argument, in a new frame.
      const callee = new Frame(6, 3);
      callee.locals[0] = frame.pop();
      const r = run(world.programs[arg]!, callee, world);
      // 17 also reads the callee's frame after the call: its last local and stack pointer.
      frame.push(op === 15 ? r : r + 1000 * callee.locals[2]! + 1000000 * callee.sp);
    } else if (op === 16) return frame.pop();
  }
  return -1;
}

export function execute(ops: number[][], args: number[][], n: number): number[] {
  const world = new World();
  for (let k = 0; k < ops.length; k++) world.programs.push(new Program(ops[k]!, args[k]!));
  const frame = new Frame(8, 4);
  frame.locals[2] = n;
  world.values.push(run(world.programs[0]!, frame, world));
  world.values.push(frame.sp, frame.locals[0]!, frame.locals[1]!);
  return world.values;
}

export function main(): number {
  return 0;
}
`;

const CONST = 0, LOAD = 1, STORE = 2, ADD = 3, LT = 4, JUMP_IF_FALSE = 5, JUMP_BACK = 6, PRINT = 7, MOD = 10, CALL = 15, RETURN = 16, CALL_AND_PEEK = 17;

type Asm = readonly (readonly [number, number])[];

/** Program 0: \`s = 0; i = 0; while i < n: s = s + <body>; i = i + 1\`, then prints s and returns it. */
function main(body: Asm): Asm {
  const exit = 16 + body.length;
  return [
    [CONST, 0], [STORE, 0], [CONST, 0], [STORE, 1],
    [LOAD, 0], [LOAD, 2], [LT, 0], [JUMP_IF_FALSE, exit],
    [LOAD, 1], ...body, [ADD, 0], [STORE, 1],
    [LOAD, 0], [CONST, 1], [ADD, 0], [STORE, 0], [JUMP_BACK, 4],
    [LOAD, 1], [PRINT, 0], [LOAD, 1], [RETURN, 0],
  ];
}

/** Program 1: returns a, leaving a + 1 on its stack and a * 2 in local 2. */
const INC: Asm = [[LOAD, 0], [LOAD, 0], [LOAD, 0], [ADD, 0], [STORE, 2], [CONST, 1], [ADD, 0], [LOAD, 0], [RETURN, 0]];

/** Program 2: the sum of 0 .. a-1 by a loop, in local 2 (a guest loop inside a call). */
const SUM_BELOW: Asm = [
  [CONST, 0], [STORE, 1], [CONST, 0], [STORE, 2],
  [LOAD, 1], [LOAD, 0], [LT, 0], [JUMP_IF_FALSE, 17],
  [LOAD, 2], [LOAD, 1], [ADD, 0], [STORE, 2],
  [LOAD, 1], [CONST, 1], [ADD, 0], [STORE, 1], [JUMP_BACK, 4],
  [LOAD, 2], [RETURN, 0],
];

/** Program 3: fib(a), recursively. */
const FIB: Asm = [
  [LOAD, 0], [CONST, 2], [LT, 0], [JUMP_IF_FALSE, 6], [LOAD, 0], [RETURN, 0],
  [LOAD, 0], [CONST, -1], [ADD, 0], [CALL, 3],
  [LOAD, 0], [CONST, -2], [ADD, 0], [CALL, 3], [ADD, 0], [RETURN, 0],
];

let translation: Translation;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsjit-vable-calls-"));
  const file = join(dir, "interp.ts");
  writeFileSync(file, SOURCE);
  translation = await translate(file);
}, 120_000);

async function execute(
  mainBody: Asm,
  jit: { threshold: number; bridgeThreshold?: number; inlining?: boolean } | null,
  n: number,
): Promise<{ values: number[]; log: string }> {
  const logs: string[] = [];
  const params = jit ? { ...DEFAULT_PARAMS, threshold: jit.threshold, bridgeThreshold: jit.bridgeThreshold ?? DEFAULT_PARAMS.bridgeThreshold, inlining: jit.inlining ?? true } : null;
  const loaded = await loadInterpreter(translation, params, jit ? (s) => logs.push(s) : null);
  const exec = loaded.entry["execute"] as (ops: number[][], args: number[][], n: number) => number[];
  const progs = [main(mainBody), INC, SUM_BELOW, FIB];
  const values = exec(progs.map((p) => p.map((x) => x[0])), progs.map((p) => p.map((x) => x[1])), n);
  return { values, log: logs.join("\n") };
}

const CONFIGS = [
  { threshold: 1, bridgeThreshold: 1 },
  { threshold: 2, bridgeThreshold: 2 },
  { threshold: 3 },
  { threshold: 40 },
  { threshold: 1, bridgeThreshold: 1, inlining: false },
  { threshold: 3, inlining: false },
];

const PROGRAMS: [string, Asm][] = [
  ["a call per iteration", [[LOAD, 0], [CALL, 1]]],
  ["a call per iteration whose callee frame is read after it returns", [[LOAD, 0], [CALL_AND_PEEK, 1]]],
  ["a call of a function with a loop, its frame read after it returns", [[LOAD, 0], [CONST, 9], [MOD, 0], [CALL_AND_PEEK, 2]]],
  ["a recursive call", [[LOAD, 0], [CONST, 8], [MOD, 0], [CALL, 3]]],
];

describe("virtualizable frames and guest calls: same results with and without the JIT", () => {
  for (const [name, body] of PROGRAMS) {
    for (const jit of CONFIGS) {
      it(`${name}, threshold ${jit.threshold}${jit.inlining === false ? ", no inlining" : ""}`, async () => {
        const plain = await execute(body, null, 120);
        const jitted = await execute(body, jit, 120);
        expect(jitted.values).toEqual(plain.values);
      });
    }
  }
});

describe("virtualizable frames and guest calls: the traces", () => {
  it("a call_assembler passes the callee frame's stack pointer, stack and locals after the reds", async () => {
    // With inlining (the default) the call is inlined, its frame virtual; see below.
    const r = await execute([[LOAD, 0], [CALL_AND_PEEK, 1]], { threshold: 3, inlining: false }, 60);
    const calls = r.log.split("\n").filter((l) => /call_assembler\(/.test(l));
    expect(calls.length, r.log).toBeGreaterThan(0);
    // reds (frame, world), then sp, 6 stack slots and 3 locals
    for (const c of calls) expect(c.replace(/^.*call_assembler\((.*), descr=.*$/, "$1").split(", ").length).toBe(2 + 1 + 6 + 3);
  });

  it("with inlining, a non-recursive guest call is inlined: no call_assembler, the callee's Frame is virtual", async () => {
    const r = await execute([[LOAD, 0], [CALL, 1]], { threshold: 3 }, 60);
    const loop = r.log.split("\n\n").find((t) => t.startsWith("# loop") && t.includes("(optimized)"));
    expect(loop, r.log).toBeDefined();
    const body = loop!.slice(loop!.search(/descr=Loop\d+\.body\)/)).split("\n").map((l) => l.replace(/ \[.*$/, ""));
    expect(body.length).toBeGreaterThan(1);
    expect(body.filter((l) => /call_assembler\(|new\(descr=Frame\)/.test(l))).toEqual([]);
  });
});
