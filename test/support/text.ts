/**
 * @fileoverview Test helper: `trace` is a template tag that removes the common
 * indentation and the first/last blank lines of a trace written inside a test, so that
 * expected trace texts can be indented with the code and still compare byte for byte
 * with `printTrace` output (which always ends with one newline).
 */

/** Dedents a template literal and ends it with exactly one newline. */
export function trace(strings: TemplateStringsArray, ...subs: unknown[]): string {
  let text = strings.raw.reduce((acc, s, i) => acc + s + (i < subs.length ? String(subs[i]) : ""), "");
  text = text.replace(/\\`/g, "`");
  const lines = text.split("\n");
  while (lines.length && lines[0]!.trim() === "") lines.shift();
  while (lines.length && lines[lines.length - 1]!.trim() === "") lines.pop();
  const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join("\n") + "\n";
}
