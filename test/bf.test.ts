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
