/**
 * @fileoverview Backend tests of shared bridges: a bridge inlined at several guards of a
 * loop or entry tree is emitted once, after a block that those guards break out of
 * (`sharedBridges` decides which and in what order), unless something inside it jumps
 * to a label of the tree other than its outermost loop.
 */

import { describe, expect, it } from "vitest";
import { CodeSpace, FINISH, type TraceTree } from "../../src/backend/compile.js";
import { sharedBridges } from "../../src/backend/shared-bridges.js";
import { TargetToken } from "../../src/ir/descr.js";
import { parseTrace } from "../../src/ir/parser.js";
import { type Op, type Trace } from "../../src/ir/trace.js";
import { trace } from "../support/text.js";

const L = new TargetToken("L");
const BODY = new TargetToken("L.body");
const env = { descrs: { L, "L.body": BODY } };

/**
 * A peeled loop counting n up to 10; the preamble and the body check `n < 10` and
 * `n != 5` alike (two guards of each shape, as peeling makes them).
 */
const LOOP = trace`
  # loop
  [n0]
  label(n0, descr=L)
  b1 = num_lt(n0, 10)
  guard_true(b1) [n0]
  b2 = eq(n0, 5)
  guard_false(b2) [n0]
  n3 = num_add(n0, 1)
  label(n3, descr=L.body)
  b4 = num_lt(n3, 10)
  guard_true(b4) [n3]
  b5 = eq(n3, 5)
  guard_false(b5) [n3]
  n6 = num_add(n3, 1)
  jump(n6, descr=L.body)
`;

/** Finishes with its input plus `k`. */
const finishing = (k: number): string => trace`
  # bridge
  [n0]
  n1 = num_add(n0, ${k})
  finish(n1)
`;

/** Goes on in the loop body past 5, at 6. */
const INTO_BODY = trace`
  # bridge
  [n0]
  n1 = num_add(n0, 1)
  jump(n1, descr=L.body)
`;

/** Starts the loop over at n + 1 (a jump to the tree's own token: `continue e`). */
const RESTART = trace`
  # bridge
  [n0]
  n1 = num_add(n0, 1)
  jump(n1, descr=L)
`;

/** Finishes with n + 1000, unless n is 11 (a guard that another bridge may hang from). */
const OUTER = trace`
  # bridge
  [n0]
  b1 = eq(n0, 11)
  guard_false(b1) [n0]
  n2 = num_add(n0, 1000)
  finish(n2)
`;

const guards = (t: Trace): Op[] => t.ops.filter((op) => op.info.guard);

describe("sharedBridges", () => {
  it("picks a bridge inlined at two guards", () => {
    const root = parseTrace(LOOP, env);
    const [lt0, , lt1] = guards(root);
    const b = parseTrace(finishing(1000), env);
    expect(sharedBridges(root, new Map([[lt0!, b], [lt1!, b]]), L)).toEqual([b]);
  });

  it("leaves a bridge inlined at one guard, and one per guard, where they stand", () => {
    const root = parseTrace(LOOP, env);
    const [lt0, , lt1] = guards(root);
    const b = parseTrace(finishing(1000), env);
    expect(sharedBridges(root, new Map([[lt0!, b]]), L)).toEqual([]);
    expect(sharedBridges(root, new Map([[lt0!, b], [lt1!, parseTrace(finishing(1000), env)]]), L)).toEqual([]);
  });

  it("does not move a bridge that jumps into the loop body, nor one with such a bridge inside", () => {
    const root = parseTrace(LOOP, env);
    const [lt0, eq0, lt1, eq1] = guards(root);
    const into = parseTrace(INTO_BODY, env);
    expect(sharedBridges(root, new Map([[eq0!, into], [eq1!, into]]), L)).toEqual([]);
    // `outer` reaches INTO_BODY through its own guard.
    const outer = parseTrace(OUTER, env);
    const bridges = new Map([[lt0!, outer], [lt1!, outer], [guards(outer)[0]!, into]]);
    expect(sharedBridges(root, bridges, L)).toEqual([]);
  });

  it("moves a bridge that restarts the tree's outermost loop", () => {
    const root = parseTrace(LOOP, env);
    const [, eq0, , eq1] = guards(root);
    const restart = parseTrace(RESTART, env);
    expect(sharedBridges(root, new Map([[eq0!, restart], [eq1!, restart]]), L)).toEqual([restart]);
  });

  it("orders a shared bridge before the shared bridges whose guards stand in its code", () => {
    const root = parseTrace(LOOP, env);
    const [lt0, eq0, lt1, eq1] = guards(root);
    const outer = parseTrace(OUTER, env);
    const inner = parseTrace(finishing(2000), env);
    // `inner` is met first (at eq0), yet must come after `outer`, which holds a guard of it.
    const bridges = new Map<Op, Trace>([[eq0!, inner], [lt0!, outer], [lt1!, outer], [guards(outer)[0]!, inner], [eq1!, parseTrace(finishing(3000), env)]]);
    expect(sharedBridges(root, bridges, L)).toEqual([outer, inner]);
  });
});

describe("backend: shared bridges compiled", () => {
  /** LOOP compiled with `bridge` inlined at both guards of one shape (`which`: 0 for n < 10, 1 for n != 5). */
  function compiled(bridgeText: string, which: 0 | 1): { tree: TraceTree; run: (n: number) => { code: number; out: unknown } } {
    const space = new CodeSpace(3000, 1);
    const root = parseTrace(LOOP, env);
    const tree = space.addTree(root, L, "L");
    const bridge = parseTrace(bridgeText, env);
    const gs = guards(root);
    for (const g of [gs[which]!, gs[which + 2]!]) {
      const exit = space.exits.find((e) => e.guard === g)!;
      space.addBridge(exit, bridge, "L");
      space.buffer[0] = 0;
      space.exit(exit.index, 0); // called inlineAfter (1) times: inlined
    }
    expect(tree.bridges.size).toBe(2);
    return {
      tree,
      run: (n) => {
        const code = tree.body(n, 0);
        return { code, out: space.buffer[0] };
      },
    };
  }

  it("emits a bridge inlined at two guards once, and runs it from either", () => {
    const { tree, run } = compiled(finishing(1000), 0);
    expect(tree.source.match(/\+ 1000/g)).toHaveLength(1);
    expect(tree.source).toMatch(/break s0;[^]*break s0;/);
    expect(run(12)).toEqual({ code: FINISH, out: 1012 }); // the preamble's guard
    expect(run(6)).toEqual({ code: FINISH, out: 1010 }); // the body's guard
  });

  it("runs a shared bridge that starts the loop over", () => {
    // At 5 the bridge skips to 6; the loop then counts to 10, where no bridge is.
    const { tree, run } = compiled(RESTART, 1);
    expect(tree.source.match(/continue e;/g)?.length).toBeGreaterThanOrEqual(1);
    expect(tree.source).toMatch(/break s0;/);
    const atTen = tree.exits.find((e) => e.guard === guards(tree.root!)[2])!.index; // the body's n < 10
    expect(run(5).code).toBe(atTen);
    expect(run(2).code).toBe(atTen);
  });

  it("inlines a bridge that jumps into the loop body at each guard", () => {
    const { tree, run } = compiled(INTO_BODY, 1);
    expect(tree.source).not.toMatch(/break s\d+;/);
    // From the body's guard at 5, on at 6 in the body, up to 10.
    expect(run(2).code).toBe(tree.exits.find((e) => e.guard === guards(tree.root!)[2])!.index);
  });
});
