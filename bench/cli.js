/**
 * @fileoverview Command-line flags of bench/run.js, and what the bench scripts (run.js,
 * optimizer.js) share as commands: the project's root, how a script runs as the process,
 * where its results go. Every bad flag is a BenchError, which a script prints as one
 * line (no stack trace) before exiting with status 1.
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project's root folder (the one holding bench/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export class BenchError extends Error {}

export const USAGE = `usage: node bench/run.js <suite> [options]     (npm run bench -- <suite> [options])

options:
  --runs N             timed runs per config and program (default 5; +1 untimed warm-up)
  --programs a,b       only these programs (names in the suite's folder; extension optional)
  --jit-args "..."     extra tsjit arguments for every JIT-on config (e.g. "--threshold 100")
  --configs "n=args;…" extra JIT configs, e.g. "no-rewrite=--jit-param enable_opts=pure:dce"
  --ablation           one extra JIT config per optimizer pass, named -<pass>, with that pass
                       switched off (needs dist/: npm run build); default for suite bf
  --no-ablation        no ablation configs, even for a suite that has them by default
  --json FILE          where to write the JSON results (default bench/results/<suite>-<date>.json)
  --timeout S          seconds before a run is killed and counted as a failure (default 600)
  --help               this text

environment:
  TSJIT_BENCH_CMD      command to use instead of "node <flags of bin/tsjit.js's shebang> bin/tsjit.js"
                       (split on spaces)`;

/**
 * Splits a string into words like a shell would for the simple cases: whitespace
 * separates, '…' and "…" group (no escapes, no variables).
 * @param {string} s
 * @returns {string[]}
 */
export function splitWords(s) {
  const words = [];
  const re = /"([^"]*)"|'([^']*)'|([^\s"']+)|(\s+)/y;
  let word = null;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) throw new BenchError(`unbalanced quote in '${s}'`);
    if (m[4] !== undefined) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? "") + (m[1] ?? m[2] ?? m[3]);
  }
  if (word !== null) words.push(word);
  return words;
}

/**
 * Parses "name=args;name2=args" into extra JIT configs.
 * @param {string} spec
 * @returns {{name: string, args: string[]}[]}
 */
function parseConfigs(spec) {
  const configs = [];
  for (const part of spec.split(";")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    const name = (eq < 0 ? "" : part.slice(0, eq)).trim();
    if (!/^[\w.:+-]+$/.test(name)) throw new BenchError(`--configs: expected name=args, got '${part}'`);
    configs.push({ name, args: splitWords(part.slice(eq + 1)) });
  }
  if (configs.length === 0) throw new BenchError("--configs: no config given");
  return configs;
}

/**
 * @param {string[]} argv  process.argv.slice(2)
 * @returns {{help: boolean, suite: string, runs: number, json: string|null,
 *   programs: string[]|null, jitArgs: string[], configs: {name: string, args: string[]}[],
 *   timeout: number, ablation: boolean|null}}  ablation null: the suite's default
 */
export function parseArgs(argv) {
  const o = { help: false, suite: "", runs: 5, json: null, programs: null, jitArgs: [], configs: [], timeout: 600, ablation: null };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new BenchError(`${flag} needs a value`);
      return v;
    };
    const positiveInt = () => {
      const v = value();
      if (!/^[1-9]\d*$/.test(v)) throw new BenchError(`${flag} needs a positive integer, got '${v}'`);
      return Number(v);
    };
    if (flag === "--help" || flag === "-h") o.help = true;
    else if (flag === "--runs") o.runs = positiveInt();
    else if (flag === "--timeout") o.timeout = positiveInt();
    else if (flag === "--json") o.json = value();
    else if (flag === "--programs") o.programs = value().split(",").filter((p) => p !== "");
    else if (flag === "--jit-args") o.jitArgs = splitWords(value());
    else if (flag === "--configs") o.configs.push(...parseConfigs(value()));
    else if (a === "--ablation") o.ablation = true;
    else if (a === "--no-ablation") o.ablation = false;
    else if (a.startsWith("-")) throw new BenchError(`unknown option '${a}'`);
    else positional.push(a);
  }
  if (o.help) return o;
  if (positional.length !== 1) throw new BenchError(positional.length ? `one suite expected, got ${positional.join(" ")}` : "no suite given");
  if (o.programs && o.programs.length === 0) throw new BenchError("--programs: no program given");
  o.suite = positional[0];
  return o;
}

/**
 * Runs a bench script's `main(argv)` as the process: its result is the exit status; a
 * BenchError is one line on stderr and status 1, anything else an internal error (its
 * stack with BENCH_DEBUG=1).
 * @param {(argv: string[]) => Promise<number>} main
 * @param {string} script  how to call it, for the hint to --help
 */
export async function runScript(main, script) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof BenchError) process.stderr.write(`bench: ${e.message}\n(node ${script} --help for usage)\n`);
    else process.stderr.write(`bench: internal error: ${e?.message ?? e}\n${process.env.BENCH_DEBUG ? e?.stack : "(set BENCH_DEBUG=1 for a stack trace)"}\n`);
    process.exitCode = 1;
  }
}

/**
 * The default results file of a run started at `date`: `bench/results/<name>-<date>.json`.
 * @param {string} name
 * @param {Date} date
 */
export function resultsFile(name, date) {
  return join(ROOT, "bench/results", `${name}-${date.toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z")}.json`);
}
