/**
 * @fileoverview The errors of the restricted TypeScript subset: each rejected construct
 * is reported with its file:line:col, the rule it breaks and a hint how to fix it.
 *
 * The rules themselves live where they are checked (the codewriter rejects what it
 * cannot lower); this file gives them one shape and one place to be listed in the docs.
 */

import ts from "typescript";

/** One violation of the subset. */
export class SubsetError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly rule: string,
    readonly hint: string,
  ) {
    super(`${file}:${line}:${col}: ${rule}${hint ? ` (hint: ${hint})` : ""}`);
    this.name = "SubsetError";
  }
}

/** Thrown by the translator when the interpreter breaks the subset; lists every violation. */
export class TranslationError extends Error {
  constructor(readonly errors: readonly Error[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "TranslationError";
  }
}

/** A SubsetError at `node`. */
export function subsetError(node: ts.Node, rule: string, hint = ""): SubsetError {
  const sf = node.getSourceFile();
  const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return new SubsetError(sf.fileName, line + 1, character + 1, rule, hint);
}
