#!/usr/bin/env node
/**
 * @fileoverview The optimizer's own speed, measured in process with benchmark.js: how long
 * `optimize` takes over every trace a guest program makes the JIT record, and what each
 * pass adds to that (the pipeline with that pass switched off, as the ablation configs of
 * run.js do for the program's run time).
 *
 * Why: a JIT run pays for its optimizer during warm-up (Mandelbrot.b: some 230 ms of a
 * 2.8 s run, see docs/architecture.md), so its speed is part of the JIT's speed. A run's
 * `--stats` gives that time cold, mixed with V8 warming tsjit up; this gives it warm,
 * per pass, with benchmark.js's error margin, plus the first round cold (tsjit's code
 * not yet optimized by V8, as at the start of a run).
 *
 *     node bench/optimizer.js [<interpreter> <program>] [--log FILE] [--max-time S] [--json FILE]
 *
 * The traces: a fresh `tsjit run <interpreter> <program> --log` records them (default:
 * bf on ../shared/corpus/bf/Mandelbrot.b, or the project's own squares.b when the corpus
 * is not there), or `--log FILE` reads a log written before. The unoptimized traces of
 * the log are parsed back (the trace text format round-trips) and optimized as the JIT
 * would; what a trace was optimized with beyond its text (a bridge's known classes) is
 * not in the log, so the optimized op count may differ slightly from the run's.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Benchmark from "benchmark";
import { BenchError, ROOT, resultsFile, runScript } from "./cli.js";
import { tsjitCommand } from "./measure.js";
const USAGE = `usage: node bench/optimizer.js [<interpreter> <program>] [options]

options:
  --log FILE      read the traces from a log of \`tsjit run … --log FILE\` instead of running
  --max-time S    seconds benchmark.js spends on each config (default 3)
  --json FILE     where the JSON goes (default bench/results/optimizer-<date>.json)
  --help          this text`;

/** @returns {{interpreter: string, program: string|null, log: string|null, maxTime: number, json: string|null} | null} null for --help */
function parseArgs(argv) {
  const opts = { interpreter: "bf", program: null, log: null, maxTime: 3, json: null };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new BenchError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--help") return null;
    else if (a === "--log") opts.log = value();
    else if (a === "--json") opts.json = value();
    else if (a === "--max-time") {
      opts.maxTime = Number(value());
      if (!(opts.maxTime > 0)) throw new BenchError(`--max-time needs a positive number of seconds`);
    } else if (a.startsWith("--")) throw new BenchError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length === 1 || positional.length > 2) throw new BenchError("give an interpreter and a program, or neither");
  if (positional.length === 2) [opts.interpreter, opts.program] = positional;
  if (opts.log && positional.length) throw new BenchError("--log reads traces already recorded: give no program with it");
  return opts;
}

