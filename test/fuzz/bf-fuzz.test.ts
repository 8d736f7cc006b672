/**
 * @fileoverview Differential fuzzing of the whole JIT on random Brainfuck programs
 * (`bf-gen.ts`): each must print exactly what the generator's reference interpreter
 * computed, with empty stderr and status 0, without the JIT and in JIT configurations
 * that trace and bridge early: every loop at once with a bridge at a guard's first
 * failure, the same with no bridge shared between guards of one shape, and loops after
 * a few iterations with bridges after two failures, inlined into their tree at once.
 * Loop nests that leave at different places exercise bridges, trees calling trees and
 * shared bridges, which the own examples and the corpus only do at a few places.
 *
 * Deterministic: program k uses seed FIRST_SEED + k. To reproduce a failure,
 * `BF_FUZZ_SEED=<seed> BF_FUZZ_COUNT=1 npx vitest run test/fuzz/bf-fuzz.test.ts` (the
 * report prints the program).
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, runCliAsync } from "../helpers.js";
import { generateBfProgram } from "./bf-gen.js";

const FIRST_SEED = Number(process.env.BF_FUZZ_SEED ?? 9001);
const COUNT = Number(process.env.BF_FUZZ_COUNT ?? 40);

/** The configurations run (the reference is the generator's interpreter). */
const CONFIGS: readonly (readonly string[])[] = [
  ["--no-jit"],
  ["--threshold", "1", "--jit-param", "bridge_threshold=1"],
  ["--threshold", "1", "--jit-param", "bridge_threshold=1,share_bridges=0"],
  ["--threshold", "3", "--jit-param", "bridge_threshold=2,inline_after=1"],
];

/** A run that takes longer is killed (a JIT bug may loop forever); healthy ones take well under a second. */
const RUN_TIMEOUT_MS = 60_000;

// Translate once up front so the concurrent runs below all hit the cache.
runCli(["check", "bf"]);

const dir = mkdtempSync(join(tmpdir(), "tsjit-bf-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent("bf fuzz: every configuration prints what the reference interpreter prints", () => {
  for (let k = 0; k < COUNT; k++) {
    const seed = FIRST_SEED + k;
    it(`program ${seed}`, { timeout: CONFIGS.length * RUN_TIMEOUT_MS }, async () => {
      const program = generateBfProgram(seed);
      const path = join(dir, `fuzz-${seed}.b`);
      writeFileSync(path, program.source);
      const problems: string[] = [];
      // One configuration after the other: the programs themselves run concurrently.
      for (const cfg of CONFIGS) {
        const r = await runCliAsync(["run", "bf", path, ...cfg], "", RUN_TIMEOUT_MS);
        const what: string[] = [];
        if (r.status !== 0) what.push(`status ${r.status}`);
        if (r.stderr !== "") what.push(`stderr ${JSON.stringify(r.stderr.slice(0, 400))}`);
        if (!r.stdout.equals(program.output)) what.push(`stdout ${r.stdout.length} bytes, expected ${program.output.length}`);
        if (what.length > 0) problems.push(`seed ${seed}, ${cfg.join(" ")}: ${what.join("; ")}`);
      }
      if (problems.length > 0) console.error(`${problems.join("\n")}\n--- program (bf, seed ${seed}):\n${program.source}`);
      expect(problems).toEqual([]);
    });
  }
});
