/**
 * @fileoverview The trace IR's operation table: every operation a trace can hold is
 * defined here once, with its arity, result kind, descriptor kind and flags.
 *
 * Everything else is typed against this table: the executor and the backend's JS
 * spellings (`semantics.ts`) and the printer/parser are `Record<OpName, …>`, so adding
 * an op without teaching every consumer about it fails to type-check. Optimizer passes
 * handle the ops they know and pass the rest through.
 *
 * Semantics are JavaScript's own: `num_add` is JS `+` on two numbers, `int_and` is JS
 * `&`, `eq` is `===`. The interpreter being traced is JavaScript once its types are
 * stripped, so the compiled trace computes exactly what the interpreter would have.
 *
 * Value kinds (the letter that prefixes a value's name in the text format):
 * `n` number, `b` boolean, `s` string, `p` reference (object, array, null),
 * `v` any value whose kind is not known statically, `-` no value.
 */

/** The kind of a trace value. */
export type Kind = "n" | "b" | "s" | "p" | "v";
/** A result kind: a value kind, `-` for none, or `descr` when the descriptor decides. */
export type ResultKind = Kind | "-" | "descr";
/** What a descriptor attached to an op describes. */
export type DescrKind = "none" | "field" | "array" | "class" | "call" | "target" | "location" | "validity";

/** Static facts about one operation. */
export interface OpInfo {
  /** Number of arguments, or -1 for variadic. */
  readonly arity: number;
  readonly result: ResultKind;
  readonly descr: DescrKind;
  /** No side effects and no dependence on mutable state: foldable and CSE-able. */
  readonly pure?: true;
  /** Arguments may be swapped (for CSE keys and folding rules). */
  readonly commutative?: true;
  /** A guard: leaves the trace through its resume data when its condition fails. */
  readonly guard?: true;
  /** Reads the heap (fields, array items, lengths). */
  readonly heapRead?: true;
  /** Writes the heap. */
  readonly heapWrite?: true;
  /** Allocates a new object or array. */
  readonly alloc?: true;
  /** A call: its effects come from its CallDescr. */
  readonly call?: true;
  /** Ends a trace (jump; finish: the portal returns its argument). */
  readonly final?: true;
  /** Produces no code (labels, debug markers). */
  readonly marker?: true;
}

const PURE_NN_N = { arity: 2, result: "n", descr: "none", pure: true } as const;
const PURE_NN_N_COMM = { ...PURE_NN_N, commutative: true } as const;
const PURE_NN_B = { arity: 2, result: "b", descr: "none", pure: true } as const;
const GUARD1 = { arity: 1, result: "-", descr: "none", guard: true } as const;

/** The operation table. Order groups related ops; nothing depends on it. */
export const OPS = {
  // ---- numbers (JS doubles, JS operators) ----
  num_add: PURE_NN_N_COMM,
  num_sub: PURE_NN_N,
  num_mul: PURE_NN_N_COMM,
  num_div: PURE_NN_N,
  num_mod: PURE_NN_N,
  num_pow: PURE_NN_N,
  num_neg: { arity: 1, result: "n", descr: "none", pure: true },
  int_and: PURE_NN_N_COMM,
  int_or: PURE_NN_N_COMM,
  int_xor: PURE_NN_N_COMM,
  int_shl: PURE_NN_N,
  int_shr: PURE_NN_N,
  int_ushr: PURE_NN_N,
  int_not: { arity: 1, result: "n", descr: "none", pure: true },
  num_lt: PURE_NN_B,
  num_le: PURE_NN_B,
  num_gt: PURE_NN_B,
  num_ge: PURE_NN_B,
  // ---- any values ----
  eq: { arity: 2, result: "b", descr: "none", pure: true, commutative: true },
  ne: { arity: 2, result: "b", descr: "none", pure: true, commutative: true },
  bool_not: { arity: 1, result: "b", descr: "none", pure: true },
  truthy: { arity: 1, result: "b", descr: "none", pure: true },
  type_of: { arity: 1, result: "s", descr: "none", pure: true },
  instance_of: { arity: 1, result: "b", descr: "class", pure: true },
  same_as: { arity: 1, result: "v", descr: "none", pure: true },
  // ---- strings ----
  str_concat: { arity: 2, result: "s", descr: "none", pure: true },
  /** `"" + x` of a number, boolean or string (the tracer records a call for anything else). */
  to_str: { arity: 1, result: "s", descr: "none", pure: true },
  str_len: { arity: 1, result: "n", descr: "none", pure: true },
  str_charcodeat: { arity: 2, result: "n", descr: "none", pure: true },
  str_getchar: { arity: 2, result: "s", descr: "none", pure: true },
  // ---- heap ----
  getfield: { arity: 1, result: "descr", descr: "field", heapRead: true },
  setfield: { arity: 2, result: "-", descr: "field", heapWrite: true },
  getarrayitem: { arity: 2, result: "descr", descr: "array", heapRead: true },
  setarrayitem: { arity: 3, result: "-", descr: "array", heapWrite: true },
  arraylen: { arity: 1, result: "n", descr: "array", heapRead: true },
  new: { arity: 0, result: "p", descr: "class", alloc: true },
  new_array: { arity: 2, result: "p", descr: "array", alloc: true },
  // ---- calls (effects in the CallDescr; arg 0 is the function) ----
  call: { arity: -1, result: "descr", descr: "call", call: true },
  call_pure: { arity: -1, result: "descr", descr: "call", call: true, pure: true },
  /**
   * A call of the portal (a guest function call) whose callee runs the compiled code
   * entered at the target token, RPython's call_assembler. The arguments are the red
   * values at the callee's first merge point; the result is what the portal returns.
   * Effects: anything (as a residual call with effects `all`); can raise.
   */
  call_assembler: { arity: -1, result: "v", descr: "target", call: true },
  // ---- guards ----
  guard_true: GUARD1,
  guard_false: GUARD1,
  guard_value: { arity: 2, result: "-", descr: "none", guard: true },
  guard_class: { arity: 1, result: "-", descr: "class", guard: true },
  guard_nonnull: GUARD1,
  guard_isnull: GUARD1,
  guard_no_exception: { arity: 0, result: "-", descr: "none", guard: true },
  /**
   * Passes while the trace's Validity (its descr) holds: no quasi-immutable field the
   * trace folded has been written since it was recorded (see ir/quasi-immutable.ts).
   * The tracer puts one before the first folded read and again after each call that
   * may have written one; it tests no value, so CSE never merges two of them.
   */
  guard_not_invalidated: { arity: 0, result: "-", descr: "validity", guard: true },
  // ---- control ----
  label: { arity: -1, result: "-", descr: "target", marker: true },
  jump: { arity: -1, result: "-", descr: "target", final: true },
  finish: { arity: -1, result: "-", descr: "none", final: true },
  debug_merge_point: { arity: 0, result: "-", descr: "location", marker: true },
} as const satisfies Record<string, OpInfo>;

/** The name of a trace operation. */
export type OpName = keyof typeof OPS;

/** Every op name, in table order. */
export const OP_NAMES = Object.keys(OPS) as OpName[];

/** Facts about `name`. */
export function opInfo(name: OpName): OpInfo {
  return OPS[name];
}

/** True when `name` is an op of the table. */
export function isOpName(name: string): name is OpName {
  return Object.prototype.hasOwnProperty.call(OPS, name);
}
