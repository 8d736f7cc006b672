/**
 * @fileoverview Quasi-immutable fields (`quasiImmutable(Class, "field")`, see
 * src/interp-dsl/hints.ts and src/ir/quasi-immutable.ts): a fixture interpreter
 * (test/fixtures/quasi-interp.ts) reads a quasi-immutable field of a constant object in
 * its loop and changes it now and then, itself and through a residual call. The trace
 * folds the read behind `guard_not_invalidated` (again after a residual call); writes
 * by the interpreter, the blackhole and compiled code invalidate the loop, which is
 * retraced; and every run prints what the interpreter without the JIT prints. Also:
 * the translator's errors for a malformed registration or write, and the runtime's
 * watch list on its own.
 */

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { translate } from "../dist/interp-dsl/translator.js";
import { fieldWritten, quasiImmutableWritten, Validity, watchField } from "../dist/ir/quasi-immutable.js";
import { DIFFERENTIAL_CONFIGS, ROOT, rejection, expectSameOutput, runCli } from "./helpers.js";

const FIXTURE = join(ROOT, "test/fixtures/quasi-interp.ts");
const tmp = mkdtempSync(join(tmpdir(), "tsjit-quasi-"));
let counter = 0;

function program(n: number, period: number): string {
  const file = join(tmp, `p${counter++}.txt`);
  writeFileSync(file, `${n} ${period}\n`);
  return file;
}

describe("quasi-immutable fields: the runtime's watch list", () => {
  it("a write invalidates the traces watching that field of that object, and no other", () => {
    const a = { x: 1, y: 2 };
    const b = { x: 1 };
    const onAx = new Validity("A");
    const onAy = new Validity("B");
    const onBx = new Validity("C");
    watchField(a, "x", onAx);
    watchField(a, "y", onAy);
    watchField(b, "x", onBx);
    fieldWritten(a, "x");
    expect([onAx.valid, onAy.valid, onBx.valid]).toEqual([false, true, true]);
    expect(quasiImmutableWritten(7, b, "x")).toBe(7);
    expect(onBx.valid).toBe(false);
    expect(onAy.valid).toBe(true);
  });
});

/** The values settings.scale takes in the fixture's run of `n` iterations (its rule, step by step). */
function scalesOver(n: number, period: number): number[] {
  const scales = [3];
  for (let i = n; i > 0; i--) {
    if (i % period === 0) scales.push(scales[scales.length - 1]! + (i % (2 * period) === 0 ? 1 : 2));
  }
  return scales;
}

