/**
 * @fileoverview Shared helpers of the test suite: running the `tsjit` CLI in a fresh
 * process, and locating the repository, its examples and the shared corpus.
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { TranslationError } from "../dist/interp-dsl/subset.js";
import { translate } from "../dist/interp-dsl/translator.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CORPUS = resolve(ROOT, "../shared/corpus");
export const CLI = join(ROOT, "bin", "tsjit.js");

/**
 * The configurations every guest program is run in by the differential tests: the JIT
 * off, and on at thresholds 1, 2 and 3 (nearly every loop traced, early and often), 50
 * and the default (the usual regime).
 */
export const DIFFERENTIAL_CONFIGS: readonly (readonly string[])[] = [
  ["--no-jit"],
  ["--threshold", "1"],
  ["--threshold", "2"],
  ["--threshold", "3"],
  ["--threshold", "50"],
  [],
];

export interface CliResult {
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs `tsjit <args>` with `stdin` as its standard input. */
export function runCli(args: readonly string[], stdin: Buffer | string = ""): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { input: stdin, maxBuffer: 1 << 28, cwd: ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** A guest program with its expected output and optional input. */
export interface GuestProgram {
  readonly name: string;
  readonly path: string;
  readonly input: Buffer;
  readonly expected: Buffer;
}

/** Programs `*.<ext>` of `dir` that have a `.out` file next to them. */
export function programsIn(dir: string, ext: string): GuestProgram[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(`.${ext}`) && existsSync(join(dir, f.slice(0, -ext.length) + "out")))
    .sort()
    .map((f) => {
      const base = join(dir, f.slice(0, -ext.length));
      return {
        name: f,
        path: join(dir, f),
        input: existsSync(base + "in") ? readFileSync(base + "in") : Buffer.alloc(0),
        expected: readFileSync(base + "out"),
      };
    });
}

/** An error program: `NAME.tiny`, its exact stderr `NAME.err`, and its stdout `NAME.out` (empty if absent). */
export interface ErrorProgram {
  readonly name: string;
  readonly path: string;
  readonly stderr: string;
  readonly stdout: string;
}

/** The error programs `*.<ext>` of `dir`, each with its `.err` file. */
export function errorPrograms(dir: string, ext = "tiny"): ErrorProgram[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(`.${ext}`))
    .sort()
    .map((f) => {
      const base = join(dir, f.slice(0, -ext.length - 1));
      return {
        name: f,
        path: join(dir, f),
        stderr: readFileSync(base + ".err", "utf8"),
        stdout: existsSync(base + ".out") ? readFileSync(base + ".out", "utf8") : "",
      };
    });
}

/**
 * `runCli` without blocking, so a test file can run several programs at once. With
 * `timeoutMs`, a run that takes longer is killed (a test timeout alone would leave the
 * process running): its status is -1 and its stderr ends with `[killed after N ms]`.
 */
export function runCliAsync(args: readonly string[], stdin: Buffer | string = "", timeoutMs?: number): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let killed = false;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => ((killed = true), child.kill("SIGKILL")), timeoutMs);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("close", (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString() + (killed ? `[killed after ${timeoutMs} ms]` : "");
      resolvePromise({ status: code ?? -1, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.end(stdin);
  });
}

/** The message with which the translator rejects the interpreter `file` (a TranslationError); throws if it accepts it. */
export async function rejection(file: string): Promise<string> {
  try {
    await translate(file);
  } catch (e) {
    expect(e).toBeInstanceOf(TranslationError);
    return (e as Error).message;
  }
  throw new Error("expected the translator to reject the interpreter");
}

/**
 * Runs `tsjit run ...args` in each of `configs` (the first is the reference, usually
 * `--no-jit`) and checks that every run prints what the first printed, with nothing on
 * stderr; the first must exit 0 and print text of the form `shape`. `label` starts each
 * failure message.
 */
export async function expectSameOutput(args: readonly string[], configs: readonly (readonly string[])[], shape: RegExp, label = ""): Promise<void> {
  const runs = await Promise.all(configs.map((c) => runCliAsync(["run", ...args, ...c])));
  const expected = runs[0]!;
  expect(expected.status).toBe(0);
  expect(expected.stdout.toString()).toMatch(shape);
  runs.forEach((r, i) => {
    expect(r.stderr, `${label}${configs[i]!.join(" ")}`).toBe("");
    expect(r.stdout.toString(), `${label}${configs[i]!.join(" ")}`).toBe(expected.stdout.toString());
  });
}
