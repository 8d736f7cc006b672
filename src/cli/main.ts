/**
 * @fileoverview The `tsjit` command.
 *
 *     tsjit run <interpreter> <program> [--no-jit] [--threshold N] [--log FILE] [--stats]
 *                                       [--log-js FILE] [--jit-param name=value[,name=value…]]
 *                                       [-- guest args]
 *     tsjit check <interpreter>
 *
 * `<interpreter>` is the name of a folder of `interpreters/` (its `interp.ts` is the
 * entry module) or a path to an entry module. The entry module exports
 * `main(source: string, args: string[]): number | void`. Every bad input (a flag, a
 * missing file, an interpreter outside the subset, a guest error) is a message and a
 * non-zero exit status, never a stack trace.
 */

import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { translate } from "../interp-dsl/translator.js";
import { TranslationError } from "../interp-dsl/subset.js";
import { GuestError, OutputClosed, flush } from "../interp-dsl/io.js";
import { DEFAULT_PARAMS, type JitParams } from "../tracer/engine.js";
import { loadInterpreter } from "../tracer/loader.js";
import { ALL_PASSES } from "../optimizer/pipeline.js";
import { MAX_TREES } from "../backend/compile.js";

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const USAGE = `usage:
  tsjit run <interpreter> <program> [--no-jit] [--threshold N] [--log FILE] [--stats]
                                    [--log-js FILE] [--jit-param name=value,...] [-- guest args...]
  tsjit check <interpreter>

<interpreter> is a folder name under interpreters/ (e.g. bf) or a path to an entry module.
jit params: threshold, bridge_threshold, inline_after, tree_limit, trace_limit, inline_depth, inlining, share_bridges, share_code, max_unroll_recursion, max_aborts, max_trees, enable_opts (e.g. enable_opts=${ALL_PASSES.join(":")})`;

class UsageError extends Error {}

interface RunOptions {
  interpreter: string;
  program: string;
  jit: boolean;
  params: JitParams;
  log: string | null;
  /** Where the JavaScript of every compiled function goes (--log-js). */
  logJs: string | null;
  stats: boolean;
  guestArgs: string[];
}

