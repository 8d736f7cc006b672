/**
 * @fileoverview Reads back the text format that `printer.ts` writes, so that golden
 * traces and the optimizer's text-in/text-out tests can be written by hand and so that
 * `printTrace(parseTrace(t)) === t` for every printed trace.
 *
 * Parsing has three steps: every line is scanned into a small syntax tree (names are
 * still strings; `trace-syntax.ts`); the descriptor kinds that the text implies are collected (a `n3 =
 * getfield(…, descr=A.x)` says that `A.x` holds numbers); then values, descriptors,
 * ops and finally snapshots are built. Snapshots come last because a snapshot may name
 * a virtual (a removed allocation) that no op of the trace defines, or that a later op
 * defines when the virtual is forced.
 *
 * Names the text uses but the environment does not define get sensible defaults:
 * descriptors are created from their printed names (and reused within one parse:
 * same name, same object), `ConstPtr(label)` that is not in `env.consts` becomes an
 * opaque placeholder object labelled `label`, and resume codes become `{ name }`.
 *
 * Leading indentation, blank lines and `#` comment lines after the inputs line are
 * ignored; a trailing `# g3` on an op sets its `guardIndex`.
 */

import {
  TYPED_ARRAY_FLAVOURS,
  ArrayDescr,
  type ArrayFlavour,
  CallDescr,
  ClassDescr,
  type Descr,
  EFFECTS_ALL,
  EFFECTS_NONE,
  FieldDescr,
  LocationDescr,
  TargetToken,
} from "./descr.js";
import { Validity } from "./quasi-immutable.js";
import { type DescrKind, type Kind, type OpName, opInfo } from "./ops.js";
import {
  Const,
  type FrameSnapshot,
  InputArg,
  Op,
  type PendingWrite,
  type ResumeCode,
  Snapshot,
  Trace,
  type TraceKind,
  type Value,
  type VirtualDesc,
} from "./trace.js";
import { type Arg, LineScanner, type OpAst, type SnapshotAst, TraceSyntaxError, parseOpLine } from "./trace-syntax.js";

export { TraceSyntaxError };

/** What a parsed trace may refer to by name. */
export interface ParseEnv {
  /** Objects for `ConstPtr(label)`. */
  readonly consts?: Readonly<Record<string, unknown>>;
  /** Descriptors, by key or by their printed name. */
  readonly descrs?: Readonly<Record<string, Descr>>;
  /** Resume codes (jitcodes) of snapshot frames, by name. */
  readonly codes?: Readonly<Record<string, ResumeCode>>;
}

// ---------------------------------------------------------------------------------
// Building the trace

const TYPED = TYPED_ARRAY_FLAVOURS;
const PRIMITIVE_KINDS: Readonly<Record<string, Kind>> = { number: "n", string: "s", boolean: "b", unknown: "v", any: "v" };

function argKind(a: Arg): Kind {
  if (a.t === "name") return a.name[0] as Kind;
  return a.t === "ptr" ? "p" : Const.of(a.value).kind;
}

class Builder {
  private readonly envDescrs = new Map<string, Descr[]>();
  private readonly made = new Map<string, Descr>();
  private readonly hints = new Map<string, Kind>();
  private readonly ptrs = new Map<string, unknown>();
  private readonly codes = new Map<string, ResumeCode>();
  private readonly ghosts = new Map<string, InputArg>();
  /** Defined values, with the index of the defining op (-1 for inputs). */
  readonly defs = new Map<string, { value: Value; index: number; line: number }>();
  /** Every result name of the text, with its line: for "used before definition" errors. */
  readonly resultLines = new Map<string, number>();

  constructor(private readonly env: ParseEnv) {
    for (const [key, d] of Object.entries(env.descrs ?? {})) {
      for (const n of key === d.name ? [key] : [key, d.name]) {
        const list = this.envDescrs.get(n) ?? [];
        list.push(d);
        this.envDescrs.set(n, list);
      }
    }
  }

  /** Records what kind of values a descriptor's accesses produce or store (first wins). */
  hint(family: DescrKind, text: string, kind: Kind): void {
    const key = `${family}:${text}`;
    if (!this.hints.has(key)) this.hints.set(key, kind);
  }

  fail(line: number, col: number, text: string, msg: string): never {
    throw new TraceSyntaxError(line, col + 1, msg, text);
  }

