/**
 * @fileoverview Helper of the optimizer tests: parse a trace text, optimize it with the
 * given passes and print the result, returning the text and the rule counters.
 */

import { expect } from "vitest";
import { type ParseEnv, parseTrace } from "../../src/ir/parser.js";
import { printTrace } from "../../src/ir/printer.js";
import { type OptStats, newOptStats, optimize } from "../../src/optimizer/pipeline.js";

/** The optimized text of `text` and the rules applied. */
export function opt(text: string, enable?: readonly string[], env?: ParseEnv): { text: string; stats: OptStats; rules: Record<string, number> } {
  const input = parseTrace(text, env);
  const before = printTrace(input);
  const stats = newOptStats();
  const out = optimize(input, { enable, stats });
  // A pass never modifies its input.
  expect(printTrace(input)).toBe(before);
  return { text: printTrace(out), stats, rules: Object.fromEntries(stats.rules) };
}
