/**
 * @fileoverview Differential fuzzing of the whole JIT on Tiny programs: random
 * programs (`tiny-gen.ts`) must print exactly the same stdout and stderr and exit with
 * the same status without the JIT (`--no-jit`), with every loop traced at once
 * (`--threshold 1`) and with loops traced after a few iterations and bridges after two
 * failures of a guard (`--threshold 3 --jit-param bridge_threshold=2`). A run-time error
 * (division by zero, say) is fine as long as every configuration reports it the same.
 *
 * Deterministic: program k uses seed FIRST_SEED + k. Programs run as child processes,
 * several at once; each is written to a temporary folder. To reproduce a failure,
 * `TINY_FUZZ_SEED=<seed> TINY_FUZZ_COUNT=1 npx vitest run test/fuzz/tiny-fuzz.test.ts`
 * (the report also prints the program); `FUZZ_VERBOSE=1` also reports how many
 * programs ended normally and how many traces and bridges `--threshold 1` compiled.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, ROOT, runCli } from "../helpers.js";
import { generateTinyProgram } from "./tiny-gen.js";

const FIRST_SEED = Number(process.env.TINY_FUZZ_SEED ?? 7001);
const COUNT = Number(process.env.TINY_FUZZ_COUNT ?? 50);
const VERBOSE = !!process.env.FUZZ_VERBOSE;

/** The configurations compared; the first is the reference. */
const CONFIGS: readonly (readonly string[])[] = [["--no-jit"], ["--threshold", "1"], ["--threshold", "3", "--jit-param", "bridge_threshold=2"]];

/** A run that takes longer is killed (a JIT bug may loop forever); healthy ones take well under a second. */
const RUN_TIMEOUT_MS = 60_000;

/**
 * Seeds whose programs hit a known JIT bug (with the bug); they are skipped, and each
 * bug has a minimized reproducer as an `it.fails`. Empty today.
 */
const KNOWN_BUG_SEEDS: Readonly<Record<number, string>> = {};

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `tsjit run tiny <path> <args>` in a child process, killed after RUN_TIMEOUT_MS. */
function runTiny(path: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "run", "tiny", path, ...args], { cwd: ROOT });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let killed = false;
    const timer = setTimeout(() => ((killed = true), child.kill("SIGKILL")), RUN_TIMEOUT_MS);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("close", (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString() + (killed ? `[killed after ${RUN_TIMEOUT_MS} ms]` : "");
      resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString(), stderr });
    });
    child.stdin.end();
  });
}

/** Where two outputs first differ, with a little context. */
function firstDifference(a: string, b: string): string {
  const la = a.split("\n");
  const lb = b.split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: ${JSON.stringify(la[i] ?? "(end)")} vs ${JSON.stringify(lb[i] ?? "(end)")}`;
  }
  return "(identical)";
}

// Translate once up front so the concurrent runs below all hit the cache.
runCli(["check", "tiny"]);

const dir = mkdtempSync(join(tmpdir(), "tsjit-tiny-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const summary = { ok: 0, errors: new Map<string, number>(), traces: 0, bridges: 0, guardFailures: 0 };

describe.concurrent("tiny fuzz: every configuration prints and exits as --no-jit does", () => {
  for (let k = 0; k < COUNT; k++) {
    const seed = FIRST_SEED + k;
    const test = KNOWN_BUG_SEEDS[seed] ? it.skip : it;
    test(`program ${seed}`, { timeout: 4 * RUN_TIMEOUT_MS }, async () => {
      const source = generateTinyProgram(seed);
      const path = join(dir, `fuzz-${seed}.tiny`);
      writeFileSync(path, source);
      // One configuration after the other: the programs themselves run concurrently.
      const runs: Run[] = [];
      for (const cfg of CONFIGS) runs.push(await runTiny(path, cfg));
      const reference = runs[0]!;
      expect(reference.stderr, `seed ${seed}: the generated program did not end without the JIT\n${source}`).not.toContain("[killed after");
      const problems: string[] = [];
      for (let c = 1; c < CONFIGS.length; c++) {
        const r = runs[c]!;
        const what: string[] = [];
        if (r.status !== reference.status) what.push(`status ${r.status} instead of ${reference.status}`);
        if (r.stdout !== reference.stdout) what.push(`stdout differs at ${firstDifference(reference.stdout, r.stdout)}`);
        if (r.stderr !== reference.stderr) what.push(`stderr ${JSON.stringify(r.stderr.slice(0, 400))} instead of ${JSON.stringify(reference.stderr)}`);
        if (what.length > 0) problems.push(`seed ${seed}, ${CONFIGS[c]!.join(" ")}: ${what.join("; ")}`);
      }
      if (problems.length > 0) console.error(`${problems.join("\n")}\n--- program (tiny, seed ${seed}):\n${source}`);
      if (VERBOSE) {
        if (reference.status === 0) summary.ok++;
        else summary.errors.set(reference.stderr.trim(), (summary.errors.get(reference.stderr.trim()) ?? 0) + 1);
        const stats = (await runTiny(path, ["--threshold", "1", "--stats"])).stderr;
        const m = /traces compiled:\s+(\d+) \(.* (\d+) bridge\)/.exec(stats);
        summary.traces += Number(m?.[1] ?? 0);
        summary.bridges += Number(m?.[2] ?? 0);
        summary.guardFailures += Number(/guard failures:\s+(\d+)/.exec(stats)?.[1] ?? 0);
      }
      expect(problems).toEqual([]);
    });
  }
});

describe.runIf(VERBOSE)("tiny fuzz: coverage (FUZZ_VERBOSE)", () => {
  it("summary", () => {
    console.log(
      `programs: ${COUNT}, ended normally: ${summary.ok}, errors: ${JSON.stringify([...summary.errors])}\n` +
        `--threshold 1: traces compiled ${summary.traces} (bridges ${summary.bridges}), guard failures ${summary.guardFailures}`,
    );
  });
});