  descr(family: DescrKind, text: string, hasResult: boolean, line: number, col: number, src: string): Descr {
    const want = { field: FieldDescr, array: ArrayDescr, class: ClassDescr, call: CallDescr, target: TargetToken, location: LocationDescr, validity: Validity, none: null }[family];
    if (!want) this.fail(line, col, src, "this operation takes no descriptor");
    const fromEnv = this.envDescrs.get(text)?.find((d) => d instanceof want);
    if (fromEnv) return fromEnv;
    const key = `${family}:${text}`;
    let d = this.made.get(key);
    if (d) return d;
    const hint = this.hints.get(key);
    switch (family) {
      case "field": {
        const dot = text.lastIndexOf(".");
        if (dot <= 0 || dot === text.length - 1) this.fail(line, col, src, `a field descriptor is written Owner.field, not '${text}'`);
        d = new FieldDescr(text.slice(0, dot), text.slice(dot + 1), hint ?? "v", false);
        break;
      }
      case "array": {
        const m = /^(readonly\s+)?(?:Array<(.+)>|(\w+))$/.exec(text);
        const flavour = m?.[3] as ArrayFlavour | undefined;
        if (!m || (flavour !== undefined && !TYPED.includes(flavour)))
          this.fail(line, col, src, `unknown array descriptor '${text}' (expected e.g. Uint8Array, Array<number>, readonly Array<W_Object>)`);
        const elem = m[2];
        if (elem === undefined) d = new ArrayDescr(flavour!, "number", "n", !!m[1]);
        else d = new ArrayDescr("Array", elem, PRIMITIVE_KINDS[elem] ?? hint ?? "p", !!m[1]);
        break;
      }
      case "class":
        d = new ClassDescr(text, null);
        break;
      case "call":
        // A call_pure is elidable by definition, so it gets no heap effects by default.
        d = new CallDescr(text, hint ?? (hasResult ? "v" : "-"), this.pureCalls.has(text) ? EFFECTS_NONE : EFFECTS_ALL, true, {
          kind: "function",
        });
        break;
      case "target":
        d = new TargetToken(text);
        break;
      case "location":
        d = new LocationDescr(text);
        break;
      case "validity":
        d = new Validity(text);
        break;
      default:
        return this.fail(line, col, src, "this operation takes no descriptor");
    }
    this.made.set(key, d);
    return d;
  }

  /** Names of call descriptors whose first use is a call_pure. */
  private readonly pureCalls = new Set<string>();

  constant(a: Arg): Const | null {
    if (a.t === "const") return Const.of(a.value);
    if (a.t !== "ptr") return null;
    const consts = this.env.consts ?? {};
    if (Object.prototype.hasOwnProperty.call(consts, a.label)) return Const.of(consts[a.label]);
    let obj = this.ptrs.get(a.label);
    if (obj === undefined) {
      obj = Object.freeze({ tsjitLabel: a.label });
      this.ptrs.set(a.label, obj);
    }
    return Const.of(obj);
  }

  code(name: string | null): ResumeCode | null {
    if (name === null) return null;
    const fromEnv = this.env.codes?.[name];
    if (fromEnv) return fromEnv;
    let c = this.codes.get(name);
    if (!c) this.codes.set(name, (c = { name }));
    return c;
  }

  /** An op argument: a constant or a value defined by an earlier line. */
  opArg(a: Arg, ast: OpAst): Value {
    const c = this.constant(a);
    if (c) return c;
    const name = (a as { name: string }).name;
    const def = this.defs.get(name);
    if (def) return def.value;
    const later = this.resultLines.get(name);
    if (later !== undefined) this.fail(ast.line, a.col, ast.text, `${name} is used before it is defined (on line ${later})`);
    return this.fail(ast.line, a.col, ast.text, `${name} is not defined`);
  }

