/**
 * @fileoverview Golden traces: the optimized traces of a few example programs, kept as
 * text in `traces/bf/` and reviewed in diffs. A change to the tracer or the optimizer
 * that changes them fails this test; `npm run traces:update` rewrites them.
 *
 * Also checks the promise of the meta-tracing approach on the simplest loop: in the
 * optimized trace of `[->+<]` nothing reads the BF program or the pc — the dispatch on
 * the green pc was folded away — and what is left is tape access, arithmetic, guards.
 */

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "./helpers.js";

const UPDATE = process.env["UPDATE_TRACES"] === "1";
const PROGRAMS = ["add", "hello", "wrap"];
const THRESHOLD = "50";

/** The optimized traces of a run's log, each a block of text. */
function optimizedTraces(log: string): string[] {
  const blocks: string[] = [];
  let current: string[] | null = null;
  for (const line of log.split("\n")) {
    if (line.startsWith("# ")) {
      if (current) blocks.push(current.join("\n"));
      current = line.includes("(optimized)") ? [line] : null;
    } else if (current && line !== "") current.push(line);
  }
  if (current) blocks.push(current.join("\n"));
  return blocks;
}

function traceLog(program: string, threshold: string): string {
  const log = join(mkdtempSync(join(tmpdir(), "tsjit-log-")), "trace.log");
  const path = join(ROOT, "interpreters/bf/examples", `${program}.b`);
  const input = existsSync(path.replace(/\.b$/, ".in")) ? readFileSync(path.replace(/\.b$/, ".in")) : "";
  const r = runCli(["run", "bf", path, "--threshold", threshold, "--log", log], input);
  expect(r.status).toBe(0);
  return readFileSync(log, "utf8");
}

describe("golden optimized traces (traces/bf)", () => {
  for (const p of PROGRAMS) {
    it(`${p}.b`, () => {
      const text = optimizedTraces(traceLog(p, THRESHOLD)).join("\n\n") + "\n";
      const golden = join(ROOT, "traces/bf", `${p}.trace`);
      if (UPDATE || !existsSync(golden)) writeFileSync(golden, text);
      expect(text).toBe(readFileSync(golden, "utf8"));
    });
  }
});

describe("the dispatch disappears", () => {
  it("the loop [->+<] reads neither the program nor the pc", () => {
    const traces = optimizedTraces(traceLog("add", "1"));
    const loop = traces.find((t) => /^# loop .*pc=16 /.test(t)); // the loop <[->+<] of add.b
    expect(loop, traces.map((t) => t.split("\n")[0]).join("\n")).toBeDefined();
    const body = loop!.split("\n").slice(2);
    for (const line of body) {
      expect(line).not.toMatch(/descr=Program\./);
      expect(line).not.toMatch(/descr=readonly Array/);
      const op = line.replace(/^\w+ = /, "").replace(/\(.*$/, "");
      expect(["label", "debug_merge_point", "jump", "getfield", "setfield", "getarrayitem", "setarrayitem", "arraylen", "num_add", "num_sub", "num_lt", "num_ge", "eq", "ne"].concat(["guard_true", "guard_false", "guard_class", "guard_value", "guard_nonnull"])).toContain(op);
    }
  });
});
