/**
 * @fileoverview The values of Tiny: every guest value is a boxed object of one of the
 * classes below (`W_Int`, `W_Float`, `W_Str`, `W_Bool`, `W_None`, `W_Object`,
 * `W_Function`), all subclasses of `W_Root`. The interpreter never looks at a value's
 * class itself: it calls virtual methods (`left.add(right)`, `left.lt(right)`,
 * `value.isTrue()`, `obj.getField(name)`), which dispatch on the receiver's class.
 *
 * Binary operators dispatch twice. `left.add(right)` dispatches on the left operand's
 * class; a number on the left then calls `right.addNum(leftValue, leftIsFloat)`, which
 * dispatches on the right operand's class (a string calls `right.addStr(leftValue)`).
 * The base class's versions raise the type error, so every combination nobody defines
 * is an error. In a trace each dispatch is a `guard_class`.
 *
 * This is written the naive way on purpose: every arithmetic result is a fresh box, and
 * records keep their fields in an array indexed through a shared *shape* (PyPy's "maps"):
 * objects with the same fields added in the same order share one immutable Shape,
 * which maps field names to slot indices. Field access promotes the shape and looks the
 * name up with an elidable function, so in a trace it becomes a read at a constant
 * index behind one `guard_value` on the shape.
 *
 * Semantics decided here (see README.md): ints are exact integers of magnitude at most
 * 2**53 - 1 (anything outside is an "integer overflow" error); int / int is floor
 * division and % takes the sign of the divisor (Python's // and %); any float operand
 * makes the operation a float operation; division or modulo by zero (int or float) is an
 * error; `==` compares numbers by value across int and float, strings by contents, and
 * every other value by identity.
 */

import { dontLookInside, elidable, promote } from "tsjit/hints";
import { GuestError } from "tsjit/io";
import type { Code } from "./bytecode.js";

/**
 * A run-time error of the guest program, not yet tagged with its source line (the
 * dispatch loop adds the line and turns it into a plain GuestError).
 */
export class RuntimeError extends GuestError {}

/** The largest integer magnitude a W_Int holds exactly (2**53 - 1). */
export const MAX_INT = 9007199254740991;

/** The base class of every guest value. Its methods raise the type errors. */
export class W_Root {
  /** The type's name in error messages. */
  typeName(): string {
    return "object";
  }
  /** Truthiness: None, False, 0, 0.0 and "" are false; everything else is true. */
  isTrue(): boolean {
    return true;
  }
  /** The text `print` and `str` produce. */
  str(): string {
    return "<" + this.typeName() + ">";
  }
  /** The text of the value inside a printed record (strings get quotes). */
  repr(): string {
    return this.str();
  }

  // ---- binary operators; `this` is the left operand ----

  add(o: W_Root): W_Root {
    throw binopError("+", this.typeName(), o.typeName());
  }
  sub(o: W_Root): W_Root {
    throw binopError("-", this.typeName(), o.typeName());
  }
  mul(o: W_Root): W_Root {
    throw binopError("*", this.typeName(), o.typeName());
  }
  div(o: W_Root): W_Root {
    throw binopError("/", this.typeName(), o.typeName());
  }
  mod(o: W_Root): W_Root {
    throw binopError("%", this.typeName(), o.typeName());
  }
  /** Negative, zero or positive as `this` is less than, equal to or greater than `o`; NaN if unordered. */
  compare(o: W_Root, op: string): number {
    throw compareError(op, this.typeName(), o.typeName());
  }
  lt(o: W_Root): W_Bool {
    return boolOf(this.compare(o, "<") < 0);
  }
  le(o: W_Root): W_Bool {
    return boolOf(this.compare(o, "<=") <= 0);
  }
  gt(o: W_Root): W_Bool {
    return boolOf(this.compare(o, ">") > 0);
  }
  ge(o: W_Root): W_Bool {
    return boolOf(this.compare(o, ">=") >= 0);
  }
  /** Guest `==`: identity unless a class says otherwise. */
  eq(o: W_Root): boolean {
    return this === o;
  }
  neg(): W_Root {
    throw new RuntimeError("bad operand type for unary -: '" + this.typeName() + "'");
  }