  /**
   * A value in the resume data of op `index`: a constant, a value defined before the op,
   * or a virtual that this snapshot describes (which may be defined nowhere or later).
   */
  snapValue(a: Arg, ast: OpAst, index: number, virtualNames: ReadonlySet<string>): Value {
    const c = this.constant(a);
    if (c) return c;
    const name = (a as { name: string }).name;
    const def = this.defs.get(name);
    if (def && def.index < index) return def.value;
    if (virtualNames.has(name)) {
      if (def) return def.value;
      let g = this.ghosts.get(name);
      if (!g) this.ghosts.set(name, (g = new InputArg(name[0] as Kind)));
      return g;
    }
    if (def) this.fail(ast.line, a.col, ast.text, `${name} is defined later (line ${def.line}); resume data may only name earlier values or the virtuals it describes`);
    return this.fail(ast.line, a.col, ast.text, `${name} is not defined (only virtuals described in braces may be undefined)`);
  }

  snapshot(ast: OpAst, snap: SnapshotAst, index: number, opName: OpName): Snapshot {
    const virtualNames = new Set<string>();
    for (const e of snap.extras) if (e.t === "object" || e.t === "array") virtualNames.add((e.key as { name: string }).name);
    const val = (a: Arg): Value => this.snapValue(a, ast, index, virtualNames);
    const frames: FrameSnapshot[] = snap.frames.map((f) => ({ code: this.code(f.code), pc: f.pc, values: f.values.map(val) }));
    const virtuals = new Map<Value, VirtualDesc>();
    const writes: PendingWrite[] = [];
    const at = (a: Arg): number => a.col;
    for (const e of snap.extras) {
      switch (e.t) {
        case "object": {
          const cls = this.descr("class", e.cls, false, ast.line, at(e.key), ast.text) as ClassDescr;
          const fields: [FieldDescr, Value][] = e.fields.map(([f, v]) => {
            const fd = cls.fields.find((x) => x.field === f) ?? (this.descr("field", `${cls.name}.${f}`, true, ast.line, at(v), ast.text) as FieldDescr);
            return [fd, val(v)];
          });
          virtuals.set(val(e.key), { kind: "object", cls, fields });
          break;
        }
        case "array": {
          const descr = this.descr("array", e.descr, true, ast.line, at(e.key), ast.text) as ArrayDescr;
          virtuals.set(val(e.key), { kind: "array", descr, items: e.items.map(val) });
          break;
        }
        case "setfield": {
          const descr = this.descr("field", e.descr, false, ast.line, at(e.obj), ast.text) as FieldDescr;
          writes.push({ kind: "field", obj: val(e.obj), descr, value: val(e.value) });
          break;
        }
        case "setitem": {
          const descr = this.descr("array", e.descr, false, ast.line, at(e.obj), ast.text) as ArrayDescr;
          writes.push({ kind: "item", obj: val(e.obj), descr, index: val(e.index), value: val(e.value) });
          break;
        }
      }
    }
    return new Snapshot(frames, virtuals, writes, opName === "guard_no_exception");
  }

  /** Gathers descriptor kind hints: result names first, then stored values. */
  collectHints(asts: readonly OpAst[]): void {
    const seenCalls = new Set<string>();
    for (const a of asts) {
      const family = opInfo(a.name).descr;
      if (a.descr && family === "call" && !seenCalls.has(a.descr.text)) {
        seenCalls.add(a.descr.text);
        if (opInfo(a.name).pure) this.pureCalls.add(a.descr.text);
      }
      if (a.descr && a.result) this.hint(family, a.descr.text, a.result.name[0] as Kind);
    }
    const stored = (family: DescrKind, text: string, v: Arg | undefined): void => {
      if (v) this.hint(family, text, argKind(v));
    };
    for (const a of asts) {
      if (a.descr && a.name === "setfield") stored("field", a.descr.text, a.args[1]);
      if (a.descr && a.name === "setarrayitem") stored("array", a.descr.text, a.args[2]);
      for (const e of a.snapshot?.extras ?? []) {
        if (e.t === "setfield") stored("field", e.descr, e.value);
        else if (e.t === "setitem") stored("array", e.descr, e.value);
        else if (e.t === "object") for (const [f, v] of e.fields) stored("field", `${e.cls}.${f}`, v);
        else stored("array", e.descr, e.items[0]);
      }
    }
  }
}

