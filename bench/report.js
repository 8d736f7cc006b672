/**
 * @fileoverview The text table printed per program. One row per config: median wall
 * time, min–max, relative spread and the ratio to the `jit` row; then the two headline
 * ratios, nojit/jit ("JIT speed-up") and jit/c ("vs gcc -O2", how far from native).
 */

const sec = (x) => x.toFixed(3);
const times = (x) => (x == null ? "n/a" : `${x.toFixed(2)}x`);

/** Pads the cells of `rows` into aligned columns; `right[i]` right-aligns column i. */
function align(rows, right) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("   ").trimEnd());
}

/**
 * @param {object} p  a program's entry of the JSON results
 * @param {number} runs
 * @returns {string}
 */
export function formatProgram(p, runs) {
  const rows = [["config", "median s", "min-max s", "spread", "/jit"]];
  for (const [name, c] of Object.entries(p.configs)) {
    if (c.failed) rows.push([name, "FAILED", "", "", ""]);
    else rows.push([name, sec(c.median), `${sec(c.min)}-${sec(c.max)}`, `${c.spread.toFixed(1)}%`, times(c.vsJit)]);
  }
  const lines = [`${p.name}  (median of ${runs} run${runs === 1 ? "" : "s"} per config, after 1 warm-up; fresh process each)`];
  lines.push(...align(rows, [false, true, true, true, true]).map((l) => "  " + l));
  const headline = [`JIT speed-up (nojit/jit): ${times(p.ratios.jitSpeedup)}`];
  if ("c -O2" in p.configs) headline.push(`vs gcc -O2 (jit/c): ${times(p.ratios.vsGcc)}`);
  lines.push("  " + headline.join("    "));
  if (Object.values(p.configs).some((c) => c.failed)) lines.push("  FAILED configs have no time: see the failure list at the end (stderr)");
  return lines.join("\n");
}
