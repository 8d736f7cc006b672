/**
 * @fileoverview A peephole over the backend's generated lines: a temporary defined on one
 * line (`const v7 = (v6 !== 0);`) and used once in the whole function, on the very next
 * line, is written into that use instead (`if (!(v6 !== 0)) {`).
 *
 * Why: until TurboFan has compiled a tree, V8 runs it in its interpreter (Ignition) or
 * baseline tier (Sparkplug), which execute every `const` as a register store and load.
 * Folding them made a BF loop body 18% faster in Ignition and 26% in Sparkplug (the
 * same loop in both forms, `node --no-opt [--no-sparkplug]`); TurboFan's code is the
 * same either way. Trees spend their first milliseconds, and a recompiled tree its
 * first ones again, in those tiers.
 *
 * Why it keeps the meaning: each op is emitted as its own line whose operands are names
 * and literals, so moving the one expression into the next line's single use evaluates
 * it at the same point in the sequence, after everything before it and before the op
 * that uses it — provided the use is in the line's first statement: a later one may
 * run after an assignment to a name the expression reads (`l1 = v4; l2 = v5;`, where
 * `v5` is `(l2 + l1)`, is not folded). A use counts wherever the name appears as a word (not after a `.`: a
 * field may be called `v3`). Not folded: into a line that evaluates conditionally
 * (`&&`, `||`, `?`: the expression might not run) or catches (`try`: an exception of
 * the expression would be taken for the call's), nor where the temporary is called
 * (`(o.f)(x)` would call `f` as a method of `o`), and lines of any other shape. The
 * folded expression is parenthesized unless it already is one operand (a name, a chain
 * of properties and indices, or wholly in parentheses).
 */

/** A line whose parts may not all run, or that catches exceptions. */
const NOT_FOLDED_INTO = /&&|\|\||\?|\btry\b|\bcatch\b/;

/** Whether char code `c` may be part of an identifier (or is the `.` before a property name). */
function identifierOrDot(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95 || c === 46;
}

/**
 * The temporary `vN` standing as a word of its own (not a property name after `.`, not
 * part of a longer name) at or after `from` in `line`: its number, start and end in
 * `found`; false when there is none. A scan by hand: a regular expression over every
 * line took a third of the backend's time.
 */
function nextTemp(line: string, from: number, found: { n: number; start: number; end: number }): boolean {
  for (let i = line.indexOf("v", from); i >= 0; i = line.indexOf("v", i + 1)) {
    if (i > 0 && identifierOrDot(line.charCodeAt(i - 1))) continue;
    let end = i + 1;
    let n = 0;
    for (let c = line.charCodeAt(end); c >= 48 && c <= 57; c = line.charCodeAt(++end)) n = n * 10 + (c - 48);
    if (end === i + 1 || (end < line.length && identifierOrDot(line.charCodeAt(end)) && line.charCodeAt(end) !== 46)) continue;
    found.n = n;
    found.start = i;
    found.end = end;
    return true;
  }
  return false;
}

/** `const vN = expr;` as the backend emits a temporary: N and where expr starts, or null. */
function definition(line: string): { n: number; expr: number } | null {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  if (!line.startsWith("const v", i) || line.charCodeAt(line.length - 1) !== 59) return null;
  i += 7;
  let n = 0;
  const digits = i;
  for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) n = n * 10 + (c - 48);
  return i > digits && line.startsWith(" = ", i) ? { n, expr: i + 3 } : null;
}

/**
 * `expr` as one operand: as it is when it already is one (a name, a property chain, or
 * wholly in parentheses), else in parentheses. Each needless pair costs the parser: a
 * `(` may open an arrow function's parameters, which it has to keep open.
 */
function operand(expr: string): string {
  if (/^[\w$]+(\.[\w$]+|\[[\w$]+\])*$/.test(expr)) return expr;
  if (expr.charCodeAt(0) === 40 && closingParen(expr, 0) === expr.length - 1) return expr;
  return `(${expr})`;
}

/** Where the `(` at `open` in `expr` closes (the backend's code has no parentheses in strings). */
function closingParen(expr: string, open: number): number {
  let depth = 0;
  for (let i = open; i < expr.length; i++) {
    const c = expr.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return i;
  }
  return -1;
}

/** Returns `lines` with every single-use temporary folded into the next line when it uses it. */
export function foldSingleUseTemps(lines: readonly string[]): string[] {
  const uses: number[] = [];
  const t = { n: 0, start: 0, end: 0 };
  for (const line of lines) for (let at = 0; nextTemp(line, at, t); at = t.end) uses[t.n] = (uses[t.n] ?? 0) + 1;
  const out: string[] = [];
  for (const line of lines) {
    const last = out.length ? out[out.length - 1]! : "";
    const def = definition(last);
    // Each temporary appears once where it is defined: one more is its single use.
    if (def && uses[def.n] === 2 && !NOT_FOLDED_INTO.test(line)) {
      let found = nextTemp(line, 0, t);
      while (found && t.n !== def.n) found = nextTemp(line, t.end, t);
      const firstStatementEnd = line.indexOf(";");
      // Not where it is called: `(o.f)(x)` calls `f` with `this` = `o`, `v(x)` without.
      const called = line.charCodeAt(t.end) === 40;
      if (found && !called && (firstStatementEnd < 0 || t.start < firstStatementEnd)) {
        out[out.length - 1] = `${line.slice(0, t.start)}${operand(last.slice(def.expr, -1))}${line.slice(t.end)}`;
        continue;
      }
    }
    out.push(line);
  }
  return out;
}
