/**
 * @fileoverview Random Tiny programs (interpreters/tiny) for the differential fuzz
 * test: integer and float arithmetic (and variables that hold an int on some paths and
 * a float on others), comparisons and logic, if/elif/else, nested
 * while loops, records (literals in several field orders, so several shapes; fields
 * added inside hot loops; aliases), functions (with their own loops, calling each
 * other without recursion, and a bounded recursive one), string concatenation, and
 * prints of intermediate values.
 *
 * Every program ends: every loop counts a counter up to a constant bound (the counter
 * is incremented first, so `continue` is safe), and calls form no cycle except the one
 * recursive function, whose depth is bounded. Values are kept in range by
 * construction (int assignments are mostly reduced `% M`, products have a small
 * constant factor), so most programs run to the end; the few run-time errors left
 * (a division by a variable that is zero, say) are fine: every configuration must
 * report them the same way. Each variable keeps one type, so there are no type errors.
 */

import { Rng } from "./prng.js";

/** `num` holds an int or a float, depending on the path taken: the JIT's type guards fail. */
type Ty = "int" | "float" | "num" | "str" | "bool" | "rec";

/** A record type: its fields (always present) and their types. */
interface RecType {
  readonly fields: readonly (readonly [string, Exclude<Ty, "rec">])[];
}

interface Var {
  readonly name: string;
  readonly ty: Ty;
  readonly rec?: RecType;
}

interface Fn {
  readonly name: string;
  readonly params: readonly Var[];
  readonly ret: Exclude<Ty, "rec">;
  /** Roughly how many statements one call runs (see TinyGen.mult). */
  cost: number;
}

/** At most this many statements per execution of one call site (times its loops). */
const CALL_BUDGET = 20_000;

const REC_TYPES: readonly RecType[] = [
  {
    fields: [
      ["a", "int"],
      ["b", "float"],
    ],
  },
  {
    fields: [
      ["n", "int"],
      ["s", "str"],
      ["k", "int"],
    ],
  },
];
/** The global record every function may update. */
const G: Var = {
  name: "G",
  ty: "rec",
  rec: {
    fields: [
      ["hits", "int"],
      ["acc", "float"],
    ],
  },
};
const MODULI = [10007, 1009, 97, 65536, 1000];

class TinyGen {
  private readonly out: string[] = [];
  private indent = 0;
  /** Variables visible here (globals at the top level; params and locals in a function). */
  private scope: Var[] = [];
  private readonly fns: Fn[] = [];
  /** Functions the code being generated may call (no cycles). */
  private callable: Fn[] = [];
  private loopDepth = 0;
  private counter = 0;
  private inFunction = false;
  /** Counters of the enclosing loops (for print throttling). */
  private loopCounters: string[] = [];
  private extraField = 0;
  /**
   * How many times the code being generated runs: per program run at the top level,
   * per call in a function (the product of the enclosing loops' bounds). With `cost`,
   * the statements run so far, it keeps calls of looping functions from nested loops
   * from multiplying into programs that run for minutes.
   */
  private mult = 1;
  private cost = 0;

  constructor(private readonly rng: Rng) {}

