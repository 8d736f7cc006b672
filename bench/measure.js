/**
 * @fileoverview One timed run: spawn a fresh process, feed it the program's input,
 * time it from spawn to exit, and check its stdout against the expected output. A run
 * that exits non-zero, times out or prints the wrong output is a failure, never a time.
 * And how the bench scripts start tsjit.
 */

import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BenchError, ROOT, splitWords } from "./cli.js";

/**
 * How to start tsjit: as `npx tsjit` does, `node` with the node flags of bin/tsjit.js's
 * `#!/usr/bin/env -S node …` line (this node, so the measured Node is the one running
 * the bench), or the words of $TSJIT_BENCH_CMD.
 * @returns {string[]}
 */
export function tsjitCommand() {
  const env = process.env.TSJIT_BENCH_CMD;
  const bin = join(ROOT, "bin/tsjit.js");
  if (env === undefined || env.trim() === "") return [process.execPath, ...shebangNodeFlags(bin), bin];
  try {
    return splitWords(env);
  } catch (e) {
    throw new BenchError(`TSJIT_BENCH_CMD: ${e.message}`);
  }
}

/** The words after `node` in a `#!/usr/bin/env -S node …` first line (none for any other line). */
function shebangNodeFlags(script) {
  const first = readFileSync(script, "utf8").split("\n", 1)[0];
  const m = /^#!\/usr\/bin\/env -S node((?:\s+\S+)*)\s*$/.exec(first);
  return m ? m[1].trim().split(/\s+/).filter((w) => w !== "") : [];
}

/**
 * @typedef {{ok: true, seconds: number} | {ok: false, reason: string}} RunResult
 */

/**
 * @param {string[]} command  program and arguments
 * @param {object} o
 * @param {string|null} o.input     file fed as stdin (null: empty stdin)
 * @param {Buffer|null} o.expected  expected stdout (null: not checked)
 * @param {string} o.cwd
 * @param {number} o.timeout  seconds
 * @returns {RunResult}
 */
export function runOnce(command, { input, expected, cwd, timeout }) {
  const stdin = input ? openSync(input, "r") : "ignore";
  let r;
  const start = process.hrtime.bigint();
  try {
    r = spawnSync(command[0], command.slice(1), {
      cwd,
      stdio: [stdin, "pipe", "pipe"],
      maxBuffer: 1 << 28,
      timeout: timeout * 1000,
      killSignal: "SIGKILL",
    });
  } finally {
    if (typeof stdin === "number") closeSync(stdin);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stderr = r.stderr ? tail(r.stderr.toString("utf8")) : "";
  if (r.error) {
    const why = r.error.code === "ETIMEDOUT" ? `timed out after ${timeout} s` : `could not run ${command[0]}: ${r.error.message}`;
    return { ok: false, reason: why + stderr };
  }
  if (r.status !== 0) return { ok: false, reason: `exit ${r.signal ? `signal ${r.signal}` : `status ${r.status}`}${stderr}` };
  if (expected && !r.stdout.equals(expected)) return { ok: false, reason: describeMismatch(r.stdout, expected) + stderr };
  return { ok: true, seconds };
}

/** Reads an expected-output file, or null. */
export function readExpected(path) {
  return path ? readFileSync(path) : null;
}

function describeMismatch(got, want) {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  const show = (b) => JSON.stringify(b.subarray(i, i + 20).toString("latin1"));
  return `wrong output: differs at byte ${i} (got ${got.length} bytes, expected ${want.length}); got ${show(got)}, expected ${show(want)}`;
}

function tail(s) {
  const lines = s.trimEnd().split("\n").slice(-5).join("\n      ");
  return lines ? `\n      stderr: ${lines}` : "";
}
