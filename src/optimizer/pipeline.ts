/**
 * @fileoverview The optimizer's pass pipeline: the one place where passes are chained.
 *
 * Passes have RPython-style names and run in the order of `ALL_PASSES`; `enable` picks a
 * subset (the order stays the table's). A pass takes a trace and returns a new one,
 * never modifying its input (an output may share unchanged Op objects with its input, so
 * treat a trace as immutable once it has been optimized). Adding a pass is one line in
 * `PASSES` (plus its import).
 *
 * `unroll` is not a walk of its own but a driver, as in RPython: for a loop trace it
 * peels one iteration (`unroll.ts`), runs the forward passes (every pass but `dce`) over
 * the two iterations, then closes the loop; when that does not close, it tries again
 * with two peeled iterations; with `heap` on, the stores at the closed loop's back edge
 * that every exit performs anyway are then dropped (`backedge.ts`). Without it (or when
 * peeling gives up) the forward passes run over the trace as it is. After `virtualize` and `heap`, `rewrite`
 * and `pure` run a second time, over what their forwarding made equal (uncounted). `dce`
 * always runs last. A pass may take a third argument, the PassContext: `virtualize` is
 * told when it runs over a peeled loop, whose final jump is unroll's bookkeeping.
 */

import { type Trace } from "../ir/trace.js";
import { sinkBackEdgeStores } from "./backedge.js";
import { dce } from "./dce.js";
import { heap } from "./heap.js";
import { intbounds } from "./intbounds.js";
import { cse } from "./pure.js";
import { rewrite } from "./rewrite.js";
import { closeLoop, isPeelable, unroll } from "./unroll.js";
import { type PassContext } from "./rewriter.js";
import { virtualize } from "./virtualize.js";
import { type OptStats, countRule, formatOptStats, newOptStats, ruleCount } from "./stats.js";

export { type OptStats, countRule, formatOptStats, newOptStats, ruleCount };

/** One optimization pass. */
export type Pass = (trace: Trace, stats?: OptStats, context?: PassContext) => Trace;

/** Every pass, in the order they run. */
const PASSES = [
  ["rewrite", rewrite],
  ["pure", cse],
  ["virtualize", virtualize],
  ["heap", heap],
  ["intbounds", intbounds],
  ["dce", dce],
] as const satisfies readonly (readonly [string, Pass])[];

/** The name of a pass. */
export type PassName = (typeof PASSES)[number][0];

/** The pass that drives the others over a peeled loop (see the file overview). */
const UNROLL = "unroll";

/** The most iterations peeled off a loop before giving up on peeling it. */
const MAX_PEELS = 2;

/** The names of every pass, in the order they run (typed as strings for option parsing). */
export const ALL_PASSES: readonly string[] = [...PASSES.map(([name]) => name).filter((n) => n !== "dce"), UNROLL, "dce"];

/** Options of `optimize`. */
export interface OptimizeOptions {
  /** The passes to run (default: all); unknown names are an error. */
  readonly enable?: readonly string[];
  /** Counters that the passes bump for every rule they apply. */
  readonly stats?: OptStats;
}

/** Runs the enabled passes over `trace` and returns the optimized trace. */
export function optimize(trace: Trace, options: OptimizeOptions = {}): Trace {
  const enable = options.enable ?? ALL_PASSES;
  for (const name of enable) {
    if (!ALL_PASSES.includes(name))
      throw new Error(`unknown optimizer pass '${name}' (known: ${ALL_PASSES.join(", ")})`);
  }
  const forward = (t: Trace, stats: OptStats | undefined, context: PassContext): Trace => {
    for (const [name, pass] of PASSES) if (name !== "dce" && enable.includes(name)) t = pass(t, stats, context);
    // Loads that virtualize or heap forwarded may now be known values: one more round of
    // the passes before them folds what they decide (a guard on a forwarded load, say).
    // Its rule firings are not counted: most of them re-derive what the first round did.
    if (enable.includes("heap") || enable.includes("virtualize"))
      for (const [name, pass] of PASSES) if ((name === "rewrite" || name === "pure") && enable.includes(name)) t = pass(t);
    return t;
  };
  let t: Trace | null = null;
  if (enable.includes(UNROLL) && isPeelable(trace)) {
    // Rules counted while peeling count only if the peeled loop is kept. When one
    // peeled iteration does not close, a second one may: see unroll.ts.
    for (let peels = 1; peels <= MAX_PEELS && !t; peels++) {
      const attempt = newOptStats();
      const u = unroll(trace, peels);
      t = closeLoop(forward(u.trace, attempt, { peeled: true, boundary: u.boundary }), u, attempt);
      if (t && enable.includes("heap")) t = sinkBackEdgeStores(t, attempt);
      if (t) for (const [rule, n] of attempt.rules) countRule(options.stats, rule, n);
      if (t && peels > 1) countRule(options.stats, "unroll-peeled-again");
    }
    if (!t) countRule(options.stats, "unroll-gave-up");
  }
  t ??= forward(trace, options.stats, {});
  return enable.includes("dce") ? dce(t, options.stats) : t;
}