  private line(s: string): void {
    this.out.push("    ".repeat(this.indent) + s);
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  private vars(ty: Ty): Var[] {
    return this.scope.filter((v) => v.ty === ty);
  }

  // ---- expressions --------------------------------------------------------------

  private intConst(): string {
    return String(this.rng.chance(0.8) ? this.rng.range(0, 20) : this.rng.range(21, 5000));
  }

  private floatConst(): string {
    return this.rng.pick(["0.5", "1.25", "3.0", "0.1", "2.5e-3", "1e3", "7.75", "0.0"]);
  }

  private strConst(): string {
    return this.rng.pick(['""', '"a"', '"xy"', '"-"', '"k="', '" "', "'q'"]);
  }

  /** A field read `r.f` of a record variable with a field of type `ty`, or null. */
  private fieldRead(ty: Ty): string | null {
    const recs = this.vars("rec").filter((v) => v.rec!.fields.some(([, t]) => t === ty));
    if (recs.length === 0) return null;
    const r = this.rng.pick(recs);
    const f = this.rng.pick(r.rec!.fields.filter(([, t]) => t === ty));
    return `${r.name}.${f[0]}`;
  }

  /** Functions that may be called here (within the budget), optionally returning `ty`. */
  private affordable(ty?: Ty): Fn[] {
    return this.callable.filter((f) => (ty === undefined || f.ret === ty) && f.cost * this.mult <= CALL_BUDGET);
  }

  /** A call of a function returning `ty`, or null. */
  private callExpr(ty: Ty, depth: number): string | null {
    const fs = this.affordable(ty);
    if (fs.length === 0) return null;
    const f = this.rng.pick(fs);
    this.cost += f.cost * this.mult;
    return `${f.name}(${f.params.map((p) => this.argFor(p, depth)).join(", ")})`;
  }

  private argFor(p: Var, depth: number): string {
    if (p.ty !== "rec") return this.expr(p.ty, Math.min(depth, 1));
    const same = this.vars("rec").filter((v) => v.rec === p.rec);
    if (same.length > 0 && this.rng.chance(0.7)) return this.rng.pick(same).name;
    return this.recLiteral(p.rec!);
  }

  private leaf(ty: Exclude<Ty, "rec">): string {
    const vs = this.vars(ty);
    const r = this.rng.next();
    if (vs.length > 0 && r < 0.55) return this.rng.pick(vs).name;
    if (r < 0.7) {
      const f = this.fieldRead(ty);
      if (f) return f;
    }
    switch (ty) {
      case "int":
        return this.rng.chance(0.15) && this.vars("str").length > 0 ? `len(${this.rng.pick(this.vars("str")).name})` : this.intConst();
      case "float":
        return this.floatConst();
      case "num":
        return this.leaf(this.rng.pick(["int", "float"] as const));
      case "str":
        return this.strConst();
      case "bool":
        return this.rng.pick(["True", "False"]);
    }
  }

  expr(ty: Exclude<Ty, "rec">, depth: number): string {
    if (depth <= 0 || this.rng.chance(0.3)) return this.leaf(ty);
    const d = depth - 1;
    const r = this.rng;
    switch (ty) {
      case "int":
        return r.weighted<() => string>([
          [4, () => `(${this.expr("int", d)} + ${this.expr("int", d)})`],
          [3, () => `(${this.expr("int", d)} - ${this.expr("int", d)})`],
          [2, () => `(${this.leaf("int")} * ${r.range(-3, 50)})`],
          [1, () => `(${this.leaf("int")} * ${this.leaf("int")})`],
          [2, () => `(${this.expr("int", d)} % ${r.pick([7, 10, 97, 3, -5, 2])})`],
          [1, () => `(${this.expr("int", d)} / ${r.pick([2, 3, 10, -4])})`],
          // A variable divisor may be zero: a run-time error every configuration must agree on.
          [0.15, () => `(${this.expr("int", d)} % ${this.leaf("int")})`],
          [1, () => `-${this.leaf("int")}`],
          [1, () => `int(float(${this.leaf("int")}) * 0.5)`],
          [2, () => this.callExpr("int", d) ?? this.leaf("int")],
        ])();
      case "float":
        return r.weighted<() => string>([
          [3, () => `(${this.expr("float", d)} + ${this.expr(r.pick(["int", "float", "num"] as const), d)})`],
          [2, () => `(${this.expr("float", d)} - ${this.expr("int", d)})`],
          [2, () => `(${this.expr("float", d)} * ${this.floatConst()})`],
          [1, () => `(${this.expr("float", d)} / ${r.pick(["2.0", "0.5", "3.0", "-1.5"])})`],
          [1, () => `(${this.leaf("int")} / 4.0)`],
          [1, () => `(${this.expr("float", d)} % ${r.pick(["2.5", "1.0", "-3.0"])})`],
          [1, () => `float(${this.expr("int", d)})`],
          [1, () => `sqrt(${this.expr("float", d)})`],
          [1, () => `-${this.leaf("float")}`],
          [1, () => this.callExpr("float", d) ?? this.leaf("float")],
        ])();
      case "num":
        return r.weighted<() => string>([
          [3, () => `(${this.expr("num", d)} + ${this.expr(r.pick(["int", "num"] as const), d)})`],
          [2, () => `(${this.expr("num", d)} - ${this.expr(r.pick(["int", "num"] as const), d)})`],
          [2, () => `(${this.leaf("num")} * ${r.pick(["2", "3", "-1", "0.5", "1.5"])})`],
          [1, () => `(${this.expr("num", d)} % ${r.pick(["7", "10", "2.5", "-3"])})`],
          [1, () => `(${this.expr("num", d)} / ${r.pick(["2", "4", "2.0"])})`],
          [1, () => `-${this.leaf("num")}`],
          [2, () => this.expr(r.pick(["int", "float"] as const), d)],
          [1, () => this.callExpr("num", d) ?? this.leaf("num")],
        ])();
      case "str":
        return r.weighted<() => string>([
          [3, () => `(${this.expr("str", d)} + ${this.expr("str", d)})`],
          [3, () => `str(${this.expr(r.pick(["int", "float", "num", "bool"] as const), d)})`],
          [1, () => this.callExpr("str", d) ?? this.leaf("str")],
        ])();
      case "bool":
        // Parenthesized: comparisons do not chain.
        return r.weighted<() => string>([
          [4, () => `(${this.expr(r.pick(["int", "float", "num"] as const), d)} ${r.pick(["<", "<=", ">", ">=", "==", "!="])} ${this.expr(r.pick(["int", "float", "num"] as const), d)})`],
          [1, () => `(${this.expr("str", d)} ${r.pick(["<", "==", "!=", ">="])} ${this.expr("str", d)})`],
          [1, () => `(${this.anyExpr(d)} ${r.pick(["==", "!="])} ${this.anyExpr(d)})`],
          [1, () => `(not ${this.leaf("bool")})`],
          [1, () => `(${this.expr("bool", d)} ${r.pick(["and", "or"])} ${this.expr("bool", d)})`],
          [1, () => this.callExpr("bool", d) ?? this.leaf("bool")],
        ])();
    }
  }

  private anyExpr(depth: number): string {
    const recs = this.vars("rec");
    if (recs.length > 0 && this.rng.chance(0.2)) return this.rng.pick(recs).name;
    return this.expr(this.rng.pick(["int", "float", "num", "str", "bool"] as const), depth);
  }

  /** A literal of record type `t`, its fields in a random order (another shape), sometimes with an extra field. */
  private recLiteral(t: RecType): string {
    const fields = this.rng.shuffle(t.fields).map(([f, ty]) => `${f}: ${this.expr(ty, 1)}`);
    if (this.rng.chance(0.25)) fields.splice(this.rng.int(fields.length + 1), 0, `x${this.extraField++}: ${this.expr("int", 0)}`);
    return `{${fields.join(", ")}}`;
  }

  // ---- statements -----------------------------------------------------------------

  /** `v = e`, with ints reduced modulo a constant so they stay in range. */
  private assign(v: Var): void {
    switch (v.ty) {
      case "int": {
        const e = this.expr("int", 2);
        this.line(this.rng.chance(0.8) ? `${v.name} = ${e} % ${this.rng.pick(MODULI)}` : `${v.name} = ${e}`);
        return;
      }
      case "num":
        this.line(`${v.name} = ${this.expr("num", 2)} % ${this.rng.pick(MODULI)}`);
        return;
      case "str":
        this.line(`${v.name} = ${this.expr("str", 2)}`);
        this.capString(v.name);
        return;
      case "rec":
        this.line(`${v.name} = ${this.recLiteral(v.rec!)}`);
        return;
      default:
        this.line(`${v.name} = ${this.expr(v.ty, 2)}`);
    }
  }

  /** Strings may grow every iteration (or double, through calls): keep `target` short. */
  private capString(target: string): void {
    this.line(`if len(${target}) > ${this.rng.range(10, 60)}:`);
    this.block(() => this.line(`${target} = ${this.rng.chance(0.5) ? '""' : `str(${this.leaf("int")})`}`));
  }

  /** An indented block; `pass` if the body emitted nothing. */
  private block(body: () => void): void {
    const before = this.out.length;
    this.indent++;
    body();
    if (this.out.length === before) this.line("pass");
    this.indent--;
  }

  /** A statement body of `n` statements (at least one line). */
  private statements(n: number): void {
    for (let i = 0; i < n; i++) this.statement();
  }

  private statement(): void {
    const r = this.rng;
    this.cost += this.mult;
    r.weighted<() => void>([
      [
        8,
        () => {
          const vs = this.scope.filter((v) => v.ty !== "rec" && !this.loopCounters.includes(v.name));
          if (vs.length > 0) this.assign(r.pick(vs));
        },
      ],
      [
        3,
        () => {
          // A field update (with the field's type), on a record variable or G.
          const recs = [...this.vars("rec"), G];
          const rv = r.pick(recs);
          const [f, ty] = r.pick(rv.rec!.fields);
          const e = ty === "int" ? `(${this.expr("int", 1)} + ${rv.name}.${f}) % ${r.pick(MODULI)}` : this.expr(ty, 1);
          this.line(`${rv.name}.${f} = ${e}`);
          if (ty === "str") this.capString(`${rv.name}.${f}`);
        },
      ],
      [
        1,
        () => {
          // Adding a field (a new shape) in a loop; it is only written, never read back.
          const recs = this.vars("rec");
          if (recs.length === 0) return;
          const target = `${r.pick(recs).name}.${r.pick(["p", "q", "w"])}`;
          const ty = r.pick(["int", "str"] as const);
          this.line(`${target} = ${this.expr(ty, 1)}`);
          if (ty === "str") this.capString(target);
        },
      ],
      [
        1,
        () => {
          const recs = this.vars("rec");
          if (recs.length === 0) return;
          const rv = r.pick(recs);
          if (r.chance(0.5)) this.assign(rv);
          else {
            // An alias: both names now see the same record.
            const other = recs.filter((x) => x.rec === rv.rec && x !== rv);
            if (other.length > 0) this.line(`${rv.name} = ${r.pick(other).name}`);
          }
        },
      ],
      [
        3,
        () => {
          this.line(`if ${this.expr("bool", 2)}:`);
          this.block(() => this.statements(r.range(1, 3)));
          if (r.chance(0.3)) {
            this.line(`elif ${this.expr("bool", 1)}:`);
            this.block(() => this.statements(r.range(1, 2)));
          }
          if (r.chance(0.5)) {
            this.line("else:");
            this.block(() => this.statements(r.range(1, 2)));
          }
        },
      ],
      [this.loopDepth < 2 ? 2 : 0, () => this.loop(this.inFunction ? r.range(2, 12) : r.range(2, 30))],
      [2, () => this.print()],
      [
        2,
        () => {
          const fs = this.affordable();
          if (fs.length === 0) return;
          const f = r.pick(fs);
          this.cost += f.cost * this.mult;
          const targets = this.vars(f.ret).filter((v) => !this.loopCounters.includes(v.name));
          const call = `${f.name}(${f.params.map((p) => this.argFor(p, 1)).join(", ")})`;
          if (targets.length > 0 && r.chance(0.7)) {
            const t = r.pick(targets);
            this.line(f.ret === "int" || f.ret === "num" ? `${t.name} = ${call} % ${r.pick(MODULI)}` : `${t.name} = ${call}`);
            if (f.ret === "str") this.capString(t.name);
          } else this.line(call);
        },
      ],
      [
        this.loopCounters.length > 0 ? 1 : 0,
        () => {
          this.line(`if ${this.expr("bool", 1)}:`);
          this.block(() => this.line(r.pick(["break", "continue"])));
        },
      ],
      [this.inFunction ? 0.5 : 0, () => this.earlyReturn()],
    ])();
  }

  private earlyReturn(): void {
    const ret = this.currentRet;
    if (!ret) return;
    this.line(`if ${this.expr("bool", 1)}:`);
    this.block(() => this.line(`return ${this.expr(ret, 1)}`));
  }

  private currentRet: Exclude<Ty, "rec"> | null = null;

  private print(): void {
    // Records print only here: `str(r)` stored in a field of r would grow without bound.
    const e = this.rng.chance(0.5) ? this.anyExpr(2) : `${this.strConst()} + str(${this.anyExpr(1)})`;
    // Inside loops, print every so often only.
    if (this.loopCounters.length > 0 && this.rng.chance(0.8)) {
      const c = this.loopCounters[this.loopCounters.length - 1]!;
      this.line(`if ${c} % ${this.rng.pick([7, 13, 50, 3])} == 0:`);
      this.block(() => this.line(`print(${e})`));
    } else if (this.inFunction) {
      // Functions are called from hot loops.
      this.line(`if G.hits % ${this.rng.pick([20, 50, 100])} == 0:`);
      this.block(() => this.line(`print(${e})`));
    } else this.line(`print(${e})`);
  }

  /** `c = 0; while c < n [and cond]: c = c + 1; body` */
  private loop(n: number): void {
    const c = this.fresh("i");
    const v: Var = { name: c, ty: "int" };
    this.line(`${c} = 0`);
    this.scope.push(v);
    const cond = this.rng.chance(0.2) ? ` and ${this.expr("bool", 1)}` : "";
    this.line(`while ${c} < ${n}${cond}:`);
    this.loopDepth++;
    this.loopCounters.push(c);
    const savedMult = this.mult;
    this.mult *= n;
    this.block(() => {
      this.line(`${c} = ${c} + 1`);
      this.statements(this.rng.range(3, 8));
    });
    this.mult = savedMult;
    this.loopCounters.pop();
    this.loopDepth--;
    // The counter is not initialized if the loop is in a branch not taken: forget it.
    this.scope = this.scope.filter((x) => x !== v);
  }

  // ---- functions and the program ------------------------------------------------------

  private func(index: number): void {
    const r = this.rng;
    const ret = r.pick(["int", "int", "float", "num", "str", "bool"] as const);
    const params: Var[] = [];
    for (let k = r.range(1, 3); k > 0; k--) {
      const ty = r.pick(["int", "int", "float", "num", "str", "rec"] as const);
      params.push(ty === "rec" ? { name: `p${params.length}`, ty, rec: r.pick(REC_TYPES) } : { name: `p${params.length}`, ty });
    }
    const f: Fn = { name: `f${index}`, params, ret, cost: 1 };
    this.cost = 1;
    this.mult = 1;
    const saved = this.scope;
    this.scope = [...params];
    this.inFunction = true;
    this.loopDepth = 1; // one loop level in functions: they are called from hot loops
    this.currentRet = ret;
    this.callable = this.fns.slice(); // earlier functions only: no recursion
    this.line(`def ${f.name}(${params.map((p) => p.name).join(", ")}):`);
    this.block(() => {
      for (const ty of ["int", "float", "num", "str"] as const) {
        if (r.chance(0.6)) {
          const v: Var = { name: this.fresh("t"), ty };
          this.line(`${v.name} = ${this.expr(ty, 1)}`);
          this.scope.push(v);
        }
      }
      if (r.chance(0.5)) this.line(`G.hits = G.hits + 1`);
      this.statements(r.range(1, 4));
      this.line(`return ${this.expr(ret, 2)}`);
    });
    this.line("");
    this.scope = saved;
    this.inFunction = false;
    this.loopDepth = 0;
    f.cost = this.cost;
    this.cost = 0;
    this.currentRet = null;
    this.fns.push(f);
  }

  /** A recursive function with bounded depth: `rec(n)` recurses n % 15 times. */
  private recursive(): void {
    this.line("def rec(n, acc):");
    this.block(() => {
      this.line("if n <= 0:");
      this.block(() => this.line("return acc"));
      this.line(`return rec(n - 1, (acc * 3 + n) % 10007)`);
    });
    this.line("");
    const f: Fn = { name: "rec", params: [{ name: "n", ty: "int" }, { name: "acc", ty: "int" }], ret: "int", cost: 15 };
    // Called only with a small first argument.
    this.recFn = f;
  }
  private recFn: Fn | null = null;

  program(seed: number): string {
    const r = this.rng;
    this.line(`# tiny fuzz program, seed ${seed}`);
    this.line(`G = {hits: 0, acc: 0.0}`);
    const nf = r.range(1, 4);
    for (let i = 0; i < nf; i++) this.func(i);
    if (r.chance(0.5)) this.recursive();
    this.callable = this.fns.slice();
    // Globals, each with one type, all defined before any loop.
    const add = (ty: Ty, init: string, rec?: RecType): void => {
      const prefix = { int: "x", float: "y", num: "z", str: "s", bool: "b", rec: "r" }[ty];
      const v: Var = rec ? { name: this.fresh(prefix), ty, rec } : { name: this.fresh(prefix), ty };
      this.line(`${v.name} = ${init}`);
      this.scope.push(v);
    };
    for (let k = r.range(2, 4); k > 0; k--) add("int", this.intConst());
    for (let k = r.range(1, 2); k > 0; k--) add("float", this.floatConst());
    for (let k = r.range(0, 2); k > 0; k--) add("num", this.rng.chance(0.5) ? this.intConst() : this.floatConst());
    add("str", this.strConst());
    add("bool", r.pick(["True", "False"]));
    for (let k = r.range(1, 3); k > 0; k--) {
      const t = r.pick(REC_TYPES);
      add("rec", this.recLiteral(t), t);
    }
    for (let k = r.range(1, 3); k > 0; k--) {
      // A hot top-level loop, sometimes with a nested one.
      this.loop(r.range(20, 300));
      if (this.recFn && r.chance(0.5)) {
        const v = r.pick(this.vars("int"));
        this.line(`${v.name} = rec(${v.name} % 15, ${this.leaf("int")})`);
      }
    }
    for (const v of this.scope) this.line(`print(${v.name})`);
    this.line("print(G)");
    return this.out.join("\n") + "\n";
  }
}

/** The Tiny program of `seed`. */
export function generateTinyProgram(seed: number): string {
  return new TinyGen(new Rng(seed)).program(seed);
}
