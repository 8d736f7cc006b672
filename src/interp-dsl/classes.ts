/**
 * @fileoverview How an interpreter class is constructed, in one place for the two parts
 * of the translator that must agree on it: the init code the codewriter lowers for
 * `new` (`CodeWriter.lowerInit`) and the `jit` variant's rewrite of the class that
 * lets the JIT allocate it blank (`blankAllocationEdits`). Both define the fields in
 * JS's order (ES2022 class fields, as `tsc` emits them): at the start of a base
 * class's constructor or right after `super(...)`, every parameter property as
 * `undefined`, then the property declarations in source order, then the parameter
 * properties assigned. The trace's `setfield`s thus define the properties of a blank
 * instance in the order `new C(...)` defines them, which gives it the same V8 hidden
 * class (docs/architecture.md, "`new` of an interpreter class").
 */

import ts from "typescript";

/** The spelling of the blank-allocation sentinel in the `jit` variant (`BLANK_ALLOCATION` of ir/descr.ts). */
export const BLANK = "$tsjit$blank";

/** The constructor of `cd` that has a body, if it declares one. */
export function constructorOf(cd: ts.ClassDeclaration): ts.ConstructorDeclaration | undefined {
  return cd.members.find((m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && m.body !== undefined);
}

/** The instance fields a construction of `cd` defines (not static, `declare` or abstract ones). */
export function instanceFields(cd: ts.ClassDeclaration): ts.PropertyDeclaration[] {
  const skip = ts.ModifierFlags.Static | ts.ModifierFlags.Ambient | ts.ModifierFlags.Abstract;
  return cd.members.filter((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && (ts.getCombinedModifierFlags(m) & skip) === 0);
}

/** The `super(...)` call of a statement that is nothing else. */
export function superCallOf(st: ts.Statement): ts.CallExpression | null {
  if (!ts.isExpressionStatement(st) || !ts.isCallExpression(st.expression)) return null;
  return st.expression.expression.kind === ts.SyntaxKind.SuperKeyword ? st.expression : null;
}

/** A change of the source text: [start, end) becomes `text`. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * How the `jit` variant lets the JIT allocate an instance of class `cd` without running
 * its constructor (see ClassDescr in ir/descr.ts): the constructor first checks for the
 * sentinel and then returns at once (after passing it on to `super`). Field
 * declarations and parameter properties become assignments in the constructor, where
 * JS would have defined them (at its start, or right after `super(...)`), in the same
 * order, so a normal construction defines the same properties in the same order —
 * and a blank one none. `parentArity` is null for a class without a parent, else the
 * number of arguments its parent's constructor takes.
 */
export function blankAllocationEdits(cd: ts.ClassDeclaration, parentArity: number | null): Edit[] {
  const sf = cd.getSourceFile();
  const edits: Edit[] = [];
  const ctor = constructorOf(cd);
  const props = ctor ? ctor.parameters.filter((p) => ts.isParameterPropertyDeclaration(p, ctor)) : [];
  const name = (d: ts.NamedDeclaration): string => d.name!.getText(sf);
  const fieldText = [
    ...props.map((p) => `this.${name(p)} = undefined;`),
    ...instanceFields(cd).map((m) => `this.${name(m)} = ${m.initializer ? `(${m.initializer.getText(sf)})` : "undefined"};`),
    ...props.map((p) => `this.${name(p)} = ${name(p)};`),
  ].join(" ");
  for (const m of instanceFields(cd)) edits.push({ start: m.getStart(sf), end: m.getEnd(), text: "" });
  for (const p of props) for (const mod of p.modifiers ?? []) edits.push({ start: mod.getStart(sf), end: mod.getEnd(), text: "" });
  const derived = parentArity !== null;
  const check = (param: string): string => (derived ? `if (${param} === ${BLANK}) { super(${BLANK}); return; }` : `if (${param} === ${BLANK}) return;`);
  if (!ctor) {
    const params = derived && parentArity > 0 ? Array.from({ length: parentArity }, (_, i) => `$tsjit$a${i}`) : ["$tsjit$b"];
    const superCall = derived ? `super(${parentArity > 0 ? params.join(", ") : ""});` : "";
    edits.push({ start: cd.members.pos, end: cd.members.pos, text: ` constructor(${params.join(", ")}) { ${check(params[0]!)} ${superCall} ${fieldText} }` });
    return edits;
  }
  const first = ctor.parameters[0];
  if (!first) edits.push({ start: ctor.parameters.pos, end: ctor.parameters.pos, text: "$tsjit$b" });
  const bodyStart = ctor.body!.getStart(sf) + 1;
  edits.push({ start: bodyStart, end: bodyStart, text: ` ${check(first ? name(first) : "$tsjit$b")}${derived ? "" : ` ${fieldText}`}` });
  if (derived) {
    const superStmt = ctor.body!.statements.find((st) => superCallOf(st) !== null)!;
    edits.push({ start: superStmt.getEnd(), end: superStmt.getEnd(), text: ` ${fieldText}` });
  }
  return edits;
}