function buildOp(b: Builder, ast: OpAst, index: number): Op {
  const info = opInfo(ast.name);
  const args = ast.args.slice();
  let descr: Descr | null = null;
  if (info.descr === "location") {
    const loc = args.pop();
    if (ast.descr || !loc || loc.t !== "const" || typeof loc.value !== "string")
      b.fail(ast.line, 0, ast.text, `${ast.name} takes its location as a string, e.g. ${ast.name}("pc=3")`);
    descr = b.descr("location", loc.value, false, ast.line, loc.col, ast.text);
  } else if (ast.descr) {
    descr = b.descr(info.descr, ast.descr.text, ast.result !== null, ast.line, ast.descr.col, ast.text);
  } else if (info.descr !== "none") {
    b.fail(ast.line, 0, ast.text, `${ast.name} needs a descriptor (descr=…)`);
  }
  if (info.arity >= 0 && args.length !== info.arity)
    b.fail(ast.line, 0, ast.text, `${ast.name} takes ${info.arity} argument${info.arity === 1 ? "" : "s"}, not ${args.length}`);
  if (info.descr === "call" && args.length === 0) b.fail(ast.line, 0, ast.text, `${ast.name} needs the function as its first argument`);
  const op = new Op(ast.name, args.map((a) => b.opArg(a, ast)), descr);
  const r = ast.result;
  if (op.kind === "-" && r) b.fail(ast.line, 0, ast.text, `${ast.name} produces no value, so it cannot be named ${r.name}`);
  if (op.kind !== "-" && !r) b.fail(ast.line, 0, ast.text, `${ast.name} produces a value of kind ${op.kind}; write '${op.kind}N = ${ast.name}(…)'`);
  if (r) {
    if (r.name[0] !== op.kind)
      b.fail(ast.line, 0, ast.text, `${r.name} names a value of kind ${r.name[0]}, but this ${ast.name} produces kind ${op.kind}`);
    if (b.defs.has(r.name)) b.fail(ast.line, 0, ast.text, `${r.name} is defined twice (first on line ${b.defs.get(r.name)!.line})`);
    b.defs.set(r.name, { value: op, index, line: ast.line });
  }
  if (ast.guardIndex >= 0) op.guardIndex = ast.guardIndex;
  return op;
}

/** Parses the text of one trace, as `printTrace` writes it. */
export function parseTrace(text: string, env: ParseEnv = {}): Trace {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, "").trimStart());
  let i = 0;
  const skipBlank = (): void => {
    while (i < lines.length && lines[i]!.trim() === "") i++;
  };
  skipBlank();
  let kind: TraceKind = "loop";
  let title = "";
  const header = /^#\s*(loop|bridge|entry)(?: (.*))?$/.exec(lines[i] ?? "");
  if (header) {
    kind = header[1] as TraceKind;
    title = header[2] ?? "";
    i++;
    skipBlank();
  } else if (lines[i]?.startsWith("#")) {
    throw new TraceSyntaxError(i + 1, 1, "expected a header '# loop|bridge|entry title'", lines[i]!);
  }
  if (i >= lines.length) throw new TraceSyntaxError(i, 0, "expected the input arguments line, e.g. [p0, n1]", "");
  const b = new Builder(env);
  const inputsLine: LineScanner = new LineScanner(lines[i]!, i + 1);
  if (!inputsLine.eat("[")) inputsLine.fail("expected the input arguments line, e.g. [p0, n1]");
  const inputs: InputArg[] = [];
  for (const a of inputsLine.argList("]", "in the input arguments")) {
    if (a.t !== "name") inputsLine.fail("input arguments must be value names, not constants", a.col);
    if (b.defs.has(a.name)) inputsLine.fail(`${a.name} is an input twice`, a.col);
    const arg = new InputArg(a.name[0] as Kind);
    inputs.push(arg);
    b.defs.set(a.name, { value: arg, index: -1, line: i + 1 });
  }
  inputsLine.spaces();
  if (!inputsLine.atEnd()) inputsLine.fail(`unexpected ${inputsLine.here()} after the input arguments`);

  const asts: OpAst[] = [];
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "" || line.startsWith("#")) continue;
    const ast = parseOpLine(new LineScanner(line, i + 1));
    if (ast.result && !b.resultLines.has(ast.result.name)) b.resultLines.set(ast.result.name, ast.line);
    asts.push(ast);
  }
  b.collectHints(asts);
  const ops = asts.map((ast, index) => buildOp(b, ast, index));
  asts.forEach((ast, index) => {
    if (ast.snapshot) ops[index]!.snapshot = b.snapshot(ast, ast.snapshot, index, ast.name);
  });
  return new Trace(inputs, ops, kind, title);
}
