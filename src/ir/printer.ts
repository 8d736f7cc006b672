/**
 * @fileoverview Prints a trace in the one text format that the log, the golden traces
 * in `traces/` and the optimizer's text-in/text-out tests all share (`parser.ts` reads it
 * back).
 *
 *     # loop bf: pc=3 '['
 *     [p0, n1]
 *     label(p0, n1, descr=Loop0)
 *     debug_merge_point("pc=3 '['")
 *     n2 = getarrayitem(p0, n1, descr=Uint8Array)
 *     b3 = truthy(n2)
 *     guard_true(b3) [run@12: p0, n1]
 *     jump(p0, n1, descr=Loop0)
 *
 * A value is named by its kind letter and a number in order of definition. A guard is
 * followed by its resume data: the frames (`code@pc: values`, outermost first, `;`
 * between frames; a hand-written test trace may give a single anonymous frame `[a, b]`)
 * and, in braces, the virtual objects and delayed writes it would rebuild.
 */

import { type Descr, LocationDescr } from "./descr.js";
import { Const, type Op, type Snapshot, type Trace, type Value } from "./trace.js";

/** Options of `printTrace`. */
export interface PrintOptions {
  /** Append `# g<index>` to guards that the backend has numbered. */
  readonly guardIndices?: boolean;
}

/** Names values and constants consistently over one trace. */
export class Namer {
  private readonly names = new Map<Value, string>();
  private readonly constLabels = new Map<unknown, string>();
  private readonly usedLabels = new Set<string>();
  private counter = 0;

  /** The name of `v`, given on first sight. */
  name(v: Value): string {
    if (v instanceof Const) return this.constant(v.value);
    let n = this.names.get(v);
    if (n === undefined) {
      n = `${v.kind === "-" ? "v" : v.kind}${this.counter++}`;
      this.names.set(v, n);
    }
    return n;
  }

  /** The text of a constant. */
  constant(value: unknown): string {
    switch (typeof value) {
      case "number":
        return Object.is(value, -0) ? "-0" : String(value);
      case "string":
        return JSON.stringify(value);
      case "boolean":
        return String(value);
      case "undefined":
        return "undefined";
      case "object":
      case "function":
        if (value === null) return "null";
        return `ConstPtr(${this.label(value)})`;
      default:
        return `ConstPtr(${this.label(value)})`;
    }
  }

  /** The label of an object constant: its class or function name, made unique. */
  label(obj: unknown): string {
    let l = this.constLabels.get(obj);
    if (l !== undefined) return l;
    const given = (obj as { tsjitLabel?: unknown }).tsjitLabel;
    let base: string;
    if (typeof given === "string") base = given;
    else if (typeof obj === "function") base = obj.name || "fn";
    else base = (obj as object).constructor?.name || "obj";
    base = base.replace(/[^\w$.#]/g, "_");
    // Plain objects are numbered (Program#0, Program#1); named things keep their name.
    const numbered = typeof given !== "string" && typeof obj !== "function";
    let i = 0;
    l = numbered ? `${base}#0` : base;
    while (this.usedLabels.has(l)) l = `${base}#${++i}`;
    this.usedLabels.add(l);
    this.constLabels.set(obj, l);
    return l;
  }
}

function descrText(d: Descr): string {
  if (d instanceof LocationDescr) return JSON.stringify(d.name);
  return d.name;
}

/** The text of one op (without resume data). */
export function printOp(op: Op, namer: Namer): string {
  const parts = op.args.map((a) => namer.name(a));
  const info = op.info;
  if (op.descr) {
    if (info.descr === "location") parts.push(descrText(op.descr));
    else parts.push(`descr=${descrText(op.descr)}`);
  }
  const call = `${op.name}(${parts.join(", ")})`;
  return op.kind === "-" ? call : `${namer.name(op)} = ${call}`;
}

/** The text of a snapshot: frames in brackets, then virtuals and delayed writes in braces. */
export function printSnapshot(s: Snapshot, namer: Namer): string {
  let frames: string;
  if (s.frames.length === 1 && s.frames[0]!.code === null) {
    frames = s.frames[0]!.values.map((v) => namer.name(v)).join(", ");
  } else {
    frames = s.frames
      .map((f) => {
        const vals = f.values.map((v) => namer.name(v)).join(", ");
        return `${f.code ? f.code.name : "?"}@${f.pc}:${vals ? " " + vals : ""}`;
      })
      .join("; ");
  }
  const extras: string[] = [];
  for (const [v, d] of s.virtuals) {
    if (d.kind === "object") {
      const fields = d.fields.map(([f, fv]) => `${f.field}=${namer.name(fv)}`).join(", ");
      extras.push(`${namer.name(v)} = ${d.cls.name}(${fields})`);
    } else {
      extras.push(`${namer.name(v)} = ${d.descr.name}[${d.items.map((x) => namer.name(x)).join(", ")}]`);
    }
  }
  for (const w of s.pendingWrites) {
    if (w.kind === "field") extras.push(`setfield(${namer.name(w.obj)}, ${namer.name(w.value)}, descr=${w.descr.name})`);
    else extras.push(`setarrayitem(${namer.name(w.obj)}, ${namer.name(w.index)}, ${namer.name(w.value)}, descr=${w.descr.name})`);
  }
  return `[${frames}]` + (extras.length ? ` {${extras.join("; ")}}` : "");
}

/** The whole trace as text, one op a line. */
export function printTrace(trace: Trace, options: PrintOptions = {}): string {
  const namer = new Namer();
  const lines: string[] = [];
  lines.push(`# ${trace.kind}${trace.title ? " " + trace.title : ""}`);
  lines.push(`[${trace.inputs.map((i) => namer.name(i)).join(", ")}]`);
  for (const op of trace.ops) {
    let line = printOp(op, namer);
    if (op.snapshot) line += " " + printSnapshot(op.snapshot, namer);
    if (options.guardIndices && op.guardIndex >= 0) line += ` # g${op.guardIndex}`;
    lines.push(line);
  }
  return lines.join("\n") + "\n";
}