/** The log of a fresh run of `program` on `interpreter` with the JIT on. */
function recordLog(interpreter, program) {
  const dir = mkdtempSync(join(tmpdir(), "tsjit-optimizer-bench-"));
  const log = join(dir, "traces.log");
  const input = program.replace(/\.[^./]+$/, ".in");
  const command = [...tsjitCommand(), "run", interpreter, program, "--log", log];
  try {
    const r = spawnSync(command[0], command.slice(1), {
      cwd: ROOT,
      input: existsSync(input) ? readFileSync(input) : "",
      stdio: ["pipe", "ignore", "pipe"],
      maxBuffer: 1 << 28,
    });
    if (r.error || r.status !== 0) throw new BenchError(`recording the traces failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr?.toString().trim() ?? ""}`);
    return readFileSync(log, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The unoptimized traces of a log, parsed. */
function tracesOf(text, parseTrace) {
  const traces = [];
  for (const part of text.split(/\n(?=# )/)) {
    const title = part.slice(0, part.indexOf("\n"));
    if (!/^# (loop|bridge|entry)\b/.test(title) || title.includes("(optimized)")) continue;
    try {
      traces.push(parseTrace(part));
    } catch (e) {
      throw new BenchError(`cannot parse the trace '${title.slice(2)}' of the log: ${e.message}`);
    }
  }
  if (traces.length === 0) throw new BenchError("the log holds no trace (did the program run long enough to get hot?)");
  return traces;
}

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts === null) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const load = (path) => import(pathToFileURL(join(ROOT, "dist", path)).href);
  if (!existsSync(join(ROOT, "dist/optimizer/pipeline.js"))) throw new BenchError("dist/ is missing: run npm run build first");
  const { optimize, ALL_PASSES } = await load("optimizer/pipeline.js");
  const { parseTrace } = await load("ir/parser.js");

  let source = opts.log;
  let text;
  if (opts.log) text = readFileSync(opts.log, "utf8");
  else {
    const corpus = resolve(ROOT, "../shared/corpus/bf/Mandelbrot.b");
    const program = opts.program ? resolve(opts.program) : existsSync(corpus) ? corpus : join(ROOT, "interpreters/bf/examples/squares.b");
    source = `${opts.interpreter} ${program}`;
    process.stdout.write(`recording the traces of ${source}\n`);
    text = recordLog(opts.interpreter, program);
  }
  const traces = tracesOf(text, parseTrace);
  const ops = traces.reduce((n, t) => n + t.ops.length, 0);
  process.stdout.write(`${traces.length} traces, ${ops} recorded ops\n`);

  const round = (enable) => {
    let out = 0;
    for (const t of traces) out += optimize(t, { enable }).ops.length;
    return out;
  };
  const t0 = performance.now();
  const optimizedOps = round(ALL_PASSES);
  const coldMs = performance.now() - t0;
  process.stdout.write(`first round (cold): ${coldMs.toFixed(1)} ms, ${optimizedOps} ops after optimization\n\n`);

  const configs = [{ name: "all passes", enable: ALL_PASSES }, ...ALL_PASSES.map((p) => ({ name: `-${p}`, enable: ALL_PASSES.filter((q) => q !== p) }))];
  const suite = new Benchmark.Suite();
  for (const c of configs) suite.add(c.name, () => round(c.enable), { maxTime: opts.maxTime });
  const results = [];
  suite.on("cycle", (event) => {
    const b = event.target;
    if (b.error) throw b.error;
    results.push({ name: b.name, meanMs: b.stats.mean * 1000, rmePercent: b.stats.rme, samples: b.stats.sample.length });
  });
  suite.run();

  const all = results[0];
  process.stdout.write(`warm, per round over every trace (benchmark.js, ${opts.maxTime} s per config):\n`);
  process.stdout.write(`  ${"config".padEnd(14)} ${"mean ms".padStart(9)} ${"±rme".padStart(7)} ${"samples".padStart(8)} ${"µs/op".padStart(7)} ${"pass ms".padStart(8)}\n`);
  for (const r of results) {
    const pass = r === all ? "" : (all.meanMs - r.meanMs).toFixed(1);
    process.stdout.write(`  ${r.name.padEnd(14)} ${r.meanMs.toFixed(1).padStart(9)} ${`${r.rmePercent.toFixed(1)}%`.padStart(7)} ${String(r.samples).padStart(8)} ${((r.meanMs * 1000) / ops).toFixed(2).padStart(7)} ${pass.padStart(8)}\n`);
  }
  process.stdout.write("  (pass ms: all passes minus the pipeline without it; later passes then see another trace, so it is an estimate)\n");

  const date = new Date();
  const file = opts.json ? resolve(opts.json) : resultsFile("optimizer", date);
  mkdirSync(dirname(file), { recursive: true });
  const json = { suite: "optimizer", date: date.toISOString(), source, node: process.version, traces: traces.length, ops, optimizedOps, coldMs, maxTime: opts.maxTime, results };
  writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
  process.stdout.write(`results written to ${file}\n`);
  return 0;
}

await runScript(main, "bench/optimizer.js");
