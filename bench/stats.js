/**
 * @fileoverview Summary statistics of a list of wall times: median, min, max and the
 * relative spread (max − min) / median. The median rather than the mean, because a
 * benchmark's noise is one-sided (a run is only ever slowed down by the machine).
 */

/** @param {number[]} xs  @returns {number} */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * @param {number[]} times  seconds, at least one
 * @returns {{median: number, min: number, max: number, spread: number}} spread in %
 */
export function summarize(times) {
  const m = median(times);
  const min = Math.min(...times);
  const max = Math.max(...times);
  return { median: m, min, max, spread: m > 0 ? ((max - min) / m) * 100 : 0 };
}

/** a / b, or null when either is missing. */
export function ratio(a, b) {
  return a != null && b != null && b > 0 ? a / b : null;
}
