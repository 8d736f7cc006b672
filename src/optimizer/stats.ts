/**
 * @fileoverview Counters of optimizer rule applications. Every pass names each rewrite
 * it performs (`fold-pure-const`, `cse-pure`, `dce-unused`, …) and bumps its counter, so
 * that tests can check that a rule fired and the CLI can show what the optimizer did.
 */

/** How often each named rule was applied. */
export interface OptStats {
  readonly rules: Map<string, number>;
}

/** Fresh, empty counters. */
export function newOptStats(): OptStats {
  return { rules: new Map() };
}

/** Adds `n` applications of `rule` (no-op without stats). */
export function countRule(stats: OptStats | undefined, rule: string, n = 1): void {
  if (stats) stats.rules.set(rule, (stats.rules.get(rule) ?? 0) + n);
}

/** How often `rule` was applied (0 when never). */
export function ruleCount(stats: OptStats, rule: string): number {
  return stats.rules.get(rule) ?? 0;
}

/** The counters as text, one `rule  count` line each, sorted by rule name. */
export function formatOptStats(stats: OptStats): string {
  const entries = [...stats.rules].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return "(no rules applied)\n";
  const width = Math.max(...entries.map(([r]) => r.length));
  return entries.map(([r, n]) => `${r.padEnd(width)}  ${n}`).join("\n") + "\n";
}
