/**
 * @fileoverview Which bridges a loop or entry tree's function holds once for several
 * guards, and in what order (compile.ts emits them).
 *
 * One bridge trace often hangs from several guards of a tree: a peeled loop checks the
 * same condition in its preamble and in its body, and a failing guard of the same shape
 * as one that has a bridge is given that bridge (tracer/bridge-shape.ts). Inlined at
 * each guard, its code would be in the function once per guard (in the final
 * functions of Mandelbrot.b's trees, a fifth of the guard exits stood in such copies). Instead each guard sets
 * the bridge's input variables and breaks out of a labelled block that encloses every
 * such guard; the bridge's code stands right after that block, once.
 *
 * The bridge's code then runs outside every loop of the tree but the function's own
 * (`e`), so a bridge qualifies only if nothing emitted inside it — its ops, and the
 * bridges inlined into it, transitively — jumps to another label of the tree (a loop
 * body) or opens a label. Blocks nest, the first bridge's innermost: a bridge's code
 * can only break out to the blocks of bridges that come after it, so the order puts
 * every bridge before the shared bridges whose guards stand inside its code.
 */

import { type TargetToken } from "../ir/descr.js";
import { type Op, type Trace } from "../ir/trace.js";

/**
 * The bridges of a tree to emit once, in block order (innermost block first): those
 * inlined at two guards or more of the function and jumping only to labels that are in
 * scope outside the root's loops. `root` is the tree's trace, `bridges` its inlined
 * bridges by guard, `own` the token of the function's outermost loop (`e`).
 */
export function sharedBridges(root: Trace, bridges: ReadonlyMap<Op, Trace>, own: TargetToken): Trace[] {
  const inner = new Set<unknown>();
  for (const op of root.ops) if (op.name === "label" && op.descr !== own) inner.add(op.descr);

  // How many guards each bridge is inlined at, when every bridge inlined at several is emitted once.
  const uses = new Map<Trace, number>();
  const count = (ops: readonly Op[]): void => {
    for (const op of ops) {
      const b = op.info.guard ? bridges.get(op) : undefined;
      if (b === undefined) continue;
      const n = (uses.get(b) ?? 0) + 1;
      uses.set(b, n);
      if (n === 1) count(b.ops);
    }
  };
  count(root.ops);

  const movable = new Map<Trace, boolean>();
  const canMove = (b: Trace): boolean => {
    let ok = movable.get(b);
    if (ok !== undefined) return ok;
    movable.set(b, false); // bridges do not nest in themselves; this only guards the walk
    ok = b.ops.every((op) => {
      if (op.name === "label") return false;
      if (op.name === "jump" && inner.has(op.descr)) return false;
      const nested = op.info.guard ? bridges.get(op) : undefined;
      return nested === undefined || canMove(nested);
    });
    movable.set(b, ok);
    return ok;
  };
  const chosen = new Set<Trace>();
  for (const [b, n] of uses) if (n >= 2 && canMove(b)) chosen.add(b);
  if (chosen.size === 0) return [];

  // Reverse post-order of "a guard of B stands in A's code": A before B.
  const post: Trace[] = [];
  const visited = new Set<Trace>();
  const visit = (ops: readonly Op[]): void => {
    for (const op of ops) {
      const b = op.info.guard ? bridges.get(op) : undefined;
      if (b === undefined) continue;
      if (!chosen.has(b)) visit(b.ops);
      else if (!visited.has(b)) {
        visited.add(b);
        visit(b.ops);
        post.push(b);
      }
    }
  };
  visit(root.ops);
  return post.reverse();
}
