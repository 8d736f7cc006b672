#!/usr/bin/env node
/**
 * @fileoverview The benchmark harness: how fast does a tsjit interpreter run real guest
 * programs with the JIT on, with it off, and how does that compare to the same program
 * compiled by gcc -O2?
 *
 * What is measured: the wall time of a whole fresh process, `node <flags> bin/tsjit.js
 * run <interp> <program> [--no-jit]` (the flags of bin/tsjit.js's shebang line, as
 * `npx tsjit` runs it), from spawn to exit — start-up, translation, warm-up,
 * tracing and compiling included, since that is what a user waits for. Every run is a new
 * process so no run inherits another's warmed-up JIT, heap or inline caches. Configs are
 * interleaved (run 1 of every config, then run 2 of every config, …) so slow drifts of
 * the machine hit all configs alike; one untimed warm-up round comes first (disk cache,
 * gcc build). The median of N runs is reported, with the spread so that a noisy number
 * shows itself. Every run's stdout is checked against the program's .out file: a wrong
 * answer or a crash is a loud failure (exit status 1), never a time.
 *
 *     node bench/run.js <suite> [--runs N] [--json FILE] [--programs a,b]
 *                               [--jit-args "..."] [--configs "name=args;..."]
 *                               [--ablation | --no-ablation]
 *
 * See bench/README.md.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, platform, release } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { BenchError, ROOT, USAGE, parseArgs, resultsFile, runScript } from "./cli.js";
import { runOnce, readExpected, tsjitCommand } from "./measure.js";
import { buildNative, gccVersion } from "./native.js";
import { formatProgram } from "./report.js";
import { ratio, summarize } from "./stats.js";
import { SUITES, resolvePrograms } from "./suites.js";

const BUILD_DIR = join(ROOT, "bench/build");
const NATIVE = "c -O2";
const PIPELINE = join(ROOT, "dist/optimizer/pipeline.js");

/**
 * The optimizer's passes, in pipeline order: `ALL_PASSES` of the built pipeline, so that
 * the ablation configs follow the optimizer as it is (a pass added there is ablated here).
 */
async function optimizerPasses() {
  const where = relative(ROOT, PIPELINE);
  if (!existsSync(PIPELINE)) throw new BenchError(`the ablation configs need the built optimizer, and ${where} is missing: run npm run build first`);
  let passes;
  try {
    ({ ALL_PASSES: passes } = await import(pathToFileURL(PIPELINE).href));
  } catch (e) {
    throw new BenchError(`could not load ${where} (${e?.message ?? e}): run npm run build first`);
  }
  if (!Array.isArray(passes) || passes.length === 0) throw new BenchError(`${where} exports no ALL_PASSES list: run npm run build first`);
  return passes;
}

/** One JIT config per pass p, named `-p`: every pass but p. */
function ablationConfigs(passes) {
  return passes.map((p) => ({ name: `-${p}`, args: ["--jit-param", `enable_opts=${passes.filter((q) => q !== p).join(":")}`] }));
}

/**
 * The configs, in table order: nojit, jit, the ablation ones (`-<pass>`), the --configs
 * ones, then c -O2 if possible.
 */
function configsFor(suite, opts, gcc, ablation) {
  const configs = [
    { name: "nojit", kind: "tsjit", args: ["--no-jit"] },
    { name: "jit", kind: "tsjit", args: [...opts.jitArgs] },
    ...[...ablation, ...opts.configs].map((c) => ({ name: c.name, kind: "tsjit", args: [...c.args, ...opts.jitArgs] })),
  ];
  if (suite.toC && gcc) configs.push({ name: NATIVE, kind: "native", args: [] });
  const seen = new Set();
  for (const c of configs) {
    if (seen.has(c.name)) throw new BenchError(`--configs: config name '${c.name}' is used twice (nojit, jit and, with ablation, -<pass> are built in)`);
    seen.add(c.name);
  }
  return configs;
}

