/** @fileoverview TEMPORARY identity pipeline (being replaced by the real passes). */
import type { Trace } from "../ir/trace.js";
export interface OptStats { rules: Map<string, number> }
export const ALL_PASSES: readonly string[] = [];
export function optimize(trace: Trace, _options: { enable?: readonly string[]; stats?: OptStats } = {}): Trace {
  return trace;
}