function parseInt10(flag: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs a non-negative integer, got ${v === undefined ? "nothing" : `'${v}'`}`);
  return Number(v);
}

function applyJitParam(params: JitParams, spec: string): void {
  for (const part of spec.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new UsageError(`--jit-param expects name=value, got '${part}'`);
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    switch (name) {
      case "threshold":
        params.threshold = Math.max(1, parseInt10(name, value));
        break;
      case "trace_limit":
        params.traceLimit = parseInt10(name, value);
        break;
      case "inline_depth":
        params.inlineDepthLimit = parseInt10(name, value);
        break;
      case "inline_after":
        params.inlineAfter = Math.max(1, parseInt10(name, value));
        break;
      case "tree_limit":
        params.treeLimit = parseInt10(name, value);
        break;
      case "bridge_threshold":
        params.bridgeThreshold = Math.max(1, parseInt10(name, value));
        break;
      case "max_aborts":
        params.maxAborts = Math.max(1, parseInt10(name, value));
        break;
      case "inlining":
      case "share_bridges":
      case "share_code":
        if (value !== "0" && value !== "1") throw new UsageError(`${name} needs 0 or 1, got '${value}'`);
        if (name === "inlining") params.inlining = value === "1";
        else if (name === "share_bridges") params.shareBridges = value === "1";
        else params.shareCode = value === "1";
        break;
      case "max_unroll_recursion":
        params.maxUnrollRecursion = parseInt10(name, value);
        break;
      case "max_trees":
        params.maxTrees = Math.min(MAX_TREES, Math.max(2, parseInt10(name, value)));
        break;
      case "enable_opts": {
        const passes = value === "" ? [] : value.split(":");
        for (const p of passes) if (!ALL_PASSES.includes(p)) throw new UsageError(`unknown optimization pass '${p}' (known: ${ALL_PASSES.join(", ")})`);
        params.enableOpts = ALL_PASSES.filter((p) => passes.includes(p));
        break;
      }
      default:
        throw new UsageError(`unknown jit parameter '${name}'`);
    }
  }
}

function parseRun(argv: string[]): RunOptions {
  const params: JitParams = { ...DEFAULT_PARAMS };
  const positional: string[] = [];
  let jit = true;
  let log: string | null = null;
  let logJs: string | null = null;
  let stats = false;
  let guestArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      guestArgs = argv.slice(i + 1);
      break;
    } else if (a === "--no-jit") jit = false;
    else if (a === "--stats") stats = true;
    else if (a === "--threshold") params.threshold = Math.max(1, parseInt10(a, argv[++i]));
    else if (a === "--log" || a === "--log-js") {
      const file = argv[++i];
      if (!file) throw new UsageError(`${a} needs a file name`);
      if (a === "--log") log = file;
      else logJs = file;
    } else if (a === "--jit-param") {
      const spec = argv[++i];
      if (!spec) throw new UsageError("--jit-param needs name=value");
      applyJitParam(params, spec);
    } else if (a.startsWith("-")) throw new UsageError(`unknown option '${a}'`);
    else positional.push(a);
  }
  if (positional.length !== 2) throw new UsageError("run needs an interpreter and a program");
  return { interpreter: positional[0]!, program: positional[1]!, jit, params, log, logJs, stats, guestArgs };
}

/** The entry module of an interpreter given by name or path. */
export function interpreterEntry(spec: string): string {
  if (/^[\w-]+$/.test(spec)) {
    const byName = join(PACKAGE_ROOT, "interpreters", spec, "interp.ts");
    if (existsSync(byName)) return byName;
  }
  const path = resolve(spec);
  if (!existsSync(path)) throw new UsageError(`no interpreter '${spec}' (not a folder of interpreters/ nor a file)`);
  return path;
}

async function run(o: RunOptions): Promise<number> {
  if (!existsSync(o.program)) throw new UsageError(`program not found: ${o.program}`);
  const source = readFileSync(o.program, "utf8");
  const translation = await translate(interpreterEntry(o.interpreter));
  const appender = (file: string | null): ((s: string) => void) | null => {
    if (!file) return null;
    writeFileSync(file, "");
    return (s) => appendFileSync(file, s + "\n");
  };
  const loaded = await loadInterpreter(translation, o.jit ? o.params : null, appender(o.log), appender(o.logJs));
  const main = loaded.entry["main"];
  if (typeof main !== "function") throw new UsageError(`${o.interpreter}: the entry module does not export a main(source, args) function`);
  let status = 0;
  try {
    const r = (main as (s: string, a: string[]) => unknown)(source, o.guestArgs);
    status = typeof r === "number" ? r : 0;
  } finally {
    flush();
    if (o.stats) process.stderr.write(loaded.engine ? loaded.engine.stats.report() : "tsjit stats: the JIT is off\n");
  }
  return status;
}

/** Runs the command line; returns the exit status. */
export async function cli(argv: string[]): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (cmd === "run") return await run(parseRun(rest));
    if (cmd === "check") {
      if (rest.length !== 1) throw new UsageError("check needs an interpreter");
      const t = await translate(interpreterEntry(rest[0]!));
      process.stdout.write(`ok: ${t.unit.codes.length} jitcodes, portal ${t.unit.portal?.name ?? "none"}\n`);
      return 0;
    }
    if (cmd === "--help" || cmd === "-h" || cmd === "help") {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    throw new UsageError(cmd ? `unknown command '${cmd}'` : "no command given");
  } catch (e) {
    if (e instanceof OutputClosed) return 141;
    try {
      flush();
    } catch (closed) {
      if (closed instanceof OutputClosed) return 141;
      throw closed;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`tsjit: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof TranslationError) {
      process.stderr.write(`tsjit: the interpreter cannot be translated:\n${e.message}\n`);
      return 3;
    }
    if (e instanceof GuestError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    if (e instanceof RangeError && /call stack/.test(e.message)) {
      process.stderr.write(`error: stack overflow in the guest program\n`);
      return 1;
    }
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(`tsjit: internal error: ${msg}\n(set TSJIT_DEBUG=1 for a stack trace)\n`);
    if (process.env["TSJIT_DEBUG"] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 70;
  }
}
