/**
 * @fileoverview The subset, rule by rule: each rejected construct, placed in a function
 * the tracer can reach, must be reported with file:line:col, the rule it breaks and,
 * where there is one, a hint how to fix it. Also checks that the same construct in a
 * function the tracer never enters is accepted (such code only ever runs as plain JS).
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { translate } from "../dist/interp-dsl/translator.js";
import { rejection } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "tsjit-subset-"));
let counter = 0;

/** An interpreter whose portal calls `step`, with `decls` at top level and `body` in step. */
function interpreter(body: string, decls = "", portalExtra = ""): string {
  const file = join(dir, `bad${counter++}.ts`);
  writeFileSync(
    file,
    `import { JitDriver } from "tsjit/hints";
class State { n = 0; }
${decls}
function step(s: State, x: number): number {
${body}
  return x;
}
const driver = new JitDriver({ greens: ["pc"], reds: ["s"] });
export function run(s: State): void {
  let pc = 0;
  ${portalExtra}
  while (pc < 10) {
    driver.jitMergePoint({ pc, s });
    pc = step(s, pc) + 1;
  }
}
export function main(): number { run(new State()); return 0; }
`,
  );
  return file;
}


const CASES: { name: string; body: string; decls?: string; rule: RegExp; line: number; col: number; hint?: RegExp }[] = [
  { name: "closures", body: "  const f = (y: number) => y + 1;", rule: /closures are not supported/, line: 5, col: 13, hint: /top-level function/ },
  { name: "var", body: "  var y = 1;", rule: /'var' is not supported/, line: 5, col: 3, hint: /let or const/ },
  { name: "object literals", body: "  const o = { a: 1 };", rule: /object literals are not supported/, line: 5, col: 13, hint: /class/ },
  { name: "loose equality", body: "  if (x == 1) { x = 2; }", rule: /== and != are only supported against null/, line: 5, col: 7, hint: /===/ },
  { name: "try/finally", body: "  try { x = 1; } finally { x = 2; }", rule: /try\/finally is not supported/, line: 5, col: 26, hint: /try\/catch/ },
  { name: "+ on unknown types", body: "  const a: any = 1;\n  x = a + x;", rule: /\+ needs two numbers or a string/, line: 6, col: 7 },
  { name: "module-level let", decls: "let counter = 0;", body: "  x = counter;", rule: /module-level 'counter' is not const/, line: 5, col: 7, hint: /object/ },
  { name: "destructuring", body: "  const [a, b] = [1, 2];", rule: /destructuring is not supported/, line: 5, col: 9 },
  { name: "optional chaining", decls: "class Box { v = 1; }\nfunction maybe(): Box | null { return null; }", body: "  const b = maybe();\n  x = b?.v ?? 0;", rule: /optional chaining is not supported/, line: 7, col: 7, hint: /null/ },
  { name: "calling a function value", body: "  const g = Math.floor;\n  x = g(x);", rule: /cannot call 'g'/, line: 6, col: 7 },
  { name: "for-in", decls: "class Box { v = 1; }", body: "  for (const k in new Box()) { x++; }", rule: /statement 'ForInStatement' is not supported/, line: 5, col: 3 },
  { name: "indexing a non-array", decls: "class Box { v = 1; }", body: "  const b = new Box();\n  x = (b as any)[0];", rule: /indexing is supported on arrays, typed arrays and strings only/, line: 6, col: 7 },
];

describe("translator: subset rejections", () => {
  for (const c of CASES) {
    it(`rejects ${c.name} with file:line:col, rule and hint`, async () => {
      const file = interpreter(c.body, c.decls ?? "");
      const msg = await rejection(file);
      // decls shift the body by one line
      const line = c.line;
      expect(msg).toContain(`${file}:${line}:${c.col}:`);
      expect(msg).toMatch(c.rule);
      if (c.hint) expect(msg).toMatch(new RegExp(`hint: .*${c.hint.source}`));
    });
  }

  it("accepts unsupported constructs in functions the tracer never enters", async () => {
    const file = join(dir, "ok.ts");
    writeFileSync(
      file,
      `import { JitDriver } from "tsjit/hints";
function setup(): number[] { const f = (y: number) => y * 2; return [1, 2, 3].map(f); }
const driver = new JitDriver({ greens: ["pc"], reds: ["acc"] });
function run(acc: number): number {
  let pc = 0;
  while (pc < 3) { driver.jitMergePoint({ pc, acc }); acc += pc; pc++; }
  return acc;
}
export function main(): number { return run(setup()[0]!); }
`,
    );
    const t = await translate(file);
    expect(t.unit.portal?.name).toBe("run");
  });

  it("rejects a variable live across the merge point that is neither green nor red", async () => {
    const file = join(dir, "live.ts");
    writeFileSync(
      file,
      `import { JitDriver } from "tsjit/hints";
const driver = new JitDriver({ greens: ["pc"], reds: ["acc"] });
export function run(acc: number): number {
  let pc = 0;
  let extra = 1;
  while (pc < 3) {
    driver.jitMergePoint({ pc, acc });
    acc += extra;
    pc++;
  }
  return acc;
}
`,
    );
    const msg = await rejection(file);
    expect(msg).toContain(`${file}:7:5:`);
    expect(msg).toMatch(/variable 'extra' is live across the merge point but is neither a green nor a red/);
  });

  it("rejects canEnterJit that is not the last thing before the loop goes back", async () => {
    const file = join(dir, "cej.ts");
    writeFileSync(
      file,
      `import { JitDriver } from "tsjit/hints";
const driver = new JitDriver({ greens: ["pc"], reds: ["acc"] });
export function run(acc: number): number {
  let pc = 0;
  while (pc < 3) {
    driver.jitMergePoint({ pc, acc });
    driver.canEnterJit({ pc, acc });
    acc += 1;
    pc++;
  }
  return acc;
}
`,
    );
    const msg = await rejection(file);
    expect(msg).toContain(`${file}:7:5:`);
    expect(msg).toMatch(/canEnterJit must be the last thing before the loop goes back to its top/);
  });

  it("reports type errors of the interpreter with their position", async () => {
    const file = interpreter("  const s: string = x;");
    const msg = await rejection(file);
    expect(msg).toContain(`${file}:5:9:`);
    expect(msg).toMatch(/type error: Type 'number' is not assignable to type 'string'/);
  });
});

