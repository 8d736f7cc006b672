/**
 * @fileoverview Algebraic simplification rules for pure ops, used by the rewrite pass.
 *
 * Every rule here must be *exactly* right for every JS value the operands can have, as
 * far as their kinds say: the JIT never changes results. Kinds come from value kind
 * letters (`n` number, `b` boolean, `s` string, `p` reference, `v` unknown); a rule on
 * numbers applies only when the operand's kind is `n`, because e.g. `x * 1` turns the
 * string "3" into the number 3. JS doubles have traps that rule out the textbook
 * identities, and each rule says why it is sound:
 *
 * - `x + 0` is not `x` (`-0 + 0` is `+0`), but `x + -0` is: `-0 + -0` is `-0`, `+0 + -0`
 *   is `+0`, and NaN/±Infinity are unchanged. `x + 0 => x` holds only when x can never
 *   be -0 (results of integer ops, lengths, char codes).
 * - `x - 0`, `x * 1`, `x / 1`, `x ** 1` are `x` for every double (NaN and -0 included).
 * - `x * 0`, `x - x`, `x / x`, `0 - x` are *not* rewritten (NaN, ±Infinity, -0).
 * - `x ** 0` (or `** -0`) is `1` for every number, NaN included.
 * - `-(-x)` is `x` for every double.
 * - The int ops (`&|^<<>>~`) always produce an int32; `x | 0`, `x ^ 0`, `x & -1`,
 *   `x << 0`, `x >> 0` and `~~x` are `ToInt32(x)`, which is `x` only when x is already an
 *   int32 (never for `>>>` results, which are uint32).
 * - `x < x` and `x > x` are false for every number (NaN compares false); `x <= x` is not
 *   true for NaN, and `x === x` is not true for NaN either, so the `===` rule is limited
 *   to booleans, strings and references.
 * - `!!b`, `truthy(b)`, `b === true` are `b` when b is a boolean; `!!x` is `truthy(x)` and
 *   `!truthy(x)` is `!x` for any x.
 *
 * A value of kind `n` is not always a number: an array item read past the end (or a
 * hole) is `undefined`, whatever the array's element type says, and so is anything
 * computed from it only by moving it around (a loop argument, an input). `undefined - 0`
 * is NaN, not `undefined`, so the rules that answer `x` itself (`x - 0`, `x * 1`,
 * `x / 1`, `x ** 1`, `x + -0`, `-(-x)`) need x to be *certainly a number*: a numeric
 * constant or the result of an arithmetic op. Rules whose answer is a new value (`x ** 0`
 * is 1, `x < x` is false) hold for `undefined` as they do for NaN.
 */

import { type Descr } from "../ir/descr.js";
import { type OpName } from "../ir/ops.js";
import { Const, Op, type Value } from "../ir/trace.js";
import { isConstNumber } from "./rewriter.js";

/** An op to emit instead of the one being simplified. */
export interface OpSpec {
  readonly name: OpName;
  readonly args: Value[];
  readonly descr: Descr | null;
}

/** The outcome of a rule: the op's value is known, or another op computes it. */
export type Simplified = { readonly rule: string; readonly value: Value } | { readonly rule: string; readonly op: OpSpec } | null;

/** Ops whose result is always an int32 (never -0, never NaN). */
const INT32_OPS: ReadonlySet<OpName> = new Set<OpName>(["int_and", "int_or", "int_xor", "int_shl", "int_shr", "int_not"]);
/** Ops whose numeric result is never -0 (besides the int32 ones). */
const NEVER_NEG_ZERO_OPS: ReadonlySet<OpName> = new Set<OpName>(["int_ushr", "str_len", "arraylen", "str_charcodeat"]);

/** Ops whose result is always a number (NaN included), whatever their operands were. */
const NUMBER_OPS: ReadonlySet<OpName> = new Set<OpName>([
  "num_add", "num_sub", "num_mul", "num_div", "num_mod", "num_pow", "num_neg",
  "int_and", "int_or", "int_xor", "int_shl", "int_shr", "int_ushr", "int_not",
  "str_len", "arraylen", "str_charcodeat",
]);

/**
 * True when `v` is certainly a number: a numeric constant or an arithmetic result (a
 * value of kind `n` may also be an `undefined` read past the end of an array).
 */
function isNumber(v: Value): boolean {
  if (v instanceof Const) return typeof v.value === "number";
  return v instanceof Op && NUMBER_OPS.has(v.name);
}

/** True when `v` is certainly an int32 number. */
export function isInt32(v: Value): boolean {
  if (v instanceof Const) return typeof v.value === "number" && (v.value | 0) === v.value && !Object.is(v.value, -0);
  return v instanceof Op && INT32_OPS.has(v.name);
}

/**
 * True when `v` is certainly a number other than -0 (NaN allowed). Besides the ops that
 * never make -0: IEEE addition gives -0 only for -0 + -0, and subtraction only for
 * -0 - +0, so `a + b` is never -0 when one side never is, and `a - b` when `a` never is
 * or `b` is a constant other than +0 (`n - 1`, say). `depth` bounds the walk.
 */
export function neverNegZero(v: Value, depth = 4): boolean {
  if (v instanceof Const) return typeof v.value === "number" && !Object.is(v.value, -0);
  if (isInt32(v) || (v instanceof Op && NEVER_NEG_ZERO_OPS.has(v.name))) return true;
  if (depth === 0 || !(v instanceof Op)) return false;
  const [a, b] = v.args as [Value, Value];
  if (v.name === "num_add") return neverNegZero(a, depth - 1) || neverNegZero(b, depth - 1);
  if (v.name === "num_sub") return neverNegZero(a, depth - 1) || (b instanceof Const && typeof b.value === "number" && !Object.is(b.value, 0));
  return false;
}

