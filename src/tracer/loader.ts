/**
 * @fileoverview Loads a translated interpreter for running: imports the `jit` or
 * `nojit` variant of its modules, and for the JIT links the translation unit against
 * the loaded modules (constants that name module globals become the real functions,
 * classes and driver) and attaches an Engine to the driver.
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as hints from "../interp-dsl/hints.js";
import * as io from "../interp-dsl/io.js";
import { loadUnit, type Unit } from "../interp-dsl/jitcode.js";
import { computeLiveness } from "../interp-dsl/liveness.js";
import type { Translation } from "../interp-dsl/translator.js";
import { Engine, type JitParams } from "./engine.js";

/** A loaded interpreter. */
export interface LoadedInterpreter {
  /** The entry module's exports. */
  readonly entry: Record<string, unknown>;
  /** The engine, when the JIT is on. */
  readonly engine: Engine | null;
}

/** Imports `t` in the given mode; with the JIT on, wires the engine. */
export async function loadInterpreter(
  t: Translation,
  jit: JitParams | null,
  log: ((s: string) => void) | null,
  logJs: ((s: string) => void) | null = null,
): Promise<LoadedInterpreter> {
  const variant = jit ? "jit" : "nojit";
  const entry = (await import(pathToFileURL(join(t.dir, variant, t.entry)).href)) as Record<string, unknown>;
  if (!jit) return { entry, engine: null };
  const moduleGlobals: Record<string, unknown>[] = [];
  for (const m of t.modules) {
    const mod = (await import(pathToFileURL(join(t.dir, variant, m)).href)) as { $tsjit$link: () => Record<string, unknown> };
    moduleGlobals.push(mod.$tsjit$link());
  }
  const unit: Unit = loadUnit(t.unit, {
    moduleGlobals,
    runtime: { hints: hints as unknown as Record<string, unknown>, io: io as unknown as Record<string, unknown> },
  });
  for (const code of unit.codes) code.liveIn = computeLiveness(code).map((l) => Int32Array.from(l));
  if (!unit.portal) return { entry, engine: null };
  const driver = unit.consts[unit.portal.driverConst] as hints.JitDriver<string, string>;
  const engine = new Engine(unit, driver, jit, log, logJs);
  driver.$engine = engine;
  return { entry, engine };
}