/** An interpreter whose driver declares `virtualizables: <spec>` on the red `frame` of class Frame. */
function vableInterpreter(spec: string): string {
  const file = join(dir, `vable${counter++}.ts`);
  writeFileSync(
    file,
    `import { JitDriver } from "tsjit/hints";
class Base { top = 0; }
class Frame extends Base {
  readonly stack: number[] = [0, 0];
  sp = 0;
  readonly depth: number = 0;
  readonly consts: readonly number[] = [1];
  count: number[] = [0];
}
const driver = new JitDriver({ greens: ["pc"], reds: ["frame", "n"],
  virtualizables: ${spec} });
export function run(frame: Frame, n: number): number {
  let pc = 0;
  while (pc < 3) {
    driver.jitMergePoint({ pc, frame, n });
    frame.stack[frame.sp] = pc;
    pc++;
  }
  return n;
}
`,
  );
  return file;
}

describe("translator: the virtualizables option", () => {
  const cases: { name: string; spec: string; rule: RegExp; col: number; hint?: RegExp }[] = [
    { name: "an unknown field", spec: '{ frame: ["sp", "pc"] }', rule: /class Frame has no field 'pc'/, col: 35, hint: /fields declared/ },
    { name: "an array field that is not readonly", spec: '{ frame: ["count[*]"] }', rule: /'count\[\*\]': field 'count' must be readonly/, col: 29, hint: /readonly count/ },
    { name: "an array of readonly items", spec: '{ frame: ["consts[*]"] }', rule: /the items of a readonly array cannot be virtualizable/, col: 29 },
    { name: "[*] on a field that is not an array", spec: '{ frame: ["sp[*]"] }', rule: /'sp\[\*\]': field 'sp' does not hold an array/, col: 29, hint: /as 'sp'/ },
    { name: "a readonly plain field", spec: '{ frame: ["depth"] }', rule: /'depth' is readonly: a constant field needs no virtualizable/, col: 29 },
    { name: "a malformed field spec", spec: '{ frame: ["stack[]"] }', rule: /'stack\[\]' is not a field name or 'name\[\*\]'/, col: 29 },
    { name: "a field listed twice", spec: '{ frame: ["sp", "sp"] }', rule: /field 'sp' is listed twice/, col: 35 },
    { name: "a name that is not a red (a type error)", spec: '{ pc: ["sp"] }', rule: /type error: .*'pc' does not exist/, col: 21 },
    { name: "a red that is not an object of an interpreter class", spec: '{ n: ["sp"] }', rule: /virtualizable 'n' must have an interpreter class as its type, not 'number'/, col: 21 },
    { name: "two virtualizables", spec: '{ frame: ["sp"], n: [] }', rule: /'virtualizables' must name exactly one red/, col: 19 },
    { name: "a spec that is not an object literal (a type error)", spec: '["frame"]', rule: /type error: .*no properties in common/, col: 3 },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} with file:line:col`, async () => {
      const file = vableInterpreter(c.spec);
      const msg = await rejection(file);
      expect(msg).toContain(`${file}:11:${c.col}:`);
      expect(msg).toMatch(c.rule);
      if (c.hint) expect(msg).toMatch(new RegExp(`hint: .*${c.hint.source}`));
      expect(msg).not.toMatch(/no JitDriver declared|no driver\.jitMergePoint/);
    });
  }

  it("accepts fields declared by a base class and records which class declares each", async () => {
    const t = await translate(vableInterpreter('{ frame: ["top", "sp", "stack[*]"] }'));
    const v = t.unit.portal?.virtualizable;
    expect(v?.red).toBe(0);
    expect(v?.fields.map((f) => `${f.owner}.${f.field}`)).toEqual(["Base.top", "Frame.sp"]);
    expect(v?.arrays.map((f) => `${f.owner}.${f.field}`)).toEqual(["Frame.stack"]);
  });
});
