/**
 * @fileoverview The `c -O2` baseline: a suite's C translation of a program, compiled
 * with `gcc -O2` into bench/build/ (gitignored). Compile time is not measured.
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";

/** The first line of `gcc --version`, or null when gcc is not on PATH. */
export function gccVersion() {
  const r = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  return r.error || r.status !== 0 ? null : r.stdout.split("\n")[0];
}

/**
 * Translates and compiles one program.
 * @param {(source: string, name: string) => string} toC
 * @param {string} programPath
 * @param {string} buildDir
 * @returns {{ok: true, binary: string} | {ok: false, reason: string}}
 */
export function buildNative(toC, programPath, buildDir) {
  mkdirSync(buildDir, { recursive: true });
  const stem = join(buildDir, basename(programPath, extname(programPath)));
  try {
    writeFileSync(stem + ".c", toC(readFileSync(programPath, "latin1"), basename(programPath)));
  } catch (e) {
    return { ok: false, reason: `translation to C failed: ${e.message}` };
  }
  const r = spawnSync("gcc", ["-O2", "-o", stem, stem + ".c"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return { ok: false, reason: `gcc -O2 failed: ${r.error?.message ?? r.stderr.trim()}` };
  return { ok: true, binary: stem };
}
