/**
 * @fileoverview How the backend spells ops whose JS spelling depends on their
 * arguments: `new_array` of a small constant length is an array literal (V8 makes it
 * some ten times faster than `new Array(n).fill(v)`), the same dense array; a longer or
 * unknown length keeps `new Array(n).fill(v)`.
 */

import { describe, expect, it } from "vitest";
import { CodeSpace, FINISH } from "../../src/backend/compile.js";
import { TargetToken } from "../../src/ir/descr.js";
import { parseTrace } from "../../src/ir/parser.js";
import { trace } from "../support/text.js";

function run(text: string, ...inputs: unknown[]): { result: unknown; source: string } {
  const space = new CodeSpace(3000, 50);
  const tree = space.addTree(parseTrace(text), new TargetToken("Entry"), "Entry");
  inputs.forEach((v, i) => (space.buffer[i] = v));
  expect(tree.fn()).toBe(FINISH);
  return { result: space.buffer[0], source: tree.source };
}

describe("backend: new_array", () => {
  it("a small constant length is an array literal: the same dense array", () => {
    const { result, source } = run(
      trace`
        # entry
        [n0]
        p1 = new_array(3, n0, descr=Array<number>)
        finish(p1)
      `,
      7,
    );
    expect(source).toMatch(/\(\[i0, i0, i0\]\)/);
    expect(result).toEqual([7, 7, 7]);
    expect(Object.keys(result as number[])).toEqual(["0", "1", "2"]);
  });

  it("a long or unknown length stays new Array(n).fill(v)", () => {
    const long = run(
      trace`
        # entry
        [n0]
        p1 = new_array(17, n0, descr=Array<number>)
        finish(p1)
      `,
      1,
    );
    expect(long.source).toContain("new Array(17).fill(i0)");
    expect(long.result).toEqual(new Array(17).fill(1));
    const unknown = run(
      trace`
        # entry
        [n0]
        p1 = new_array(n0, null, descr=Array<number>)
        finish(p1)
      `,
      2,
    );
    expect(unknown.source).toContain("new Array(i0).fill(null)");
    expect(unknown.result).toEqual([null, null]);
  });
});