  // ---- the second dispatch: `this` is the right operand, the left one was a number or a string ----

  addNum(_l: number, lf: boolean): W_Root {
    throw binopError("+", numName(lf), this.typeName());
  }
  subNum(_l: number, lf: boolean): W_Root {
    throw binopError("-", numName(lf), this.typeName());
  }
  mulNum(_l: number, lf: boolean): W_Root {
    throw binopError("*", numName(lf), this.typeName());
  }
  divNum(_l: number, lf: boolean): W_Root {
    throw binopError("/", numName(lf), this.typeName());
  }
  modNum(_l: number, lf: boolean): W_Root {
    throw binopError("%", numName(lf), this.typeName());
  }
  compareNum(_l: number, lf: boolean, op: string): number {
    throw compareError(op, numName(lf), this.typeName());
  }
  eqNum(_l: number): boolean {
    return false;
  }
  addStr(_l: string): W_Root {
    throw binopError("+", "str", this.typeName());
  }
  compareStr(_l: string, op: string): number {
    throw compareError(op, "str", this.typeName());
  }
  eqStr(_l: string): boolean {
    return false;
  }

  // ---- records ----

  getField(name: string): W_Root {
    throw new RuntimeError("'" + this.typeName() + "' value has no field '" + name + "'");
  }
  setField(name: string, _value: W_Root): void {
    throw new RuntimeError("cannot set field '" + name + "' of a '" + this.typeName() + "' value");
  }

  // ---- calls ----

  /** The code to run for a call with `nargs` arguments (checks callability and arity). */
  callee(_nargs: number): Code {
    throw new RuntimeError("'" + this.typeName() + "' value is not callable");
  }

  // ---- built-in functions ----

  toInt(): W_Root {
    throw new RuntimeError("int() needs a number or a string, not '" + this.typeName() + "'");
  }
  toFloat(): W_Root {
    throw new RuntimeError("float() needs a number or a string, not '" + this.typeName() + "'");
  }
  length(): W_Root {
    throw new RuntimeError("len() needs a string, not '" + this.typeName() + "'");
  }
  sqrt(): W_Root {
    throw new RuntimeError("sqrt() needs a number, not '" + this.typeName() + "'");
  }
}

export class W_Int extends W_Root {
  readonly value: number;
  constructor(value: number) {
    super();
    this.value = value;
  }
  override typeName(): string {
    return "int";
  }
  override isTrue(): boolean {
    return this.value !== 0;
  }
  override str(): string {
    return String(this.value);
  }
  override add(o: W_Root): W_Root {
    return o.addNum(this.value, false);
  }
  override sub(o: W_Root): W_Root {
    return o.subNum(this.value, false);
  }
  override mul(o: W_Root): W_Root {
    return o.mulNum(this.value, false);
  }
  override div(o: W_Root): W_Root {
    return o.divNum(this.value, false);
  }
  override mod(o: W_Root): W_Root {
    return o.modNum(this.value, false);
  }
  override compare(o: W_Root, op: string): number {
    return o.compareNum(this.value, false, op);
  }
  override eq(o: W_Root): boolean {
    return o.eqNum(this.value);
  }
  override neg(): W_Root {
    return newInt(-this.value);
  }
  override addNum(l: number, lf: boolean): W_Root {
    return lf ? new W_Float(l + this.value) : newInt(l + this.value);
  }
  override subNum(l: number, lf: boolean): W_Root {
    return lf ? new W_Float(l - this.value) : newInt(l - this.value);
  }
  override mulNum(l: number, lf: boolean): W_Root {
    return lf ? new W_Float(l * this.value) : newInt(l * this.value);
  }
  override divNum(l: number, lf: boolean): W_Root {
    if (this.value === 0) throw new RuntimeError("division by zero");
    return lf ? new W_Float(l / this.value) : newInt(floorDiv(l, this.value));
  }
  override modNum(l: number, lf: boolean): W_Root {
    if (this.value === 0) throw new RuntimeError("modulo by zero");
    return lf ? new W_Float(floatMod(l, this.value)) : newInt(intMod(l, this.value));
  }
  override compareNum(l: number, _lf: boolean, _op: string): number {
    return compareNumbers(l, this.value);
  }
  override eqNum(l: number): boolean {
    return l === this.value;
  }
  override toInt(): W_Root {
    return this;
  }
  override toFloat(): W_Root {
    return new W_Float(this.value);
  }
  override sqrt(): W_Root {
    return new W_Float(Math.sqrt(this.value));
  }
}

