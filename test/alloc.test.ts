/**
 * @fileoverview `new` of interpreter classes: the translator lowers each class's
 * construction into an init code (test/fixtures/alloc-interp.ts has a base class,
 * parameter properties, a field initializer that allocates, a constructor with control
 * flow and an implicit one, and classes that must stay residual), the `jit` variant's
 * classes can be allocated blank and then hold the same properties in the same order
 * (and, checked with V8's own %HaveSameMap, the same hidden class) as after `new`, the
 * tracer records `new` + `setfield`s instead of a call, and every run prints what the
 * interpreter without the JIT prints. Tiny's integer loop is traced the same way.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { translate, type Translation } from "../dist/interp-dsl/translator.js";
import type { Insn, RawDescr, RawUnit } from "../dist/interp-dsl/jitcode.js";
import { DIFFERENTIAL_CONFIGS, ROOT, expectSameOutput, runCli } from "./helpers.js";

const FIXTURE = join(ROOT, "test/fixtures/alloc-interp.ts");
const BLANK = Symbol.for("tsjit.blank");
const tmp = mkdtempSync(join(tmpdir(), "tsjit-alloc-"));

/** The instructions of jitcode `name`, as short text: what each does, by name. */
function listing(unit: RawUnit, name: string): string[] {
  const code = unit.codes.find((c) => c.name === name);
  if (!code) throw new Error(`no jitcode ${name}`);
  const descr = (i: number): string => {
    const d = unit.descrs[i] as RawDescr;
    return d.t === "field" ? `${d.owner}.${d.field}` : d.t;
  };
  return code.insns.map((ins: Insn) => {
    switch (ins.o) {
      case "op":
        return ins.n === "setfield" || ins.n === "getfield" ? `${ins.n} ${descr(ins.descr)}` : ins.n;
      case "call":
        return `call ${unit.codes[ins.f]!.name}`;
      case "new":
        return `new ${unit.classes[ins.c]!.name}`;
      case "rcall": {
        const d = unit.descrs[ins.descr]!;
        return `rcall ${d.t === "call" ? d.name : "?"}`;
      }
      default:
        return ins.o;
    }
  });
}

function classOf(unit: RawUnit, name: string) {
  const c = unit.classes.find((x) => x.name === name);
  if (!c) throw new Error(`no class ${name}`);
  return c;
}

let t: Translation;
beforeAll(async () => {
  t = await translate(FIXTURE);
});

