/**
 * @fileoverview The benchmark suites: which interpreter runs which programs, and where
 * the programs live. To add a suite, add an entry to SUITES.
 *
 * A program `X.ext` may have `X.in` next to it (fed to the run as stdin; otherwise stdin
 * is empty) and `X.out` (the expected stdout; every run is checked against it).
 */

import { existsSync, readdirSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { BenchError } from "./cli.js";
import { bf2c } from "./bf2c.js";

/**
 * @typedef {object} Suite
 * @property {string} interpreter  the <interpreter> argument of `tsjit run`
 * @property {(root: string) => string} dir  the programs' folder, from the repo root
 * @property {string} ext  the programs' extension
 * @property {string[] | "all"} programs  the default programs ("all": every *ext in dir)
 * @property {boolean} optional  a missing dir skips the suite (exit 0) instead of failing
 * @property {(source: string, name: string) => string} [toC]  a C translation, for the
 *   `c -O2` baseline config
 * @property {boolean} [ablation]  run the `-<pass>` configs (one optimizer pass off each)
 *   unless --no-ablation is given; without it, only with --ablation
 */

/** @type {Record<string, Suite>} */
export const SUITES = {
  bf: {
    interpreter: "bf",
    dir: (root) => resolve(root, "../shared/corpus/bf"),
    ext: ".b",
    programs: ["Mandelbrot.b", "Bench.b"],
    optional: true,
    toC: bf2c,
    ablation: true,
  },
  tiny: {
    interpreter: "tiny",
    dir: (root) => join(root, "interpreters/tiny/bench"),
    ext: ".tiny",
    programs: "all",
    optional: false,
  },
};

/**
 * @typedef {object} Program
 * @property {string} name   file name, e.g. Mandelbrot.b
 * @property {string} path   absolute path
 * @property {string|null} input     the .in file, if any
 * @property {string|null} expected  the .out file, if any
 */

/**
 * The programs to run: the suite's defaults, or `only` (names with or without the
 * extension, looked up in the suite's folder).
 * @param {Suite} suite
 * @param {string} root  repo root
 * @param {string[] | null} only
 * @returns {{dir: string, programs: Program[] | null}} programs is null when the
 *   suite is optional and its folder is absent
 * @throws {BenchError} a missing folder (non-optional suite) or program
 */
export function resolvePrograms(suite, root, only) {
  const dir = suite.dir(root);
  if (!existsSync(dir)) {
    if (suite.optional) return { dir, programs: null };
    throw new BenchError(`no programs folder ${dir} for interpreter '${suite.interpreter}'`);
  }
  let names = only ?? (suite.programs === "all" ? readdirSync(dir).filter((f) => f.endsWith(suite.ext)).sort() : suite.programs);
  names = names.map((n) => (extname(n) === suite.ext ? n : n + suite.ext));
  if (names.length === 0) throw new BenchError(`no *${suite.ext} programs in ${dir}`);
  return {
    dir,
    programs: names.map((name) => {
      const path = join(dir, name);
      if (!existsSync(path)) throw new BenchError(`program not found: ${path}`);
      const stem = join(dir, basename(name, suite.ext));
      return {
        name,
        path,
        input: existsSync(stem + ".in") ? stem + ".in" : null,
        expected: existsSync(stem + ".out") ? stem + ".out" : null,
      };
    }),
  };
}
