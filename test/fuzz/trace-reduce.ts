/**
 * @fileoverview A small test-case reducer for the optimizer fuzz test: removes op lines
 * and resume-data values of a trace text, one at a time, as long as the result still
 * parses and still shows the failure. The input line (and thus the inputs the failure
 * was seen with) is kept as it is.
 */

import { type ParseEnv, parseTrace } from "../../src/ir/parser.js";
import { type Trace } from "../../src/ir/trace.js";

/** Removes the `k`th value of the first frame list `[…]` of a guard line, or null. */
function dropResumeValue(line: string, k: number): string | null {
  const open = line.indexOf(" [");
  if (open < 0) return null;
  const close = line.indexOf("]", open);
  const inner = line.slice(open + 2, close);
  const m = /^([^\s:;]+@\d+:)?\s*(.*)$/.exec(inner);
  if (!m || inner.includes(";")) return null;
  const values = m[2]!.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (k >= values.length) return null;
  values.splice(k, 1);
  const prefix = m[1] ? m[1] + (values.length ? " " : "") : "";
  return line.slice(0, open + 2) + prefix + values.join(", ") + line.slice(close);
}

/**
 * The smallest text found (greedily) for which `fails(parseTrace(text))` holds; `text`
 * itself must fail. Stops after `budget` attempts.
 */
export function reduceTraceText(text: string, env: ParseEnv, fails: (t: Trace) => boolean, budget = 3000): string {
  let lines = text.replace(/\n$/, "").split("\n");
  const attempt = (candidate: string[]): boolean => {
    if (budget-- <= 0) return false;
    let t: Trace;
    try {
      t = parseTrace(candidate.join("\n") + "\n", env);
    } catch {
      return false;
    }
    try {
      return fails(t);
    } catch {
      return false;
    }
  };
  for (let changed = true; changed && budget > 0; ) {
    changed = false;
    // Op lines, last first (so values are removed after their uses).
    for (let i = lines.length - 1; i >= 2; i--) {
      const candidate = lines.filter((_, k) => k !== i);
      if (attempt(candidate)) {
        lines = candidate;
        changed = true;
      }
    }
    // Resume data values.
    for (let i = 2; i < lines.length; i++) {
      for (let k = 0; ; ) {
        const line = dropResumeValue(lines[i]!, k);
        if (line === null) break;
        const candidate = lines.slice();
        candidate[i] = line;
        if (attempt(candidate)) {
          lines = candidate;
          changed = true;
        } else k++;
      }
    }
  }
  return lines.join("\n") + "\n";
}
