/**
 * @fileoverview Golden traces: the optimized traces of a few example programs, kept as
 * text in `traces/bf/` and reviewed in diffs. A change to the tracer or the optimizer
 * that changes them fails this test; `npm run traces:update` rewrites them.
 *
 * Also checks the promise of the meta-tracing approach on the simplest loop: in the
 * optimized trace of `[->+<]` nothing reads the BF program or the pc — the dispatch on
 * the green pc was folded away — and what is left is tape access, arithmetic, guards.
 * And what heap caching and loop peeling buy on Mandelbrot.b's hottest loop (when the
 * shared corpus is there): inside the loop body the tape's array and position are never
 * reloaded, and the loop body stores nothing: the guards' resume data write the position.
 *
 * Tiny's golden traces are in `traces/tiny/`: its integer loop, with the frame
 * virtualizable, touches neither the frame's value stack nor its stack pointer (nor, in a
 * function, its locals) inside the loop body; the same for its float loop and for a loop
 * that builds a record every iteration, which moreover allocate nothing there.
 */

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS, ROOT, runCli } from "./helpers.js";

const UPDATE = process.env["UPDATE_TRACES"] === "1";
const PROGRAMS = ["add", "hello", "wrap"];
const THRESHOLD = "50";

/**
 * The optimized traces of a run's log, each a block of text, without the guards' exit
 * numbers (`# g12`): those count every guard the engine compiled before, so they would
 * make a golden trace change whenever an earlier trace does.
 */