export class W_Float extends W_Root {
  readonly value: number;
  constructor(value: number) {
    super();
    this.value = value;
  }
  override typeName(): string {
    return "float";
  }
  override isTrue(): boolean {
    return this.value !== 0;
  }
  override str(): string {
    return formatFloat(this.value);
  }
  override add(o: W_Root): W_Root {
    return o.addNum(this.value, true);
  }
  override sub(o: W_Root): W_Root {
    return o.subNum(this.value, true);
  }
  override mul(o: W_Root): W_Root {
    return o.mulNum(this.value, true);
  }
  override div(o: W_Root): W_Root {
    return o.divNum(this.value, true);
  }
  override mod(o: W_Root): W_Root {
    return o.modNum(this.value, true);
  }
  override compare(o: W_Root, op: string): number {
    return o.compareNum(this.value, true, op);
  }
  override eq(o: W_Root): boolean {
    return o.eqNum(this.value);
  }
  override neg(): W_Root {
    return new W_Float(-this.value);
  }
  override addNum(l: number, _lf: boolean): W_Root {
    return new W_Float(l + this.value);
  }
  override subNum(l: number, _lf: boolean): W_Root {
    return new W_Float(l - this.value);
  }
  override mulNum(l: number, _lf: boolean): W_Root {
    return new W_Float(l * this.value);
  }
  override divNum(l: number, _lf: boolean): W_Root {
    if (this.value === 0) throw new RuntimeError("division by zero");
    return new W_Float(l / this.value);
  }
  override modNum(l: number, _lf: boolean): W_Root {
    if (this.value === 0) throw new RuntimeError("modulo by zero");
    return new W_Float(floatMod(l, this.value));
  }
  override compareNum(l: number, _lf: boolean, _op: string): number {
    return compareNumbers(l, this.value);
  }
  override eqNum(l: number): boolean {
    return l === this.value;
  }
  override toInt(): W_Root {
    const v = this.value;
    if (v !== v || v === Infinity || v === -Infinity) throw new RuntimeError("cannot convert float " + formatFloat(v) + " to int");
    return newInt(Math.trunc(v));
  }
  override toFloat(): W_Root {
    return this;
  }
  override sqrt(): W_Root {
    return new W_Float(Math.sqrt(this.value));
  }
}

export class W_Str extends W_Root {
  readonly value: string;
  constructor(value: string) {
    super();
    this.value = value;
  }
  override typeName(): string {
    return "str";
  }
  override isTrue(): boolean {
    return this.value.length > 0;
  }
  override str(): string {
    return this.value;
  }
  override repr(): string {
    return quoteString(this.value);
  }
  override add(o: W_Root): W_Root {
    return o.addStr(this.value);
  }
  override addStr(l: string): W_Root {
    return new W_Str(l + this.value);
  }
  override compare(o: W_Root, op: string): number {
    return o.compareStr(this.value, op);
  }
  override compareStr(l: string, _op: string): number {
    return compareStrings(l, this.value);
  }
  override eq(o: W_Root): boolean {
    return o.eqStr(this.value);
  }
  override eqStr(l: string): boolean {
    return l === this.value;
  }
  override toInt(): W_Root {
    return parseIntLiteral(this.value);
  }
  override toFloat(): W_Root {
    return parseFloatLiteral(this.value);
  }
  override length(): W_Root {
    return newInt(this.value.length);
  }
}

