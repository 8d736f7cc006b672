/**
 * @fileoverview Quasi-immutable fields at run time (RPython's `_immutable_fields_ =
 * ['x?']`): which compiled traces rely on the value of a field of an object, and
 * invalidating them when that field is written.
 *
 * The tracer folds a read of a quasi-immutable field of a constant object to a
 * constant, records a `guard_not_invalidated` carrying the trace's `Validity`, and
 * watches the (object, field) pair with it. Every write of such a field — by the
 * plain interpreter (the translator rewrites its assignments to call `fieldWritten`),
 * by the blackhole, the tracer or compiled code (the `setfield` spelling of a
 * quasi-immutable FieldDescr calls it) — clears the validity of every trace watching
 * that pair, so their guards fail from then on and the engine retraces. The watch list
 * is a WeakMap keyed by the object: objects no trace read cost nothing, and a write to
 * a fresh object finds nothing to invalidate.
 */

import { Descr } from "./descr.js";

/** The validity of one recorded trace; `guard_not_invalidated(descr=…)` checks it. */
export class Validity extends Descr {
  /** Cleared (for good) when a quasi-immutable field the trace folded is written. */
  valid = true;
  constructor(readonly name: string) {
    super();
  }
}

const watchers = new WeakMap<object, Map<string, Set<Validity>>>();

/** `validity` relies on `obj[field]` keeping its current value. */
export function watchField(obj: object, field: string, validity: Validity): void {
  let fields = watchers.get(obj);
  if (!fields) watchers.set(obj, (fields = new Map()));
  let set = fields.get(field);
  if (!set) fields.set(field, (set = new Set()));
  set.add(validity);
}

/** `obj[field]` was written: every trace relying on it is invalid from now on. */
export function fieldWritten(obj: object, field: string): void {
  const fields = watchers.get(obj);
  const set = fields?.get(field);
  if (!set) return;
  for (const v of set) v.valid = false;
  fields!.delete(field);
}

/** `fieldWritten` for the plain interpreter's rewritten assignments: returns `value`, the assignment's value. */
export function quasiImmutableWritten<T>(value: T, obj: object, field: string): T {
  fieldWritten(obj, field);
  return value;
}
