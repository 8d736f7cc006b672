/**
 * @fileoverview Differential tests of the Brainfuck interpreter: every program prints
 * exactly its expected output with the JIT off and with the JIT at several thresholds
 * (1, 2 and 3 force tracing of nearly every loop, early and often; 50 and the default
 * are the usual regime). The project's own programs always run; the shared corpus
 * runs when `../shared/corpus` is present.
 */

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

// Peeling copies a loop's exit guards into preamble and body, so squares.b has guards of
// the same shape: with share_bridges (the default) the later one gets the earlier one's
// bridge instead of a trace of its own; the output is the same either way.
describe("bf: bridges shared between guards of the same shape", () => {
  const program = own.find((p) => p.name === "squares.b")!;
  const run = (share: 0 | 1) => {
    const r = runCli(["run", "bf", program.path, "--threshold", "3", "--stats", "--jit-param", `bridge_threshold=1,share_bridges=${share}`], program.input);
    expect(r.status).toBe(0);
    expect(r.stdout.toString("latin1")).toBe(program.expected.toString("latin1"));
    const count = (what: string) => Number(new RegExp(`${what}:\\s+(\\d+)`).exec(r.stderr)![1]);
    const bridges = Number(/traces compiled:.* (\d+) bridge\)/.exec(r.stderr)![1]);
    return { shared: count("bridges shared"), bridges };
  };
  it("shares, and traces fewer bridges, with the same output", () => {
    const on = run(1);
    const off = run(0);
    expect(off.shared).toBe(0);
    expect(on.shared).toBeGreaterThan(0);
    expect(on.bridges).toBeLessThan(off.bridges);
  });
});

describe("bf: a bridge knows the classes its guard's trace knew", () => {
  // The tape's class is checked once, at the top of each loop; a bridge from a guard of
  // that loop knows it, and so does a bridge from a guard of that bridge (the tracer
  // records no guard_class for a known class, so the bridge's trace alone does not say).
  it("no optimized bridge checks the tape's class again", () => {
    const program = own.find((p) => p.name === "squares.b")!;
    const log = join(mkdtempSync(join(tmpdir(), "tsjit-bf-")), "squares.log");
    const r = runCli(["run", "bf", program.path, "--threshold", "3", "--jit-param", "bridge_threshold=1", "--log", log], program.input);
    expect(r.status).toBe(0);
    expect(r.stdout.toString("latin1")).toBe(program.expected.toString("latin1"));
    const bridges = readFileSync(log, "utf8")
      .split(/^(?=# )/m)
      .filter((t) => /^# bridge .*\(optimized\)/.test(t));
    expect(bridges.length).toBeGreaterThan(10);
    expect(bridges.filter((t) => t.includes("guard_class"))).toEqual([]);
  });
});