describe("new: lowering", () => {
  it("an init code does what JS construction does, in JS's order", () => {
    // super(y % 4) first; then the fields: the parameter property x defined as undefined,
    // box (whose initializer allocates), w, then x assigned; then the body's if/else.
    expect(listing(t.unit, "Point.<init>")).toEqual([
      "num_mod",
      "call Base.<init>",
      "setfield Point.x",
      "new Box",
      "setfield Point.box",
      "setfield Point.w",
      "setfield Point.x",
      "num_gt",
      "br",
      "num_mul",
      "setfield Point.w",
      "goto",
      "num_neg",
      "setfield Point.w",
      "ret",
    ]);
    expect(listing(t.unit, "Base.<init>")).toEqual(["setfield Base.tag", "setfield Base.tag", "ret"]);
    expect(listing(t.unit, "Box.<init>")).toEqual(["setfield Box.v", "setfield Box.v", "ret"]);
  });

  it("a class without a constructor passes its arguments on to its parent's init", () => {
    const leaf = t.unit.codes.find((c) => c.name === "Leaf.<init>")!;
    expect(leaf.nparams).toBe(3); // the instance, x, y
    expect(listing(t.unit, "Leaf.<init>")).toEqual(["call Point.<init>", "setfield Leaf.depth", "ret"]);
    const call = leaf.insns[0] as Extract<Insn, { o: "call" }>;
    expect(call.a).toEqual([0, 1, 2]);
  });

  it("new of an interpreter class is the new instruction; new of a host class stays a call", () => {
    const run = listing(t.unit, "run");
    expect(run).toContain("new Leaf");
    expect(run).toContain("new Point");
    expect(run).toContain("new Counted");
    expect(run.filter((x) => x.startsWith("rcall new"))).toEqual([]);
    // Failure extends Error (a host class): its class is in the unit, its `new` is residual.
    expect(run).toContain("new Failure");
  });

  it("classes the JIT allocates blank, and why the others are residual", () => {
    for (const name of ["Base", "Box", "Point", "Leaf"]) {
      expect(classOf(t.unit, name).init, name).toBeGreaterThanOrEqual(0);
      expect(classOf(t.unit, name).residualWhy, name).toBeNull();
    }
    expect(classOf(t.unit, "Failure").init).toBe(-1);
    expect(classOf(t.unit, "Failure").residualWhy).toMatch(/Failure extends a class that is not an interpreter class/);
    expect(classOf(t.unit, "Counted").residualWhy).toMatch(/Counted's construction contains a loop/);
    expect(classOf(t.unit, "Closure").residualWhy).toMatch(/alloc-interp\.ts:\d+:\d+: closures are not supported/);
  });

  it("class fields are listed in JS own-property order, parameter properties first", () => {
    const names = (cls: string) => classOf(t.unit, cls).fields.map((i) => (t.unit.descrs[i] as { field: string }).field);
    expect(names("Point")).toEqual(["x", "box", "w"]);
    expect(names("Leaf")).toEqual(["depth"]);
  });

  it("a constructor outside the subset makes new residual (with the rule broken), never an error", async () => {
    const file = join(tmp, "residual.ts");
    writeFileSync(
      file,
      `import { JitDriver } from "tsjit/hints";
class P { a: number; constructor(a: number) { this.a = a; } }
class Q extends P { constructor(k: boolean) { if (k) { super(1); } else { super(2); } } }
class R extends Q { b = 1; }
class S { c: number; constructor(c: number) { this.c = c; return; } }
const driver = new JitDriver({ greens: ["pc"], reds: ["n"] });
export function run(n: number): number {
  const pc = 0;
  while (n > 0) {
    driver.jitMergePoint({ pc, n });
    n = n - new R(true).a - new S(0).c;
  }
  return n;
}
export function main(): number { return run(3); }
`,
    );
    const u = (await translate(file)).unit;
    expect(classOf(u, "P").init).toBeGreaterThanOrEqual(0);
    expect(classOf(u, "Q").residualWhy).toMatch(/residual\.ts:3:\d+: super\(\.\.\.\) must be a statement of its own/);
    expect(classOf(u, "R").residualWhy).toMatch(/^its parent: Q's constructor is outside the subset/);
    expect(classOf(u, "S").init).toBeGreaterThanOrEqual(0); // a plain `return;` returns the instance
    expect(listing(u, "S.<init>")).toEqual(["setfield S.c", "setfield S.c", "ret", "ret"]);
  });
});

describe("new: blank allocation in the jit variant", () => {
  type Ctor = new (...a: unknown[]) => Record<string, unknown>;
  async function classes(variant: "jit" | "nojit"): Promise<Record<string, Ctor>> {
    const mod = (await import(pathToFileURL(join(t.dir, variant, t.entry)).href)) as { $tsjit$link(): Record<string, Ctor> };
    return mod.$tsjit$link();
  }

  it("a blank instance has the class's prototype and no own property", async () => {
    const { Point, Leaf, Box } = await classes("jit");
    for (const C of [Point!, Leaf!, Box!]) {
      const o = new C(BLANK);
      expect(Object.getPrototypeOf(o)).toBe(C.prototype);
      expect(Reflect.ownKeys(o)).toEqual([]);
    }
  });

  it("new defines the same properties in the same order in both variants", async () => {
    const jit = await classes("jit");
    const nojit = await classes("nojit");
    for (const [name, args] of [["Point", [3, 9]], ["Point", [1, 2]], ["Leaf", [4, 5]], ["Box", [2]], ["Base", [1]]] as const) {
      const a = new jit[name]!(...args);
      const b = new nojit[name]!(...args);
      expect(Object.keys(a), name).toEqual(Object.keys(b));
      expect(JSON.stringify(a), name).toBe(JSON.stringify(b));
    }
    expect(Object.keys(new jit["Leaf"]!(4, 5))).toEqual(["tag", "x", "box", "w", "depth"]);
  });

  it("blank + the init code's writes gives the hidden class of new (V8's %HaveSameMap)", () => {
    const script = join(tmp, "maps.mjs");
    writeFileSync(
      script,
      `const { Point, Leaf, Box } = (await import(${JSON.stringify(pathToFileURL(join(t.dir, "jit", t.entry)).href)})).$tsjit$link();
const BLANK = Symbol.for("tsjit.blank");
const made = [];
for (let i = 0; i < 2000; i++) made.push(new Point(i % 5, i), new Leaf(i % 5, i));
/** What a trace of \`new C(x, y)\` writes, in order (setfield(p, undefined) left out, as the heap pass does). */
function traced(C, x, y, order) {
  const o = new C(BLANK);
  const box = new Box(BLANK);
  box.v = 7;
  for (const f of order) o[f] = f === "tag" ? y % 4 : f === "x" ? x : f === "box" ? box : f === "w" ? (x > 2 ? x * 2 : -x) : 1;
  return o;
}
const out = {
  point: %HaveSameMap(traced(Point, 3, 9, ["tag", "x", "box", "w"]), new Point(3, 9)),
  pointOther: %HaveSameMap(traced(Point, 1, 9, ["tag", "x", "box", "w"]), made[0]),
  leaf: %HaveSameMap(traced(Leaf, 4, 6, ["tag", "x", "box", "w", "depth"]), new Leaf(4, 6)),
  box: %HaveSameMap(traced(Point, 3, 9, ["tag", "x", "box", "w"]).box, new Box(7)),
  wrongOrder: %HaveSameMap(traced(Point, 3, 9, ["x", "tag", "box", "w"]), new Point(3, 9)),
};
console.log(JSON.stringify(out));
`,
    );
    const r = spawnSync(process.execPath, ["--allow-natives-syntax", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ point: true, pointOther: true, leaf: true, box: true, wrongOrder: false });
  });
});

describe("new: traced", () => {
  const program = join(tmp, "n300.txt");
  writeFileSync(program, "300\n");

  function log(args: string[]): string {
    const file = join(tmp, `log${Math.random().toString(36).slice(2)}.txt`);
    const r = runCli(["run", FIXTURE, program, "--log", file, ...args]);
    expect(r.stderr).toBe("");
    return readFileSync(file, "utf8");
  }
  /** The first (unoptimized) loop trace of a log. */
  const firstTrace = (text: string): string => text.split("\n\n")[0]!;

  it("records new and the constructor's field writes, not a call", () => {
    const trace = firstTrace(log(["--threshold", "1"]));
    expect(trace).not.toMatch(/call\(ConstPtr\((Point|Box)\)/);
    // The loop allocates a Leaf or a Point (n % 3); Leaf has no constructor of its own,
    // so either way the writes are Point's (which iteration is traced first may vary).
    const writes = [...trace.matchAll(/^(p\d+ = new\(descr=\w+\)|setfield\(p\d+, [^,]+, descr=[\w.]+\))$/gm)].map((m) =>
      m[1]!.replace(/p\d+|n\d+/g, "_").replace("new(descr=Leaf)", "new(descr=Point)"),
    );
    expect(writes.slice(0, 10)).toEqual([
      "_ = new(descr=Point)",
      "setfield(_, undefined, descr=Base.tag)",
      "setfield(_, _, descr=Base.tag)",
      "setfield(_, undefined, descr=Point.x)",
      "_ = new(descr=Box)",
      "setfield(_, undefined, descr=Box.v)",
      "setfield(_, 7, descr=Box.v)",
      "setfield(_, _, descr=Point.box)",
      "setfield(_, undefined, descr=Point.w)",
      "setfield(_, _, descr=Point.x)",
    ]);
    // The guard on x > 2 inside Point's constructor resumes in its init code.
    expect(trace).toMatch(/guard_(true|false)\(b\d+\) \[run@\d+: [^\]]*; Point\.<init>@\d+: /);
    // Residual: a constructor with a loop, one outside the subset.
    expect(trace).toMatch(/call\(ConstPtr\(Counted\), n\d+, descr=new Counted\)/);
    expect(trace).toMatch(/call\(ConstPtr\(Closure\), n\d+, descr=new Closure\)/);
  });

  it("the heap pass forwards the fields just written to the fresh object", () => {
    // Without virtualize, which would remove the allocation altogether.
    const optimized = log(["--threshold", "1", "--jit-param", "enable_opts=rewrite:pure:heap:intbounds:unroll:dce"]).split("\n\n").find((b) => b.includes("(optimized)"))!;
    expect(optimized).toMatch(/new\(descr=(Point|Leaf)\)/);
    expect(optimized).not.toMatch(/getfield\(p\d+, descr=(Base\.tag|Point\.\w+|Box\.v)\)/);
  });

  it("past the inline depth limit, new is a residual call", () => {
    // The portal frame and Leaf's three init codes (Leaf, Point, Base) are 4 frames.
    const text = log(["--threshold", "1", "--jit-param", "inline_depth=3"]);
    expect(text).toMatch(/call\(ConstPtr\(Leaf\), n\d+, n\d+, descr=new Leaf\)/);
    expect(text).toMatch(/new\(descr=Point\)/);
  });

  it("prints what the interpreter prints without the JIT, in every configuration", async () => {
    const configs = [...DIFFERENTIAL_CONFIGS, ["--threshold", "1", "--jit-param", "bridge_threshold=1"], ["--threshold", "1", "--jit-param", "inline_depth=3"]];
    await expectSameOutput([FIXTURE, program], configs, /^\d+\n$/);
  });
});

describe("new: tiny's integer loop", () => {
  it("the trace allocates W_Int with new and sets its value with setfield", () => {
    const file = join(tmp, "intloop.log");
    const r = runCli(["run", "tiny", join(ROOT, "interpreters/tiny/examples/intloop.tiny"), "--log", file]);
    expect(r.status).toBe(0);
    const text = readFileSync(file, "utf8");
    const recorded = text.split("\n\n").filter((b) => b.startsWith("# loop") && !b.includes("(optimized)"));
    expect(recorded.length).toBeGreaterThan(0);
    for (const trace of recorded) {
      expect(trace).toMatch(/^p(\d+) = new\(descr=W_Int\)\nsetfield\(p\1, undefined, descr=W_Int\.value\)\nsetfield\(p\1, n\d+, descr=W_Int\.value\)$/m);
      expect(trace).not.toMatch(/descr=new W_Int/);
    }
  });
});
