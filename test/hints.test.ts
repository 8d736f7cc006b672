/**
 * @fileoverview The hints `promote`, `elidable`, `dontLookInside` and `unrollSafe`, each
 * held to its contract (src/interp-dsl/hints.ts) on a fixture interpreter
 * (test/fixtures/hints-interp.ts) whose program picks which hint an iteration uses:
 * what the recorded and the optimized traces hold, and that every run prints what the
 * interpreter without the JIT prints.
 */

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DIFFERENTIAL_CONFIGS, ROOT, expectSameOutput, runCli } from "./helpers.js";

const FIXTURE = join(ROOT, "test/fixtures/hints-interp.ts");
const tmp = mkdtempSync(join(tmpdir(), "tsjit-hints-"));
let counter = 0;

/** A program file `n mode k`. */
function program(n: number, mode: string, k: number): string {
  const file = join(tmp, `p${counter++}.txt`);
  writeFileSync(file, `${n} ${mode} ${k}\n`);
  return file;
}

/** The recorded and the optimized trace of the first loop, at threshold 1. */
function traces(mode: string, k: number): { recorded: string; optimized: string } {
  const log = join(tmp, `log${counter++}.txt`);
  const r = runCli(["run", FIXTURE, program(200, mode, k), "--threshold", "1", "--log", log]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const blocks = readFileSync(log, "utf8").split("\n\n");
  const recorded = blocks.find((b) => b.startsWith("# loop") && !b.includes("(optimized)"));
  const optimized = blocks.find((b) => b.startsWith("# loop") && b.includes("(optimized)"));
  if (!recorded || !optimized) throw new Error(`no loop in the log of mode ${mode}`);
  return { recorded, optimized };
}

/** The lines of `trace` matching `re`. */
const lines = (trace: string, re: RegExp): string[] => trace.split("\n").filter((l) => re.test(l));

describe("promote", () => {
  it("guards on the value seen and folds what depends on it", () => {
    for (const k of [3, 4]) {
      const { recorded } = traces("promote", k);
      expect(recorded).toMatch(new RegExp(`^n(\\d+) = getfield\\(p\\d+, descr=Config\\.k\\)\\nguard_value\\(n\\1, ${k}\\)`, "m"));
      // k * 5 + 3 is a constant: one multiplication of n by it, nothing computed from k.
      expect(lines(recorded, /num_mul/)).toEqual([expect.stringMatching(new RegExp(`= num_mul\\(n0, ${k * 5 + 3}\\)$`))]);
    }
  });
});

describe("elidable", () => {
  const table = (k: number): number => k * 1000 + 77;

  it("a call with constant arguments is folded at trace time: no call in the trace", () => {
    const { recorded } = traces("elidable", 3);
    expect(recorded).not.toMatch(/call_pure\(ConstPtr\(table\), \d+,/);
    expect(recorded).toMatch(new RegExp(`= num_add\\(n1, ${table(3)}\\)$`, "m"));
  });

  it("a call with other arguments is a call_pure, and CSE shares equal ones", () => {
    const { recorded, optimized } = traces("elidable", 3);
    const pureCalls = /= call_pure\(ConstPtr\(table\), n\d+, descr=table\)$/;
    expect(lines(recorded, pureCalls)).toHaveLength(2);
    expect(lines(recorded, /= call\(/)).toEqual([]);
    // The optimized loop: one call per iteration, in the peeled one and in the body.
    const [peeled, body] = optimized.split(/^label\(.*descr=Loop\d+\.body\)$/m);
    expect(lines(peeled!, pureCalls)).toHaveLength(1);
    expect(lines(body!, pureCalls)).toHaveLength(1);
  });
});

describe("dontLookInside", () => {
  it("a call is residual: the body's operations are not in the trace", () => {
    const { recorded, optimized } = traces("dontlook", 3);
    expect(recorded).toMatch(/^n\d+ = call\(ConstPtr\(opaque\), n0, descr=opaque\)\nguard_no_exception\(\)/m);
    for (const t of [recorded, optimized]) expect(t).not.toMatch(/7919/);
  });
});

describe("unrollSafe", () => {
  it("a function with a loop is inlined with its loop unrolled; without the hint it is called", () => {
    for (const k of [2, 3]) {
      const { recorded } = traces("unroll", k);
      expect(recorded).not.toMatch(/ConstPtr\(sumTo\)/);
      // One multiplication x * i per term, i = 1..k, the constants of the unrolled loop.
      const muls = lines(recorded, /= num_mul\(/).map((l) => l.replace(/^n\d+ = /, ""));
      expect(muls).toEqual(Array.from({ length: k }, (_, i) => `num_mul(${i + 1}, n0)`));
      expect(recorded).toMatch(new RegExp(`= call\\(ConstPtr\\(sumToPlain\\), ${k}, n\\d+, descr=sumToPlain\\)$`, "m"));
    }
  });
});

describe("hints never change the output", () => {
  for (const mode of ["promote", "elidable", "dontlook", "unroll"]) {
    it(`${mode}: as without the JIT, in every configuration`, async () => {
      const file = program(500, mode, 3);
      const configs = [...DIFFERENTIAL_CONFIGS, ["--threshold", "1", "--jit-param", "enable_opts="]];
      await expectSameOutput([FIXTURE, file], configs, /^\d+\n$/);
    });
  }
});