function optimizedTraces(log: string): string[] {
  const blocks: string[] = [];
  let current: string[] | null = null;
  for (const line of log.split("\n")) {
    if (line.startsWith("# ")) {
      if (current) blocks.push(current.join("\n"));
      current = line.includes("(optimized)") ? [line] : null;
    } else if (current && line !== "") current.push(line.replace(/ # g\d+$/, ""));
  }
  if (current) blocks.push(current.join("\n"));
  return blocks;
}

function traceLog(program: string, threshold: string, dir = join(ROOT, "interpreters/bf/examples"), interpreter = "bf", ext = "b"): string {
  const log = join(mkdtempSync(join(tmpdir(), "tsjit-log-")), "trace.log");
  const path = join(dir, `${program}.${ext}`);
  const inputPath = join(dir, `${program}.in`);
  const input = existsSync(inputPath) ? readFileSync(inputPath) : "";
  const r = runCli(["run", interpreter, path, "--threshold", threshold, "--log", log], input);
  expect(r.status).toBe(0);
  return readFileSync(log, "utf8");
}

describe("golden optimized traces (traces/bf)", () => {
  for (const p of PROGRAMS) {
    it(`${p}.b`, () => {
      const text = optimizedTraces(traceLog(p, THRESHOLD)).join("\n\n") + "\n";
      matchGolden(text, `bf/${p}.trace`);
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

/**
 * Mandelbrot.b's hottest loop: the BF loop whose body starts at pc 861 (`[>>>>>>>>>]`,
 * 26.5 million back jumps, found by counting them in a plain run).
 */
const MANDELBROT = join(CORPUS, "bf", "Mandelbrot.b");
const HOTTEST = "pc=861 ";

describe.skipIf(!existsSync(MANDELBROT))("Mandelbrot.b's hottest loop", () => {
  it("matches its golden trace, and its body keeps the tape in locals and stores nothing", { timeout: 300_000 }, () => {
    const traces = optimizedTraces(traceLog("Mandelbrot", THRESHOLD, join(CORPUS, "bf")));
    const loop = traces.find((t) => t.split("\n")[0]!.startsWith(`# loop bf: ${HOTTEST}`));
    expect(loop, traces.map((t) => t.split("\n")[0]).join("\n")).toBeDefined();
    matchGolden(loop + "\n", "bf/Mandelbrot-hottest.trace");
    const lines = loop!.split("\n");
    const bodyStart = lines.findIndex((l) => /^label\(.*descr=Loop\d+\.body\)$/.test(l));
    expect(bodyStart, "the loop is peeled").toBeGreaterThan(0);
    const body = lines.slice(bodyStart + 1).map((l) => l.replace(/ \[.*$/, "")); // ops without resume data
    expect(body.filter((l) => /getfield\(.*descr=Tape\.(cells|pos)\)/.test(l))).toEqual([]);
    // No store at all: the position is written by the guards' resume data only.
    expect(body.filter((l) => /^set(field|arrayitem)\(/.test(l))).toEqual([]);
  });
});

/** The ops of a peeled loop's body (after its `LoopN.body` label), without resume data. */
function loopBody(trace: string): string[] {
  const lines = trace.split("\n");
  const at = lines.findIndex((l) => /^label\(.*descr=Loop\d+\.body\)$/.test(l));
  expect(at, `the loop is peeled:\n${trace}`).toBeGreaterThan(0);
  return lines.slice(at + 1).map((l) => l.replace(/ \[.*$/, ""));
}

/** Checks `text` against the golden file `traces/<name>` (rewriting it with UPDATE_TRACES=1). */
function matchGolden(text: string, name: string): void {
  const golden = join(ROOT, "traces", name);
  if (UPDATE || !existsSync(golden)) writeFileSync(golden, text);
  expect(text).toBe(readFileSync(golden, "utf8"));
}

/** The one optimized loop of `log` whose header starts with `prefix`, checked against its golden file. */
function goldenLoop(log: string, prefix: string, name: string): string {
  const loops = optimizedTraces(log).filter((t) => t.startsWith(prefix));
  expect(loops).toHaveLength(1);
  matchGolden(loops[0]! + "\n", name);
  return loops[0]!;
}

describe("golden optimized traces (traces/tiny)", () => {
  const TINY = join(ROOT, "interpreters/tiny/examples");
  it("intloop.tiny: the loop bodies keep the frame's stack, stack pointer and locals in trace values", { timeout: 120_000 }, () => {
    const traces = optimizedTraces(traceLog("intloop", THRESHOLD, TINY, "tiny", "tiny"));
    matchGolden(traces.join("\n\n") + "\n", "tiny/intloop.trace");
    const loops = traces.filter((t) => t.startsWith("# loop "));
    // The top level's variables that no function reads are locals of its frame (see
    // interpreters/tiny/compiler.ts), so both loops read LOAD_LOCAL.
    expect(loops.map((t) => t.split("\n")[0])).toEqual(["# loop tiny: <module>:6 LOAD_LOCAL 1 (optimized)", "# loop tiny: sum_below:4 LOAD_LOCAL 1 (optimized)"]);
    for (const loop of loops) {
      const body = loopBody(loop);
      expect(body.filter((l) => /descr=Frame\./.test(l)), loop).toEqual([]);
      // The locals are the frame's: no array is read or written at all,
      expect(body.filter((l) => /(getarrayitem|setarrayitem)\(/.test(l)), loop).toEqual([]);
      // nor is any box allocated: virtualize removes every W_Int.
      expect(body.filter((l) => /\bnew\(/.test(l)), loop).toEqual([]);
    }
  });

  it("objloop.tiny: the record built every iteration, its slots and its boxes are never allocated", { timeout: 120_000 }, () => {
    const log = traceLog("objloop", THRESHOLD, TINY, "tiny", "tiny");
    // The record's slots array is allocated in the trace (new_array), not by a residual call.
    expect(log).toMatch(/new_array\(0, undefined, descr=Array<W_Root>\)/);
    expect(log).not.toMatch(/descr=array literal/);
    const loop = goldenLoop(log, "# loop tiny: sum_points:", "tiny/objloop-sum_points.trace");
    // The previous iteration's record (still in local p when the next one starts) is
    // virtual on both sides of the back edge: the loop is peeled twice (see unroll.ts).
    const body = loopBody(loop);
    expect(body.filter((l) => /\bnew(_array)?\(|descr=Frame\.|(getarrayitem|setarrayitem|getfield|setfield)\(|call/.test(l))).toEqual([]);
    // What is left is the guest's own work: i < n, i * 2, s + p.x + p.y, i + 1, and checks.
    expect(body.filter((l) => /num_mul\(/.test(l))).toHaveLength(1);
  });

  it("floatloop.tiny: the loop in a function allocates no box and touches no frame", { timeout: 120_000 }, () => {
    const harmonic = goldenLoop(traceLog("floatloop", THRESHOLD, TINY, "tiny", "tiny"), "# loop tiny: harmonic:", "tiny/floatloop-harmonic.trace");
    const body = loopBody(harmonic);
    expect(body.filter((l) => /\bnew\(|descr=Frame\.|(getarrayitem|setarrayitem)\(/.test(l))).toEqual([]);
    // What is left is the guest's own work: h + 1.0 / k, k + 1 and the checks.
    expect(body.filter((l) => /num_div\(/.test(l))).toHaveLength(1);
  });
});