describe("quasi-immutable fields: traced", () => {
  function log(args: string[]): { text: string; stats: string } {
    const file = join(tmp, `log${counter++}.txt`);
    const r = runCli(["run", FIXTURE, program(3000, 400), "--log", file, "--stats", ...args]);
    expect(r.status).toBe(0);
    return { text: readFileSync(file, "utf8"), stats: r.stderr };
  }

  it("a read on a constant object is folded behind guard_not_invalidated, checked again after a residual call", () => {
    const first = log(["--threshold", "1"]).text.split("\n\n")[0]!;
    expect(first).not.toMatch(/getfield\([^)]*descr=Settings\.scale\)/);
    const ops = first.split("\n").map((l) => l.replace(/ \[.*\]$/, ""));
    const at = (re: RegExp): number => ops.findIndex((l) => re.test(l));
    const guard1 = at(/^guard_not_invalidated\(descr=Loop0\.validity\)$/);
    const useOfScale = at(/^n\d+ = num_mul\(n0, 3\)$/); // n * settings.scale, the scale folded to 3
    const call = at(/= call\(ConstPtr\(mix\), n0, descr=mix\)$/);
    const guard2 = ops.findIndex((l, i) => i > call && l === "guard_not_invalidated(descr=Loop0.validity)");
    const secondUse = ops.findIndex((l, i) => i > guard2 && /^n\d+ = num_add\(n\d+, 3\)$/.test(l));
    expect(guard1).toBeGreaterThan(0);
    expect([guard1 < useOfScale, useOfScale < call, call < guard2, guard2 < secondUse]).toEqual([true, true, true, true]);
    expect(ops.filter((l) => l.startsWith("guard_not_invalidated"))).toHaveLength(2);
  });

  it("the optimizer keeps the guard (in the peeled iteration and in the loop body)", () => {
    const optimized = log(["--threshold", "1"]).text.split("\n\n").find((b) => b.includes("(optimized)"))!;
    const [peeled, body] = optimized.split(/^label\(.*descr=Loop\d+\.body\)$/m);
    expect(peeled!.match(/^guard_not_invalidated/gm)).toHaveLength(2);
    expect(body!.match(/^guard_not_invalidated/gm)).toHaveLength(2);
  });

  it("a change of the field invalidates the compiled loop, which is retraced with the new value", () => {
    for (const args of [["--threshold", "1"], ["--threshold", "1", "--jit-param", "bridge_threshold=1"]]) {
      const { text, stats } = log(args);
      // 3000 iterations, a change every 400: 7 changes, each leaves the loop of the value before.
      expect(stats, args.join(" ")).toMatch(/invalidated: +7 /);
      const scales = [...text.matchAll(/^# loop loop: 0\n(?:.*\n)*?n\d+ = num_mul\(n0, (\d+)\)$/gm)].map((m) => Number(m[1]));
      expect(scales, args.join(" ")).toEqual(scalesOver(3000, 400));
    }
  });

  it("prints what the interpreter prints without the JIT, at every threshold", async () => {
    for (const [n, period] of [[3000, 400], [3000, 7], [600, 1]] as const) {
      const file = program(n, period);
      const configs = [...DIFFERENTIAL_CONFIGS, ["--threshold", "1", "--jit-param", "bridge_threshold=1"], ["--threshold", "2", "--jit-param", "enable_opts="]];
      await expectSameOutput([FIXTURE, file], configs, /^\d+\n\d+\n$/, `${n} ${period}: `);
    }
  }, 120_000);
});

describe("quasi-immutable fields: translator errors", () => {
  /** An interpreter with `decls` at top level whose loop body is `body`. */
  function interpreter(decls: string, body = "s.x = s.x + 1;"): string {
    const file = join(tmp, `bad${counter++}.ts`);
    writeFileSync(
      file,
      `import { JitDriver, quasiImmutable } from "tsjit/hints";
class Base { inherited = 0; }
class S extends Base { x = 0; readonly r = 1; }
${decls}
const driver = new JitDriver({ greens: ["pc"], reds: ["s"] });
export function run(s: S): void {
  const pc = 0;
  while (s.x < 10) {
    driver.jitMergePoint({ pc, s });
    ${body}
  }
}
export function main(): number { run(new S()); return 0; }
`,
    );
    return file;
  }

  it("accepts a declared, writable field", async () => {
    const t = await translate(interpreter(`quasiImmutable(S, "x");`));
    const d = t.unit.descrs.find((x) => x.t === "field" && x.owner === "S" && x.field === "x");
    expect(d).toMatchObject({ quasiImmutable: true, immutable: false });
  });

  it("an unknown field, an inherited one, a readonly one, a non-literal name: file:line:col", async () => {
    expect(await rejection(interpreter(`quasiImmutable(S, "nope");`))).toMatch(/bad\d+\.ts:4:19: type error: .*"nope"/);
    expect(await rejection(interpreter(`quasiImmutable(S, "inherited");`))).toMatch(/bad\d+\.ts:4:19: S declares no field 'inherited'/);
    expect(await rejection(interpreter(`quasiImmutable(S, "r");`))).toMatch(/bad\d+\.ts:4:19: S\.r is readonly: it is immutable already/);
    expect(await rejection(interpreter(`const name = "x";\nquasiImmutable(S, name);`))).toMatch(/bad\d+\.ts:5:19: quasiImmutable\(\) needs the field's name as a string literal/);
  });

  it("a write other than a plain assignment to name.field or this.field", async () => {
    const decls = `quasiImmutable(S, "x");\nfunction get(s: S): S { return s; }`;
    expect(await rejection(interpreter(decls, "s.x += 1;"))).toMatch(/bad\d+\.ts:11:5: a quasi-immutable field is written only with a plain '='/);
    expect(await rejection(interpreter(decls, "s.x++;"))).toMatch(/bad\d+\.ts:11:5: a quasi-immutable field is written only with a plain '='/);
    expect(await rejection(interpreter(decls, "get(s).x = s.x + 1;"))).toMatch(/bad\d+\.ts:11:5: a quasi-immutable field is written as name\.field = value or this\.field = value/);
  });
});
