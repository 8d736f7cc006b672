/**
 * @fileoverview The translator's side of quasi-immutable fields (the hint
 * `quasiImmutable(MyClass, "field")`, see hints.ts and ir/quasi-immutable.ts): finding
 * and checking the registrations, and rewriting, in the `jit` variant, every assignment
 * of such a field so that the plain interpreter reports the write
 * (`o.f = v` becomes `$tsjit$quasiWritten(o.f = v, o, "f")`): the traces that folded
 * the field are then invalidated. The codewriter's `setfield`s need nothing: the
 * FieldDescr is marked, and its spelling reports the write.
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { constructorOf, instanceFields, type Edit } from "./classes.js";
import { subsetError } from "./subset.js";
import { HERE } from "./translator.js";

const WRITTEN = "$tsjit$quasiWritten";

/**
 * The field declarations registered quasi-immutable by top-level
 * `quasiImmutable(Class, "field")` calls in `sources`; malformed registrations are
 * reported in `errors`.
 */
export function quasiImmutableFields(sources: readonly ts.SourceFile[], checker: ts.TypeChecker, errors: Error[]): Set<ts.Node> {
  const fields = new Set<ts.Node>();
  for (const sf of sources) {
    for (const st of sf.statements) {
      if (!ts.isExpressionStatement(st) || !ts.isCallExpression(st.expression)) continue;
      const call = st.expression;
      if (!ts.isIdentifier(call.expression) || call.expression.text !== "quasiImmutable") continue;
      const [clsArg, nameArg] = call.arguments;
      let sym = clsArg && ts.isIdentifier(clsArg) ? checker.getSymbolAtLocation(clsArg) : undefined;
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
      const cd = sym?.valueDeclaration;
      if (!cd || !ts.isClassDeclaration(cd) || sources.indexOf(cd.getSourceFile()) < 0) {
        errors.push(subsetError(clsArg ?? call, "quasiImmutable() needs a class of the interpreter as its first argument", 'quasiImmutable(MyClass, "field")'));
        continue;
      }
      if (!nameArg || !ts.isStringLiteral(nameArg)) {
        errors.push(subsetError(nameArg ?? call, "quasiImmutable() needs the field's name as a string literal", 'quasiImmutable(MyClass, "field")'));
        continue;
      }
      const ctor = constructorOf(cd);
      const declared = [...(ctor ? ctor.parameters.filter((p) => ts.isParameterPropertyDeclaration(p, ctor)) : []), ...instanceFields(cd)];
      const field = declared.find((f) => ts.isIdentifier(f.name) && f.name.text === nameArg.text);
      if (!field) {
        errors.push(subsetError(nameArg, `${cd.name!.text} declares no field '${nameArg.text}'`, "name an instance field declared in that class (not inherited)"));
        continue;
      }
      if (ts.getCombinedModifierFlags(field) & ts.ModifierFlags.Readonly) {
        errors.push(subsetError(nameArg, `${cd.name!.text}.${nameArg.text} is readonly: it is immutable already`, "drop the quasiImmutable() call"));
        continue;
      }
      fields.add(field);
    }
  }
  return fields;
}

/**
 * The `jit` variant's edits of `sf` for the writes of quasi-immutable `fields` (each
 * assignment reports itself; the module imports the reporting function). A write
 * other than `name.field = value` or `this.field = value` is reported in `errors`.
 */
export function quasiImmutableWriteEdits(sf: ts.SourceFile, checker: ts.TypeChecker, fields: ReadonlySet<ts.Node>, errors: Error[]): Edit[] {
  const edits: Edit[] = [];
  if (fields.size === 0) return edits;
  const isQuasi = (e: ts.Expression): e is ts.PropertyAccessExpression => {
    if (!ts.isPropertyAccessExpression(e)) return false;
    const decl = checker.getSymbolAtLocation(e.name)?.valueDeclaration;
    return decl !== undefined && fields.has(decl);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment && isQuasi(node.left)) {
      const obj = node.left.expression;
      if (node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) {
        errors.push(subsetError(node, "a quasi-immutable field is written only with a plain '='", `${node.left.getText(sf)} = …`));
      } else if (!ts.isIdentifier(obj) && obj.kind !== ts.SyntaxKind.ThisKeyword) {
        errors.push(subsetError(node, "a quasi-immutable field is written as name.field = value or this.field = value", "put the object in a local variable first"));
      } else {
        edits.push({ start: node.getStart(sf), end: node.getStart(sf), text: `${WRITTEN}(` });
        edits.push({ start: node.getEnd(), end: node.getEnd(), text: `, ${obj.getText(sf)}, ${JSON.stringify(node.left.name.text)})` });
      }
    } else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && isQuasi(node.operand)) {
      errors.push(subsetError(node, "a quasi-immutable field is written only with a plain '='", `${node.operand.getText(sf)} = …`));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (edits.length > 0) {
    const runtime = pathToFileURL(join(HERE, "..", "ir", "quasi-immutable.js")).href;
    edits.push({ start: 0, end: 0, text: `import { quasiImmutableWritten as ${WRITTEN} } from ${JSON.stringify(runtime)};\n` });
  }
  return edits;
}