function known(value: Value, rule: string): Simplified {
  return { rule, value };
}
function constant(value: unknown, rule: string): Simplified {
  return { rule, value: Const.of(value) };
}
function rewriteTo(name: OpName, args: Value[], rule: string): Simplified {
  return { rule, op: { name, args, descr: null } };
}
/** `v` if it is an op named `name`, else null. */
function opNamed(v: Value, name: OpName): Op | null {
  return v instanceof Op && v.name === name ? v : null;
}
const isNum = (v: Value): boolean => v.kind === "n";
const isBool = (v: Value): boolean => v.kind === "b";

/** `(x, c)` orderings of a commutative op's arguments where `c` satisfies `test`. */
function withConst(args: readonly Value[], commutative: boolean, test: (c: Value) => boolean): Value | null {
  const [a, b] = args as [Value, Value];
  if (test(b) && !(a instanceof Const)) return a;
  if (commutative && test(a) && !(b instanceof Const)) return b;
  return null;
}

/**
 * Simplifies a pure op whose arguments are not all constant. `get` resolves values
 * (arguments of earlier ops may have been forwarded since they were emitted).
 */
export function simplifyAlgebra(spec: OpSpec, get: (v: Value) => Value): Simplified {
  const args = spec.args;
  const [a, b] = args as [Value, Value];
  let x: Value | null;
  switch (spec.name) {
    case "num_add":
      if ((x = withConst(args, true, (c) => isConstNumber(c, -0))) && isNumber(x)) return known(x, "num-add-negzero");
      if ((x = withConst(args, true, (c) => isConstNumber(c, 0))) && isNum(x) && neverNegZero(x)) return known(x, "num-add-zero");
      return null;
    case "num_sub":
      if ((x = withConst(args, false, (c) => isConstNumber(c, 0))) && isNumber(x)) return known(x, "num-sub-zero");
      return null;
    case "num_mul":
      if ((x = withConst(args, true, (c) => isConstNumber(c, 1))) && isNumber(x)) return known(x, "num-mul-one");
      return null;
    case "num_div":
      if ((x = withConst(args, false, (c) => isConstNumber(c, 1))) && isNumber(x)) return known(x, "num-div-one");
      return null;
    case "num_pow":
      if ((x = withConst(args, false, (c) => isConstNumber(c, 1))) && isNumber(x)) return known(x, "num-pow-one");
      if ((x = withConst(args, false, (c) => isConstNumber(c, 0) || isConstNumber(c, -0))) && isNum(x)) return constant(1, "num-pow-zero");
      return null;
    case "num_neg": {
      const inner = opNamed(a, "num_neg");
      const y = inner && get(inner.args[0]!);
      return y && isNumber(y) ? known(y, "num-neg-neg") : null;
    }
    case "int_or":
    case "int_xor":
      x = withConst(args, true, (c) => isConstNumber(c, 0));
      return x && isInt32(x) ? known(x, "int-identity") : null;
    case "int_and":
      x = withConst(args, true, (c) => isConstNumber(c, -1));
      return x && isInt32(x) ? known(x, "int-identity") : null;
    case "int_shl":
    case "int_shr":
      // Shift counts are taken mod 32, so any count ≡ 0 (mod 32) shifts by nothing.
      x = withConst(args, false, (c) => c instanceof Const && typeof c.value === "number" && (c.value & 31) === 0);
      return x && isInt32(x) ? known(x, "int-identity") : null;
    case "int_not": {
      const inner = opNamed(a, "int_not");
      const y = inner && get(inner.args[0]!);
      return y && isInt32(y) ? known(y, "int-not-not") : null;
    }
    case "num_lt":
    case "num_gt":
      return a === b && isNum(a) ? constant(false, "cmp-self-false") : null;
    case "eq":
    case "ne": {
      const isEq = spec.name === "eq";
      if (a === b && (a.kind === "b" || a.kind === "s" || a.kind === "p")) return constant(isEq, "eq-self");
      x = withConst(args, true, (c) => c instanceof Const && typeof c.value === "boolean");
      if (x && isBool(x)) {
        const c = (x === a ? b : a) as Const;
        // b === true and b !== false are b; b === false and b !== true are !b.
        return c.value === isEq ? known(x, "eq-bool-const") : rewriteTo("bool_not", [x], "eq-bool-const");
      }
      return null;
    }
    case "bool_not": {
      const notInner = opNamed(a, "bool_not");
      if (notInner) {
        const y = get(notInner.args[0]!);
        return isBool(y) ? known(y, "bool-not-not") : rewriteTo("truthy", [y], "bool-not-not-truthy");
      }
      const truthyInner = opNamed(a, "truthy");
      if (truthyInner) return rewriteTo("bool_not", [get(truthyInner.args[0]!)], "not-truthy");
      return null;
    }
    case "truthy":
      return isBool(a) ? known(a, "truthy-bool") : null;
    case "type_of": {
      const name = ({ n: "number", b: "boolean", s: "string" } as Record<string, string>)[a.kind];
      return name ? constant(name, "typeof-known-kind") : null;
    }
    case "same_as":
      return known(a, "same-as-forward");
    case "str_concat":
      x = withConst(args, true, (c) => c instanceof Const && c.value === "");
      return x && x.kind === "s" ? known(x, "str-concat-empty") : null;
    case "to_str":
      return a.kind === "s" ? known(a, "to-str-str") : null;
    default:
      return null;
  }
}
