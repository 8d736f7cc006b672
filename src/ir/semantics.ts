/**
 * @fileoverview What every op of the table computes, spelled once as a JS expression.
 *
 * The backend splices these spellings into the source of a compiled trace; the
 * executor (`executeOp`) compiles the same spelling into a small closure, so the tracer,
 * the blackhole interpreter, the optimizer's constant folding and the compiled code can
 * never disagree about an op's meaning. A spelling only ever contains value names,
 * identifiers the translator checked (field and method names) and `ref(x)`, a reference
 * to the backend's constant side table: guest data never enters source text.
 *
 * Guards are spelled as the condition under which the guard *passes*.
 */

import { type Descr, ArrayDescr, BLANK_ALLOCATION, CallDescr, ClassDescr, FieldDescr, TargetToken } from "./descr.js";
import { type OpName } from "./ops.js";
import { fieldWritten, Validity } from "./quasi-immutable.js";

/** Returns the source text that refers to a constant in the side table. */
export type ConstRef = (value: unknown) => string;

/** Spells an op given the source text of its arguments. */
export type Spelling = (args: readonly string[], descr: Descr | null, ref: ConstRef) => string;

const bin = (op: string): Spelling => (a) => `(${a[0]} ${op} ${a[1]})`;
const un = (op: string): Spelling => (a) => `(${op}${a[0]})`;
const none: Spelling = () => {
  throw new Error("this op has no JS spelling");
};

function field(d: Descr | null): FieldDescr {
  if (!(d instanceof FieldDescr)) throw new Error("field op without FieldDescr");
  return d;
}
function array(d: Descr | null): ArrayDescr {
  if (!(d instanceof ArrayDescr)) throw new Error("array op without ArrayDescr");
  return d;
}
function target(d: Descr | null): TargetToken {
  if (!(d instanceof TargetToken)) throw new Error("call_assembler without a TargetToken");
  return d;
}
function cls(d: Descr | null): ClassDescr {
  if (!(d instanceof ClassDescr) || !d.ctor) throw new Error("class op without a constructor");
  return d;
}

/** The spelling of a call: `f(a, b)`, `recv.m(a)` or a builtin's template. */
function spellCall(a: readonly string[], d: Descr | null): string {
  if (!(d instanceof CallDescr)) throw new Error("call without CallDescr");
  const s = d.spelling;
  switch (s.kind) {
    case "function":
      return `${a[0]}(${a.slice(1).join(", ")})`;
    case "method":
      return `${a[1]}.${s.method}(${a.slice(2).join(", ")})`;
    case "template":
      return s.template.replace(/\$(\d+)/g, (_, i: string) => a[Number(i)] ?? "undefined");
  }
}

/** The longest `new_array` of a constant length spelled as an array literal. */
const MAX_LITERAL_ARRAY = 16;

