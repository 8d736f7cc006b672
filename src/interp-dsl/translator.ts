/**
 * @fileoverview The translator: from an interpreter's entry module (`.ts`) to a
 * translation unit (every jitcode, as JSON) plus the two runnable JS variants of every
 * module — `jit` (the plain interpreter, with `canEnterJit` wired to the JIT engine) and
 * `nojit` (every hint removed: the baseline). Results are cached on disk, keyed by the
 * hash of the sources and of the translator itself, so only the first run pays for
 * TypeScript's type checker.
 *
 * Building (`build.ts`) type-checks the program, lowers every function with the
 * codewriter and emits the variants; only functions the tracer can reach must be in the
 * subset (others only ever run as plain JS).
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RawUnit } from "./jitcode.js";
import { TranslationError } from "./subset.js";

/** The directory of the translator's own modules (hints and io live beside it). */
export const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_ROOT = resolve(HERE, "../..");
export const RUNTIME_MODULES = { hints: join(HERE, "hints.js"), io: join(HERE, "io.js") } as const;

/** A translated interpreter, on disk. */
export interface Translation {
  /** Directory holding unit.json and the `jit/` and `nojit/` module trees. */
  readonly dir: string;
  /** Path of the entry module, relative to each variant's root. */
  readonly entry: string;
  /** Paths of every interpreter module relative to a variant's root, by module index. */
  readonly modules: readonly string[];
  readonly unit: RawUnit;
  /** True when this call built it; false when it came from the cache. */
  readonly fresh: boolean;
}

/** Where translations are cached (override with TSJIT_CACHE_DIR). */
export function cacheRoot(): string {
  return process.env["TSJIT_CACHE_DIR"] ?? join(PACKAGE_ROOT, "node_modules", ".cache", "tsjit");
}

/** Translates the interpreter whose entry module is `entryPath`, or loads it from the cache. */
export async function translate(entryPath: string): Promise<Translation> {
  const entry = resolve(entryPath);
  if (!existsSync(entry)) throw new TranslationError([new Error(`interpreter not found: ${entryPath}`)]);
  const files = scanModules(entry);
  const key = cacheKey(files);
  const dir = join(cacheRoot(), key);
  const root = commonDir(files);
  if (existsSync(join(dir, "unit.json"))) {
    const meta = JSON.parse(readFileSync(join(dir, "unit.json"), "utf8")) as { entry: string; modules: string[]; unit: RawUnit };
    return { dir, entry: meta.entry, modules: meta.modules, unit: meta.unit, fresh: false };
  }
  const { build } = await import("./build.js");
  const built = build(entry);
  const tmp = `${dir}.tmp${process.pid}`;
  for (const variant of ["jit", "nojit"] as const) {
    for (const m of built.modules) {
      const out = join(tmp, variant, relative(root, m.path).replace(/\.(m?ts|tsx)$/, ".js"));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, m[variant]);
    }
  }
  const modules = built.modules.map((m) => relative(root, m.path).replace(/\.(m?ts|tsx)$/, ".js"));
  const entryRel = relative(root, entry).replace(/\.(m?ts|tsx)$/, ".js");
  writeFileSync(join(tmp, "unit.json"), JSON.stringify({ entry: entryRel, modules, unit: built.unit }));
  try {
    renameSync(tmp, dir);
  } catch {
    // Another process finished the same translation first; theirs is identical.
  }
  return { dir, entry: entryRel, modules, unit: built.unit, fresh: true };
}

/** The interpreter's own modules, found by following relative imports. */
function scanModules(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s*["'](\.[^"']+)["']/g)) {
      const target = resolveRelative(dirname(f), m[1]!);
      if (target) todo.push(target);
    }
  }
  return [...seen].sort();
}

function resolveRelative(from: string, spec: string): string | null {
  const base = resolve(from, spec);
  for (const c of [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]) {
    if (c.endsWith(".ts") && existsSync(c)) return c;
  }
  return null;
}

function cacheKey(files: string[]): string {
  const h = createHash("sha256");
  for (const f of readdirSync(HERE).sort()) if (f.endsWith(".js")) h.update(readFileSync(join(HERE, f)));
  for (const f of files) {
    h.update(f);
    h.update(readFileSync(f));
  }
  return h.digest("hex").slice(0, 24);
}

function commonDir(files: string[]): string {
  let d = dirname(files[0]!);
  while (!files.every((f) => f.startsWith(d + "/"))) d = dirname(d);
  return d;
}

