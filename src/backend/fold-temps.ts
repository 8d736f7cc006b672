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
 * the expression would be taken for the call's), and lines of any other shape.
 * The folded expression is parenthesized, so it is one operand wherever it lands.
 */

/** `const vN = expr;` as the backend emits a temporary. */
const DEFINITION = /^(\s*)const (v\d+) = (.*);$/;
/** A temporary's name as a word of the source (not a property name after `.`). */
const TEMP_NAME = /(?<![\w$.])v\d+(?![\w$])/g;
/** A line whose parts may not all run, or that catches exceptions. */
const NOT_FOLDED_INTO = /&&|\|\||\?|\btry\b|\bcatch\b/;

/** Returns `lines` with every single-use temporary folded into the next line when it uses it. */
export function foldSingleUseTemps(lines: readonly string[]): string[] {
  const uses = new Map<string, number>();
  for (const line of lines) for (const m of line.matchAll(TEMP_NAME)) uses.set(m[0], (uses.get(m[0]) ?? 0) + 1);
  const out: string[] = [];
  for (const line of lines) {
    const prev = out.length ? DEFINITION.exec(out[out.length - 1]!) : null;
    // Each temporary appears once where it is defined: one more is its single use.
    if (prev && uses.get(prev[2]!) === 2 && !NOT_FOLDED_INTO.test(line)) {
      let found = 0;
      let at = -1;
      const folded = line.replace(TEMP_NAME, (name, offset: number) => (name === prev[2] ? (found++, (at = offset), `(${prev[3]})`) : name));
      const firstStatementEnd = line.indexOf(";");
      if (found === 1 && (firstStatementEnd < 0 || at < firstStatementEnd)) {
        out[out.length - 1] = folded;
        continue;
      }
    }
    out.push(line);
  }
  return out;
}
