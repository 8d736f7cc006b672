/**
 * @fileoverview Differential tests of the Brainfuck interpreter: every program prints
 * exactly its expected output with the JIT off and with the JIT at several thresholds
 * (1, 2 and 3 force tracing of nearly every loop, early and often; 50 and the default
 * are the usual regime). The project's own programs always run; the shared corpus
 * runs when `../shared/corpus` is present.
 */

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, DIFFERENTIAL_CONFIGS, ROOT, programsIn, runCli, runCliAsync } from "./helpers.js";

const own = programsIn(join(ROOT, "interpreters/bf/examples"), "b");
const corpus = programsIn(join(CORPUS, "bf"), "b");

describe("bf: own example programs", () => {
  it("has examples", () => expect(own.length).toBeGreaterThanOrEqual(5));
  for (const p of own) {
    for (const cfg of DIFFERENTIAL_CONFIGS) {
      it(`${p.name} ${cfg.join(" ") || "(default threshold)"}`, () => {
        const r = runCli(["run", "bf", p.path, ...cfg], p.input);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout.toString("latin1")).toBe(p.expected.toString("latin1"));
      });
    }
  }
});

// Corpus programs run a while: run them concurrently (child processes).
describe.skipIf(corpus.length === 0).concurrent("bf: shared corpus", () => {
  for (const p of corpus) {
    for (const cfg of DIFFERENTIAL_CONFIGS) {
      it(`${p.name} ${cfg.join(" ") || "(default threshold)"}`, { timeout: 600_000 }, async () => {
        const r = await runCliAsync(["run", "bf", p.path, ...cfg], p.input);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout.toString("latin1")).toBe(p.expected.toString("latin1"));
      });
    }
  }
});

// Once the code space is full the engine stops tracing; what was compiled keeps running.
describe("bf: a full code space", () => {
  const program = own.find((p) => p.name === "squares.b")!;
  for (const n of [2, 3, 4, 6]) {
    it(`max_trees=${n} at threshold 1`, () => {
      const r = runCli(["run", "bf", program.path, "--threshold", "1", "--stats", "--jit-param", `max_trees=${n}`], program.input);
      expect(r.status).toBe(0);
      expect(r.stdout.toString("latin1")).toBe(program.expected.toString("latin1"));
      const compiled = Number(/traces compiled:\s+(\d+)/.exec(r.stderr)![1]);
      expect(compiled).toBeGreaterThan(0);
      expect(compiled).toBeLessThanOrEqual(n);
    });
  }
});