/** The JS spelling of every op. */
export const SPELLINGS: Record<OpName, Spelling> = {
  num_add: bin("+"),
  num_sub: bin("-"),
  num_mul: bin("*"),
  num_div: bin("/"),
  num_mod: bin("%"),
  num_pow: bin("**"),
  num_neg: un("-"),
  int_and: bin("&"),
  int_or: bin("|"),
  int_xor: bin("^"),
  int_shl: bin("<<"),
  int_shr: bin(">>"),
  int_ushr: bin(">>>"),
  int_not: un("~"),
  num_lt: bin("<"),
  num_le: bin("<="),
  num_gt: bin(">"),
  num_ge: bin(">="),
  eq: bin("==="),
  ne: bin("!=="),
  bool_not: un("!"),
  truthy: un("!!"),
  type_of: (a) => `(typeof ${a[0]})`,
  instance_of: (a, d, ref) => `(${a[0]} instanceof ${ref(cls(d).ctor)})`,
  same_as: (a) => a[0]!,
  str_concat: bin("+"),
  to_str: (a) => `("" + ${a[0]})`,
  str_len: (a) => `${a[0]}.length`,
  str_charcodeat: (a) => `${a[0]}.charCodeAt(${a[1]})`,
  str_getchar: (a) => `${a[0]}[${a[1]}]`,
  getfield: (a, d) => `${a[0]}.${field(d).field}`,
  setfield: (a, d, ref) => {
    const f = field(d);
    // A write of a quasi-immutable field invalidates the traces that folded it.
    return f.quasiImmutable ? `(${a[0]}.${f.field} = ${a[1]}, ${ref(fieldWritten)}(${a[0]}, "${f.field}"))` : `(${a[0]}.${f.field} = ${a[1]})`;
  },
  getarrayitem: (a) => `${a[0]}[${a[1]}]`,
  setarrayitem: (a) => `(${a[0]}[${a[1]}] = ${a[2]})`,
  arraylen: (a) => `${a[0]}.length`,
  new: (_a, d, ref) => `new ${ref(cls(d).ctor)}(${ref(BLANK_ALLOCATION)})`,
  new_array: (a, d) => {
    const ad = array(d);
    if (ad.flavour !== "Array") return `new ${ad.flavour}(${a[0]}).fill(${a[1]})`;
    // A small constant length is spelled as a literal: the same dense array, and V8
    // makes it some ten times faster than `new Array(n).fill(v)` (a frame's stack).
    const n = /^\d+$/.test(a[0]!) ? Number(a[0]) : -1;
    if (n >= 0 && n <= MAX_LITERAL_ARRAY) return `[${new Array<string>(n).fill(a[1]!).join(", ")}]`;
    return `new Array(${a[0]}).fill(${a[1]})`;
  },
  call: (a, d) => spellCall(a, d),
  call_pure: (a, d) => spellCall(a, d),
  call_assembler: (a, d, ref) => `${ref(target(d))}.assembler(${a.join(", ")})`,
  guard_true: (a) => `${a[0]}`,
  guard_false: (a) => `!${a[0]}`,
  guard_value: (a) => `(${a[0]} === ${a[1]})`,
  guard_class: (a, d, ref) => `(${a[0]} != null && ${a[0]}.constructor === ${ref(cls(d).ctor)})`,
  guard_nonnull: (a) => `(${a[0]} != null)`,
  guard_isnull: (a) => `(${a[0]} == null)`,
  guard_no_exception: none,
  guard_not_invalidated: (_a, d, ref) => {
    if (!(d instanceof Validity)) throw new Error("guard_not_invalidated without a Validity");
    return `${ref(d)}.valid`;
  },
  label: none,
  jump: none,
  finish: none,
  debug_merge_point: none,
};

/**
 * What the condition of a failed guard named `name` was, when it is a boolean: a failed
 * `guard_true(b)` means `b` is false, a failed `guard_false(b)` that it is true. Null
 * for the other guards. A bridge traces on with the condition as this constant, and the
 * backend spells it so in the guard's exit.
 */
export function failedConditionValue(name: OpName): boolean | null {
  return name === "guard_true" ? false : name === "guard_false" ? true : null;
}

type Executor = (args: readonly unknown[]) => unknown;
/**
 * Executors by op name, then descriptor (by identity), then number of arguments. The
 * tracer and the blackhole interpreter run every op through here: a string key built
 * per call cost more than the lookups.
 */
const executors = new Map<OpName, Map<Descr | null, Executor[]>>();

/**
 * Runs one op on concrete values, exactly as compiled code would. For a guard, the
 * result is true when the guard passes. Closures are cached per op and descriptor.
 */
export function executeOp(name: OpName, args: readonly unknown[], descr: Descr | null): unknown {
  let byDescr = executors.get(name);
  if (byDescr === undefined) executors.set(name, (byDescr = new Map()));
  let byArity = byDescr.get(descr);
  if (byArity === undefined) byDescr.set(descr, (byArity = []));
  let ex = byArity[args.length];
  if (ex === undefined) {
    const consts: unknown[] = [];
    const ref: ConstRef = (v) => {
      consts.push(v);
      return `K[${consts.length - 1}]`;
    };
    const argNames = Array.from({ length: args.length }, (_, i) => `A[${i}]`);
    const src = `return ${SPELLINGS[name](argNames, descr, ref)};`;
    ex = new Function("K", `return function (A) { ${src} };`)(consts) as Executor;
    byArity[args.length] = ex;
  }
  return ex(args);
}
