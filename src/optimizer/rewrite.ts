/**
 * @fileoverview The rewrite pass (RPython's `rewrite` + constant folding): one forward
 * walk that folds what is known, simplifies what can be simplified and drops guards
 * that cannot fail.
 *
 * - Pure ops with only constant arguments are run at optimization time with the very
 *   executor the tracer uses (`executeOp`); if running throws, the op stays.
 *   `call_pure` with constant arguments is run likewise (its function is elidable).
 * - Reads of immutable data of constant objects fold: `getfield` of an immutable
 *   (not quasi-immutable) field, `getarrayitem` of an immutable array at a constant
 *   index, `arraylen` of an immutable array.
 * - Algebraic rules from `algebra.ts`, each sound for every JS value of its kinds.
 * - Guards: a guard whose arguments are all constant is evaluated; one that passes is
 *   removed, one that would always fail is kept (the trace then always exits there,
 *   which is still correct). `guard_true(!x)` becomes `guard_false(x)` and
 *   `guard_true(!!x)` becomes `guard_true(x)`. After a guard, what it proved is used:
 *   `guard_value(x, C)` makes x the constant C for the rest of the trace (arguments and
 *   resume data alike), `guard_true(b)` on a boolean makes b `true`, `guard_true(x ===
 *   C)` makes x C, and class / null-ness / truthiness facts make later guards that they
 *   imply redundant; so do they decide `eq(x, null)` and `ne(x, null)` of a value known
 *   non-null (an allocation, or past a guard).
 *
 * Facts from guards are forgotten at a `label`: a label starts a new loop body whose
 * values arrive through the label's arguments. The pass builds a new trace (see
 * `rewriter.ts`); its input is not modified.
 */

import { ArrayDescr, ClassDescr, FieldDescr } from "../ir/descr.js";
import { type OpName, opInfo } from "../ir/ops.js";
import { Const, Op, type Trace, type Value } from "../ir/trace.js";
import { type OpSpec, neverNegZero, simplifyAlgebra } from "./algebra.js";
import { TraceRewriter, allConst, tryRun } from "./rewriter.js";
import { type OptStats, countRule } from "./stats.js";

/**
 * The constant that `y` certainly *is* once `y === c` has been seen to hold, or null.
 * `===` identifies everything except that `-0 === 0`: after `y === 0` (or `-0`), y may be
 * either zero, so it is a known constant only when y can never be -0 (then it is +0).
 */
function identityConst(y: Value, c: Const): Const | null {
  if (typeof c.value !== "number" || c.value !== 0) return Number.isNaN(c.value) ? null : c;
  return neverNegZero(y) ? Const.of(0) : null;
}

/** What guards have proved about values of the output trace. */
class Facts {
  readonly truthy = new Map<Value, boolean>();
  readonly nonnull = new Set<Value>();
  readonly isnull = new Set<Value>();
  readonly cls = new Map<Value, ClassDescr>();
  clear(): void {
    this.truthy.clear();
    this.nonnull.clear();
    this.isnull.clear();
    this.cls.clear();
  }
}

class RewritePass {
  private readonly rw: TraceRewriter;
  private readonly facts = new Facts();

  constructor(
    trace: Trace,
    private readonly stats: OptStats | undefined,
  ) {
    this.rw = new TraceRewriter(trace);
  }

  private count(rule: string): void {
    countRule(this.stats, rule);
  }

  run(): Trace {
    for (const op of this.rw.source.ops) {
      const info = op.info;
      if (op.name === "label") this.facts.clear();
      if (info.guard) this.guard(op);
      else if (info.pure) this.pure(op);
      else if (info.heapRead) this.heapRead(op);
      else {
        const out = this.rw.emit(op);
        if (info.alloc) {
          this.facts.nonnull.add(out);
          if (out.descr instanceof ClassDescr) this.facts.cls.set(out, out.descr);
        }
      }
    }
    return this.rw.finish();
  }

  /** Pure ops and call_pure: fold, simplify (repeatedly), or keep. */
  private pure(op: Op): void {
    let spec: OpSpec = { name: op.name, args: this.rw.args(op), descr: op.descr };
    for (let step = 0; step < 8; step++) {
      const info = opInfo(spec.name);
      if (allConst(spec.args)) {
        const r = tryRun(spec.name, spec.args, spec.descr);
        if (r) {
          this.count(info.call ? "fold-elidable-call" : "fold-pure-const");
          this.rw.replace(op, Const.of(r.value));
          return;
        }
        break;
      }
      if (info.call) break;
      const nullTest = this.nullTest(spec);
      if (nullTest !== null) {
        this.count("null-test-known");
        this.rw.replace(op, Const.of(nullTest));
        return;
      }
      const s = simplifyAlgebra(spec, (v) => this.rw.get(v));
      if (!s) break;
      this.count(s.rule);
      if ("value" in s) {
        this.rw.replace(op, s.value);
        return;
      }
      spec = s.op;
    }
    this.rw.emit(op, spec.name, spec.args, spec.descr);
  }