/** True and False: two instances, compared by identity. */
export class W_Bool extends W_Root {
  readonly value: boolean;
  constructor(value: boolean) {
    super();
    this.value = value;
  }
  override typeName(): string {
    return "bool";
  }
  override isTrue(): boolean {
    return this.value;
  }
  override str(): string {
    return this.value ? "True" : "False";
  }
}

/** None: one instance. */
export class W_None extends W_Root {
  override typeName(): string {
    return "none";
  }
  override isTrue(): boolean {
    return false;
  }
  override str(): string {
    return "None";
  }
}

export const w_None = new W_None();
export const w_True = new W_Bool(true);
export const w_False = new W_Bool(false);

/** The guest boolean of a host boolean. */
export function boolOf(b: boolean): W_Bool {
  return b ? w_True : w_False;
}

/**
 * The layout of a record: its field names in order. Immutable, and shared by every
 * record whose fields were added in that order (adding a field moves a record to the
 * child shape, created once per parent and name).
 */
export class Shape {
  readonly names: readonly string[];
  /** Field name -> slot index. */
  readonly slotOf: Map<string, number>;
  /** The child shapes: this one plus one more field. Grows, but only as a cache. */
  readonly transitions: Map<string, Shape>;
  constructor(names: readonly string[]) {
    this.names = names;
    this.slotOf = new Map(names.map((n, i) => [n, i]));
    this.transitions = new Map();
  }
}

/** The shape of `{}`. */
export const EMPTY_SHAPE = new Shape([]);

/** The slot of field `name` in records of `shape`, or -1. */
export function shapeSlot(shape: Shape, name: string): number {
  const i = shape.slotOf.get(name);
  return i === undefined ? -1 : i;
}
elidable(shapeSlot);

/** The shape of a record of `shape` after adding field `name` (the same object every time). */
export function shapeWith(shape: Shape, name: string): Shape {
  let s = shape.transitions.get(name);
  if (s === undefined) {
    s = new Shape([...shape.names, name]);
    shape.transitions.set(name, s);
  }
  return s;
}
elidable(shapeWith);

/** A record: a shape and one slot per field. */
export class W_Object extends W_Root {
  shape: Shape;
  readonly slots: W_Root[];
  constructor(shape: Shape, slots: W_Root[]) {
    super();
    this.shape = shape;
    this.slots = slots;
  }
  override typeName(): string {
    return "record";
  }
  override str(): string {
    return recordToString(this);
  }
  override getField(name: string): W_Root {
    const shape = promote(this.shape);
    const i = shapeSlot(shape, name);
    if (i < 0) throw new RuntimeError("record has no field '" + name + "'");
    return this.slots[i]!;
  }
  override setField(name: string, value: W_Root): void {
    const shape = promote(this.shape);
    const i = shapeSlot(shape, name);
    if (i >= 0) {
      this.slots[i] = value;
      return;
    }
    this.shape = shapeWith(shape, name);
    this.slots.push(value);
  }
}

/** A function defined with `def`. */
export class W_Function extends W_Root {
  readonly name: string;
  readonly code: Code;
  constructor(name: string, code: Code) {
    super();
    this.name = name;
    this.code = code;
  }
  override typeName(): string {
    return "function";
  }
  override str(): string {
    return "<function " + this.name + ">";
  }
  override callee(nargs: number): Code {
    const code = this.code;
    if (nargs !== code.nparams) {
      throw new RuntimeError(this.name + "() takes " + String(code.nparams) + (code.nparams === 1 ? " argument" : " arguments") + " (" + String(nargs) + " given)");
    }
    return code;
  }
}

// ---- helpers of the value classes ----