/** Runs every config of one program, interleaved; returns its JSON entry. */
function benchProgram(program, configs, ctx, failures) {
  const { suite, opts, cmd } = ctx;
  const expected = readExpected(program.expected);
  const entries = {};
  const commands = {};
  for (const c of configs) {
    entries[c.name] = { command: null, times: [], failed: null };
    if (c.kind === "tsjit") commands[c.name] = [...cmd, "run", suite.interpreter, program.path, ...c.args];
    else {
      const built = buildNative(suite.toC, program.path, BUILD_DIR);
      if (built.ok) commands[c.name] = [built.binary];
      else fail(c.name, "build", built.reason);
    }
    if (commands[c.name]) entries[c.name].command = commands[c.name].map(show);
  }
  function fail(name, when, reason) {
    entries[name].failed = `${when}: ${reason}`;
    failures.push(`${program.name} [${name}] ${when}: ${reason}`);
    process.stderr.write(`\nFAIL  ${program.name} [${name}] ${when}: ${reason}\n`);
    if (when !== "build") process.stderr.write(`${program.name} ${when} (continued):`);
  }

  for (let round = 0; round <= opts.runs; round++) {
    const label = round === 0 ? "warm-up" : `run ${round}/${opts.runs}`;
    process.stderr.write(`${program.name} ${label}:`);
    for (const c of configs) {
      if (entries[c.name].failed) continue;
      const r = runOnce(commands[c.name], { input: program.input, expected, cwd: ROOT, timeout: opts.timeout });
      if (!r.ok) fail(c.name, label, r.reason);
      else {
        if (round > 0) entries[c.name].times.push(r.seconds);
        process.stderr.write(`  ${c.name} ${r.seconds.toFixed(3)}s`);
      }
    }
    process.stderr.write("\n");
  }

  for (const e of Object.values(entries)) if (!e.failed) Object.assign(e, summarize(e.times));
  const med = (name) => entries[name]?.median ?? null;
  for (const e of Object.values(entries)) e.vsJit = ratio(e.median, med("jit"));
  return {
    name: program.name,
    path: program.path,
    input: program.input,
    expected: program.expected,
    configs: entries,
    ratios: { jitSpeedup: ratio(med("nojit"), med("jit")), vsGcc: ratio(med("jit"), med(NATIVE)) },
  };
}

/** A path or command word for display: relative when inside the repo, `node` for this node. */
function show(w) {
  if (w === process.execPath) return "node";
  return w.startsWith(ROOT + "/") ? relative(ROOT, w) : w;
}

function git(...args) {
  const r = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const suite = Object.hasOwn(SUITES, opts.suite) ? SUITES[opts.suite] : null;
  if (!suite) throw new BenchError(`unknown suite '${opts.suite}' (known: ${Object.keys(SUITES).join(", ")})`);
  const { dir, programs } = resolvePrograms(suite, ROOT, opts.programs);
  if (!programs) {
    process.stdout.write(`bench: the ${opts.suite} programs are not there (${dir}); skipping suite ${opts.suite}.\n`);
    return 0;
  }
  const ablation = (opts.ablation ?? suite.ablation ?? false) ? ablationConfigs(await optimizerPasses()) : [];
  const gcc = suite.toC ? gccVersion() : null;
  const configs = configsFor(suite, opts, gcc, ablation);
  const cmd = tsjitCommand();
  const date = new Date();
  const commit = git("rev-parse", "HEAD");
  const dirty = commit !== null && git("status", "--porcelain", "--untracked-files=no") !== "";

  const out = [`suite ${opts.suite}: interpreter ${suite.interpreter}, programs from ${dir}`];
  out.push(`node ${process.version}, ${cpus()[0]?.model ?? "unknown cpu"} x${cpus().length}, commit ${commit?.slice(0, 10) ?? "?"}${dirty ? " (dirty)" : ""}`);
  for (const c of configs) out.push(`  ${c.name.padEnd(12)} ${c.kind === "native" ? `bench/bf2c.js + ${gcc}, -O2` : [...cmd.map(show), "run", suite.interpreter, "<program>", ...c.args].join(" ")}`);
  if (suite.toC && !gcc) out.push(`  (no gcc on PATH: the ${NATIVE} baseline is skipped)`);
  process.stdout.write(out.join("\n") + "\n\n");

  const failures = [];
  const results = [];
  for (const program of programs) {
    const p = benchProgram(program, configs, { suite, opts, cmd }, failures);
    results.push(p);
    process.stdout.write(formatProgram(p, opts.runs) + "\n\n");
  }

  const json = {
    suite: opts.suite,
    interpreter: suite.interpreter,
    date: date.toISOString(),
    runs: opts.runs,
    warmup: 1,
    host: { node: process.version, platform: `${platform()} ${release()}`, cpu: cpus()[0]?.model ?? null, cpus: cpus().length, gcc },
    git: { commit, dirty },
    ablation: ablation.length > 0,
    configs: configs.map(({ name, kind, args }) => ({ name, kind, args })),
    programs: results,
    failures,
  };
  const file = opts.json ? resolve(opts.json) : resultsFile(opts.suite, date);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
  process.stdout.write(`results written to ${file}\n`);

  if (failures.length) {
    process.stderr.write(`\nbench: ${failures.length} FAILURE(S) — these configs have no time:\n${failures.map((f) => `  ${f}`).join("\n")}\n`);
    return 1;
  }
  return 0;
}

await runScript(main, "bench/run.js");