  /**
   * `eq(x, null)` / `ne(x, null)` (either order) when x is known to be neither null nor
   * undefined (an allocation, or past a guard): the answer, else null. (Known `== null`
   * decides nothing: x may be undefined.)
   */
  private nullTest(spec: OpSpec): boolean | null {
    if (spec.name !== "eq" && spec.name !== "ne") return null;
    const [a, b] = spec.args;
    const x = a instanceof Const && a.value === null ? b : b instanceof Const && b.value === null ? a : null;
    if (!x || x instanceof Const || !this.facts.nonnull.has(x)) return null;
    return spec.name === "ne";
  }

  /** Reads of immutable data of constant objects fold; other reads stay. */
  private heapRead(op: Op): void {
    const args = this.rw.args(op);
    const d = op.descr;
    let rule: string | null = null;
    if (op.name === "getfield" && d instanceof FieldDescr && d.immutable && !d.quasiImmutable) rule = "fold-readonly-field";
    else if (op.name === "getarrayitem" && d instanceof ArrayDescr && d.immutable) rule = "fold-readonly-item";
    else if (op.name === "arraylen" && d instanceof ArrayDescr && d.immutable) rule = "fold-readonly-arraylen";
    if (rule && allConst(args)) {
      const r = tryRun(op.name, args, d);
      if (r) {
        this.count(rule);
        this.rw.replace(op, Const.of(r.value));
        return;
      }
    }
    this.rw.emit(op, op.name, args);
  }

  private guard(op: Op): void {
    let name = op.name;
    let args = this.rw.args(op);
    // guard_true(!x) => guard_false(x); guard_true(!!x) => guard_true(x) (any x).
    while ((name === "guard_true" || name === "guard_false") && args[0] instanceof Op) {
      const inner = args[0];
      if (inner.name === "bool_not") {
        name = name === "guard_true" ? "guard_false" : "guard_true";
        this.count("guard-not-flip");
      } else if (inner.name === "truthy") {
        this.count("guard-truthy-strip");
      } else break;
      args = [this.rw.get(inner.args[0]!)];
    }
    if (args.length > 0 && allConst(args)) {
      const r = tryRun(name, args, op.descr);
      if (r && r.value) {
        this.count("guard-const-true");
        return;
      }
      // Always fails (or cannot be decided): keep it, the trace exits here.
      this.rw.emit(op, name, args);
      return;
    }
    if (this.implied(name, args, op)) {
      this.count("guard-implied");
      return;
    }
    this.rw.emit(op, name, args);
    this.learn(name, args, op);
  }

  /** True when earlier guards (or allocations) already prove that this guard passes. */
  private implied(name: OpName, args: readonly Value[], op: Op): boolean {
    const x = args[0];
    if (x === undefined) return false;
    const f = this.facts;
    switch (name) {
      case "guard_true":
        return f.truthy.get(x) === true || (x.kind === "p" && f.nonnull.has(x));
      case "guard_false":
        return f.truthy.get(x) === false || f.isnull.has(x);
      case "guard_nonnull":
        return f.nonnull.has(x);
      case "guard_isnull":
        return f.isnull.has(x);
      case "guard_class":
        return op.descr !== null && f.cls.get(x) === op.descr;
      default:
        return false;
    }
  }

  /** Records what a guard that passed proves about its arguments. */
  private learn(name: OpName, args: readonly Value[], op: Op): void {
    const [x, c] = args;
    if (x === undefined) return;
    const f = this.facts;
    switch (name) {
      case "guard_true":
      case "guard_false": {
        const truth = name === "guard_true";
        f.truthy.set(x, truth);
        if (truth && x.kind === "p") f.nonnull.add(x);
        if (x.kind === "b") {
          this.count("guard-bool-makes-const");
          this.rw.replace(x, Const.of(truth));
        }
        // guard_true(y === C) / guard_false(y !== C): y is C from here on.
        if (x instanceof Op && x.name === (truth ? "eq" : "ne")) this.learnIdentity(x.args.map((v) => this.rw.get(v)), "guard-eq-makes-const");
        break;
      }
      case "guard_value":
        if (c !== undefined) this.learnIdentity([x, c], "guard-value-makes-const");
        break;
      case "guard_nonnull":
        f.nonnull.add(x);
        break;
      case "guard_isnull":
        f.isnull.add(x);
        break;
      case "guard_class":
        f.nonnull.add(x);
        if (op.descr instanceof ClassDescr) f.cls.set(x, op.descr);
        break;
    }
  }

  /** `a === b` holds from here on: if one side is a constant, the other becomes it. */
  private learnIdentity([a, b]: readonly Value[], rule: string): void {
    if (a === undefined || b === undefined) return;
    const [y, c] = b instanceof Const ? [a, b] : [b, a];
    if (y instanceof Const || !(c instanceof Const)) return;
    const k = identityConst(y, c);
    if (!k) return;
    this.count(rule);
    this.rw.replace(y, k);
  }
}

/** The rewrite pass: constant folding, algebraic simplification, guard elimination. */
export function rewrite(trace: Trace, stats?: OptStats): Trace {
  return new RewritePass(trace, stats).run();
}
