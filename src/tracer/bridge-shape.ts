/**
 * @fileoverview The shape of a failing guard's resume state, as far as tracing a bridge
 * from it can tell: two guards of the same shape get the same bridge, traced once.
 *
 * Why guards share shapes: loop peeling copies every guard of a loop into its preamble
 * and its body, and trees that run into the same guest code fail at the same places,
 * so many guards resume at the same guest position with the same constants and the
 * same facts (Mandelbrot.b: 616 bridges from 413 places). A bridge is a function of
 * what its tracing starts from: the frames of the resume data (jitcode, position, which
 * registers hold which constant and which hold the same fail argument), the virtuals
 * and delayed writes it rebuilds, and the facts the engine hands the tracer about the
 * fail arguments (a guard's condition known constant, classes checked before the
 * guard: see `factsAtFailure`). Everything else the tracer learns by running, and
 * records as guards. So when all of that is equal, the optimized bridge of one guard is
 * the bridge of the other, with the fail arguments in the same order (both lists come
 * from `Snapshot.forEachValue`).
 *
 * A portal frame's `entry` (the greens its invocation is known by) matters only to a
 * guest call that the bridge may inline (the recursion depth counts frames entered at
 * the same greens): when the interpreter's portal is never called, it is left out, so
 * that trees which run into the same code share their bridges (`portalCallsItself`).
 *
 * The key spells every constant as a ValueKeys does (objects and symbols by identity,
 * through the numbering of the one ValueKeys an engine keeps for this; other values by
 * value, with `Object.is`), every fail argument by its position and kind, every virtual
 * by its first appearance.
 */

import { type ClassDescr } from "../ir/descr.js";
import { Const, type Snapshot, type Value } from "../ir/trace.js";
import type { JitCode, Unit } from "../interp-dsl/jitcode.js";
import { type ValueKeys } from "../optimizer/rewriter.js";

/**
 * The shape key of a guard's resume state (see the file overview). `slots` numbers the
 * fail arguments; `facts` is what `factsAtFailure` says about them; `guestCalls`, whether
 * the interpreter's portal can be called (then portal frames' entries count); `keys`
 * spells constants, the same ValueKeys for every key that is compared.
 */
export function bridgeShapeKey(
  snapshot: Snapshot,
  slots: ReadonlyMap<Value, number>,
  facts: { readonly consts: ReadonlyMap<Value, Const>; readonly classes: ReadonlyMap<Value, ClassDescr> },
  guestCalls: boolean,
  keys: ValueKeys,
): string {
  const virtualIds = new Map<Value, number>();
  const value = (v: Value): string => {
    if (v instanceof Const) return `k${v.kind}:${keys.constant(v.value)}`;
    const known = facts.consts.get(v);
    if (known) return `f${slots.get(v)}${known.kind}:${keys.constant(known.value)}`;
    if (snapshot.virtuals.has(v)) {
      let id = virtualIds.get(v);
      if (id === undefined) virtualIds.set(v, (id = virtualIds.size));
      return `v${id}`;
    }
    const cls = facts.classes.get(v);
    return `i${slots.get(v)}${v.kind}${cls ? `:${cls.id}` : ""}`;
  };
  const parts: string[] = [snapshot.afterCallRaising ? "raising" : ""];
  for (const f of snapshot.frames) {
    const entry = f.entry && guestCalls ? f.entry.map((g) => keys.constant(g)).join(",") : "";
    parts.push(`${f.code ? keys.constant(f.code) : "-"}@${f.pc}[${entry}](${f.values.map(value).join(",")})`);
  }
  for (const [k, d] of snapshot.virtuals) {
    const contents = d.kind === "object" ? `${d.cls.id}{${d.fields.map(([fd, v]) => `${fd.id}=${value(v)}`).join(",")}}` : `${d.descr.id}[${d.items.map(value).join(",")}]`;
    parts.push(`${value(k)}:${contents}`);
  }
  for (const w of snapshot.pendingWrites) {
    const at = w.kind === "item" ? `[${value(w.index)}]` : "";
    parts.push(`${w.vable ? "vable " : ""}${w.descr.id}:${value(w.obj)}${at}=${value(w.value)}`);
  }
  return parts.join(";");
}

/**
 * Whether the portal's code can reach a call of the portal (through calls, method
 * calls of any class and constructors): a guest call the tracer may inline.
 */
export function portalCallsItself(unit: Unit): boolean {
  const portal = unit.portal;
  if (!portal?.entries) return false;
  const seen = new Set<JitCode>();
  const work = [unit.codes[portal.code]!];
  for (let code = work.pop(); code !== undefined; code = work.pop()) {
    if (seen.has(code)) continue;
    seen.add(code);
    for (const i of code.insns) {
      if (i.o === "call") {
        if (i.f === portal.code) return true;
        work.push(unit.codes[i.f]!);
      } else if (i.o === "callm") {
        for (const cls of unit.classes) {
          const m = cls.methods.get(i.m);
          if (m) work.push(m);
        }
      } else if (i.o === "new") {
        const init = unit.classes[i.c]?.init;
        if (init) work.push(init);
      }
    }
  }
  return false;
}