/** A guest int; outside ±(2**53 - 1) is an error. Normalizes -0 to 0. */
export function newInt(v: number): W_Int {
  if (v > MAX_INT || v < -MAX_INT) throw new RuntimeError("integer overflow");
  return new W_Int(v + 0);
}

function numName(isFloat: boolean): string {
  return isFloat ? "float" : "int";
}

function binopError(op: string, left: string, right: string): RuntimeError {
  return new RuntimeError("unsupported operand types for " + op + ": '" + left + "' and '" + right + "'");
}

function compareError(op: string, left: string, right: string): RuntimeError {
  return new RuntimeError("'" + op + "' not supported between '" + left + "' and '" + right + "'");
}

/** Integer division rounding toward negative infinity (exact for |l| <= 2**53). */
function floorDiv(l: number, r: number): number {
  const m = l % r;
  const q = (l - m) / r;
  return m !== 0 && m < 0 !== r < 0 ? q - 1 : q;
}

/** Integer modulo with the sign of the divisor. */
function intMod(l: number, r: number): number {
  const m = l % r;
  return m !== 0 && m < 0 !== r < 0 ? m + r : m;
}

/** Float modulo with the sign of the divisor, as Python's: a zero result takes the divisor's sign. */
function floatMod(l: number, r: number): number {
  const m = l % r;
  if (m === 0) return r < 0 ? -0 : 0;
  return m < 0 !== r < 0 ? m + r : m;
}

function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  return NaN;
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/**
 * How floats print: JavaScript's shortest round-trip form, with ".0" added when that
 * looks like an integer (7.0, 0.5, 1e+21, 1e-7, -0.0), and inf, -inf, nan.
 */
export function formatFloat(x: number): string {
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return 1 / x < 0 ? "-0.0" : "0.0";
  const s = String(x);
  return s.indexOf(".") < 0 && s.indexOf("e") < 0 ? s + ".0" : s;
}
elidable(formatFloat);

/** A string as it appears inside a printed record: double quotes, escapes for \ " and control characters. */
function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch < " ") out += "\\x" + ch.charCodeAt(0).toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}
dontLookInside(quoteString);

/** Records being printed, to print a cycle as {...}. */
class PrintState {
  readonly active: W_Object[] = [];
}
const printState = new PrintState();

/** `{x: 1, y: "a"}`, fields in the order they were added. */
function recordToString(obj: W_Object): string {
  if (printState.active.includes(obj)) return "{...}";
  printState.active.push(obj);
  try {
    const names = obj.shape.names;
    const parts: string[] = [];
    for (let i = 0; i < names.length; i++) parts.push(names[i] + ": " + obj.slots[i]!.repr());
    return "{" + parts.join(", ") + "}";
  } finally {
    printState.active.pop();
  }
}
dontLookInside(recordToString);

/** `int("42")`: optional sign and decimal digits, surrounding blanks allowed. */
function parseIntLiteral(s: string): W_Root {
  const t = s.trim();
  if (!/^[+-]?[0-9]+$/.test(t)) throw new RuntimeError("invalid literal for int(): " + quoteString(s));
  const v = Number(t);
  if (v > MAX_INT || v < -MAX_INT) throw new RuntimeError("integer overflow");
  return new W_Int(v + 0);
}
dontLookInside(parseIntLiteral);

/** `float("2.5")`: a decimal literal with optional sign and exponent, or inf/nan. */
function parseFloatLiteral(s: string): W_Root {
  const t = s.trim().toLowerCase();
  if (t === "inf" || t === "+inf") return new W_Float(Infinity);
  if (t === "-inf") return new W_Float(-Infinity);
  if (t === "nan" || t === "+nan" || t === "-nan") return new W_Float(NaN);
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$/.test(t)) throw new RuntimeError("invalid literal for float(): " + quoteString(s));
  return new W_Float(Number(t));
}
dontLookInside(parseFloatLiteral);
