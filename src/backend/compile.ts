/**
 * @fileoverview The backend: turns an optimized trace into one JS function with
 * `new Function`, which V8 then compiles to machine code.
 *
 * A loop trace `[inputs] ops… label(args) ops… jump(args)` becomes
 *
 *     function loop(i0, i1) { …ops before the label…
 *       let L0 = …, L1 = …;
 *       for (;;) { …body…; L0 = …; L1 = …; continue; } }
 *
 * Every guard becomes `if (!(cond)) { X[0] = …; …; return <guard index>; }`: the exit
 * writes the guard's fail arguments into the shared exit buffer `X` and returns its
 * index, and the engine resumes from the guard's resume data. A jump to another loop
 * returns `-1 - k` with its arguments in `X` (the engine trampolines); `finish` returns
 * FINISH with its arguments (the state at a merge point) in `X`. A call that can
 * raise is wrapped in try/catch, and the exception leaves through the
 * guard_no_exception that follows it.
 *
 * Guest data never enters the source text: strings and objects are read from the
 * constant side table `K`; only numbers, booleans, null/undefined and identifiers
 * checked by the translator (field and method names) are spelled inline.
 */

import { TargetToken } from "../ir/descr.js";
import { opInfo } from "../ir/ops.js";
import { SPELLINGS } from "../ir/semantics.js";
import { Const, type Op, type Snapshot, type Trace, type Value } from "../ir/trace.js";

/** What compiled code returns after `finish`: its arguments are in the exit buffer. */
export const FINISH = -1_000_000;

/** One guard exit of a compiled trace. */
export interface GuardExit {
  readonly guard: Op;
  readonly snapshot: Snapshot;
  /** Position in the exit buffer of each fail argument. */
  readonly slots: Map<Value, number>;
  /** How often this guard failed (before it got a bridge). */
  failures: number;
  /** The bridge traced from this guard, run instead of resuming. */
  bridge: CompiledTrace | null;
  /** Attempts at tracing a bridge that were aborted. */
  bridgeAborts: number;
}

/** A compiled trace. */
export interface CompiledTrace {
  readonly fn: (...inputs: unknown[]) => number;
  readonly exits: readonly GuardExit[];
  /** Targets of jumps out of this trace, by `-1 - result`. */
  readonly jumpTargets: readonly TargetToken[];
  /** The exit buffer: fail arguments or jump arguments; `exc` for a pending exception. */
  readonly buffer: unknown[] & { exc?: unknown };
  readonly source: string;
}

/** Compiles `trace`; `name` becomes the JS function's name (letters and digits only). */
export function compileTrace(trace: Trace, name: string): CompiledTrace {
  const consts: unknown[] = [];
  const constIndex = new Map<unknown, number>();
  const ref = (v: unknown): string => {
    let i = constIndex.get(v);
    if (i === undefined) {
      i = consts.length;
      consts.push(v);
      constIndex.set(v, i);
    }
    return `K[${i}]`;
  };
  const names = new Map<Value, string>();
  trace.inputs.forEach((v, i) => names.set(v, `i${i}`));
  const exits: GuardExit[] = [];
  const jumpTargets: TargetToken[] = [];
  let label: Op | null = null;
  let loopVars: string[] = [];

  const val = (v: Value): string => {
    if (v instanceof Const) return literal(v.value, ref);
    const n = names.get(v);
    if (n === undefined) throw new Error("backend: value used before definition");
    return n;
  };
  const exitCode = (guard: Op, indent: string): string => {
    const snapshot = guard.snapshot!;
    const slots = new Map<Value, number>();
    const writes: string[] = [];
    snapshot.failArgs().forEach((v, i) => {
      slots.set(v, i);
      writes.push(`X[${i}] = ${val(v)};`);
    });
    guard.guardIndex = exits.length;
    exits.push({ guard, snapshot, slots, failures: 0, bridge: null, bridgeAborts: 0 });
    return `${indent}${writes.join(" ")} return ${guard.guardIndex};`;
  };

  const body: string[] = [];
  let indent = "  ";
  const ops = trace.ops;
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    const info = opInfo(op.name);
    const args = op.args.map(val);
    const def = (expr: string) => {
      const n = `v${k}`;
      names.set(op, n);
      body.push(`${indent}const ${n} = ${expr};`);
    };
    if (op.name === "label") {
      label = op;
      loopVars = op.args.map((_, i) => `L${i}`);
      body.push(`${indent}let ${loopVars.map((l, i) => `${l} = ${args[i]}`).join(", ") || "_ = 0"};`);
      body.push(`${indent}for (;;) {`);
      indent += "  ";
      op.args.forEach((a, i) => names.set(a, loopVars[i]!));
      continue;
    }
    if (op.name === "debug_merge_point") continue;
    if (op.name === "jump") {
      const target = op.descr as TargetToken;
      if (label && target === label.descr) {
        const temps = args.map((a, i) => `t${i} = ${a}`);
        if (temps.length) body.push(`${indent}{ const ${temps.join(", ")}; ${loopVars.map((l, i) => `${l} = t${i};`).join(" ")} }`);
        body.push(`${indent}continue;`);
      } else {
        let t = jumpTargets.indexOf(target);
        if (t < 0) t = jumpTargets.push(target) - 1;
        body.push(`${indent}${args.map((a, i) => `X[${i}] = ${a};`).join(" ")} return ${-1 - t};`);
      }
      continue;
    }
    if (op.name === "finish") {
      body.push(`${indent}${args.map((a, i) => `X[${i}] = ${a};`).join(" ")} return ${FINISH};`);
      continue;
    }
    if (op.name === "guard_no_exception") continue; // emitted with the call before it
    if (info.guard) {
      body.push(`${indent}if (!${SPELLINGS[op.name](args, op.descr, ref)}) {`);
      body.push(exitCode(op, indent + "  "));
      body.push(`${indent}}`);
      continue;
    }
    const expr = SPELLINGS[op.name](args, op.descr, ref);
    const next = ops[k + 1];
    if (info.call && next?.name === "guard_no_exception") {
      const n = `v${k}`;
      names.set(op, n);
      body.push(`${indent}let ${n};`);
      body.push(`${indent}try { ${n} = ${expr}; } catch (e) { X.exc = e;`);
      body.push(exitCode(next, indent + "  "));
      body.push(`${indent}}`);
      continue;
    }
    if (op.kind === "-") body.push(`${indent}${expr};`);
    else def(expr);
  }
  if (label) body.push("  }");
  const params = trace.inputs.map((_, i) => `i${i}`).join(", ");
  const source = `return function ${name}(${params}) {\n${body.join("\n")}\n};`;
  const buffer: unknown[] & { exc?: unknown } = [];
  const fn = new Function("K", "X", source)(consts, buffer) as (...inputs: unknown[]) => number;
  return { fn, exits, jumpTargets, buffer, source };
}

/** The source text of a constant: inline for numbers and the like, else a side-table read. */
function literal(v: unknown, ref: (v: unknown) => string): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "-0" : Number.isFinite(v) ? (v < 0 ? `(${v})` : String(v)) : `(${String(v)})`;
    case "boolean":
      return String(v);
    case "undefined":
      return "undefined";
    default:
      return v === null ? "null" : ref(v);
  }
}
