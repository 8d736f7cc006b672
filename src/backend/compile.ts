/**
 * @fileoverview The backend: turns a trace tree — a loop or entry trace with the bridges
 * inlined at the guards they hang from — into one JS function with `new Function`,
 * which V8 then compiles to machine code.
 *
 * A peeled loop `[i] label(i, descr=L) preamble label(x, descr=L.body) body jump(y)`
 * becomes labelled loops, one per label, each nested in the one before:
 *
 *     function L(i0) {
 *       e: for (;;) { …preamble…
 *         let l1 = x;
 *         t1: for (;;) { …body…; { const t2 = y; l1 = t2; } continue t1; } } }
 *
 * A function takes its inputs from the exit buffer `X`, shared by all compiled code of
 * an engine; a loop or entry tree's function is a small entry that reads them and calls
 * the tree's `body`, which takes them as arguments. A jump to a label in scope assigns
 * the label's variables and `continue`s it. A guard becomes `if (!(cond)) { … }`;
 * inside the braces stands the bridge traced from that guard, inlined (so a bridge that
 * goes back to its loop is a `continue`), or else the exit: the guard's fail arguments
 * go into `X`, and `x(i)` calls the bridge compiled on its own for that guard if there
 * is one, else returns the guard's index i in the engine's exit table. (In a loop or
 * entry tree the exit goes through locals to one handler that does this: see
 * exitCode.) A new bridge is first compiled on its own
 * (cheap: a small function); once called `inlineAfter` times it is inlined into its
 * guard's tree, whose function is recompiled — unless the tree is past `limit` ops (V8
 * stops optimizing very large functions, and recompiling a hot one sends it back to V8's
 * interpreter for a while). A bridge inlined at several guards of a loop or entry tree
 * stands in its function once, after a block its guards break out of (see
 * shared-bridges.ts).
 *
 * A jump to another tree calls that tree's `body` with the jump's arguments, so hot
 * hand-offs stay in compiled code (through `X` instead, Mandelbrot.b took 6% longer:
 * it makes 42 million such calls). To keep the JS stack bounded, a tree is entered at
 * most once at a time: the tree's field `active` says whether it runs (the caller sets
 * it around the call). A jump to an active tree, and an out-of-line bridge's jump back
 * to the loop it hangs from, instead return `-1 - k` with the jump's arguments in `X`;
 * every function returns such a code unchanged to its caller, except tree k itself,
 * which reloads its inputs and starts over. Every compiled function also takes as its
 * last argument `d`, the weight of the compiled frames on the JS stack below it, each
 * weighing its number of temporaries (`W`, in units of 32; a bridge of a few thousand
 * ops has a frame of tens of kilobytes), and passes `d + W` on to whatever it calls:
 * past STACK_BUDGET a jump returns and a bridge call exits instead, and the engine
 * carries on from the bottom of the stack. The engine's own count is `D[0]`: an entry
 * function starts from it, and compiled code sets it before every call that may enter
 * the engine (`x`, `c`, a residual call of a function or method, which may run the
 * interpreter and enter compiled code again). (The count kept in `D[0]` alone, raised
 * and lowered around every call, made Mandelbrot.b 3% slower; the active flags in a
 * typed array, 1%.) (The flags are only about stack depth: a flag left set by an
 * exception costs speed, never correctness; `d`, an argument, cannot be left stale.)
 * A call that can raise is wrapped in try/catch and leaves through the
 * guard_no_exception that follows it.
 *
 * `finish(v)` (the portal returns v) leaves with FINISH and v in `X[0]`. A guest call,
 * `call_assembler`, is a real nested call of the callee's tree `body`, its inputs as
 * arguments (see callAssembler below; passed through `X`, a store and a load each,
 * they made tiny's fib(33) take a sixth longer): a finished callee's result is read
 * from `X[0]`, anything else goes to the engine (`c`), which finishes the call; no exit
 * code crosses the call.
 *
 * Guest data never enters the source text: strings and objects are read from the
 * constant side table `K`; only numbers, booleans, null/undefined and identifiers
 * checked by the translator (field and method names) are spelled inline. Exit indices
 * and jump codes are read from `P`, so that trees of the same code have the same source
 * and share V8's compiled code (see CodeSpace.factories).
 */

import { CallDescr, TargetToken } from "../ir/descr.js";
import { failedConditionValue, SPELLINGS } from "../ir/semantics.js";
import { Const, Op, type Snapshot, type Trace, type Value } from "../ir/trace.js";
import { foldSingleUseTemps } from "./fold-temps.js";
import { sharedBridges } from "./shared-bridges.js";

/** Where compiled code finds its inputs and leaves its outputs; `exc` a pending exception. */
export type ExitBuffer = unknown[] & { exc?: unknown };

/** A guard's exit, and what the engine remembers about it across recompilations. */
export interface GuardExit {
  readonly guard: Op;
  /** Its index in the exit table: what the compiled function returns when it fails. */
  readonly index: number;
  /** The tree whose function holds the guard. */
  tree: TraceTree;
  readonly snapshot: Snapshot;
  /** The exit-buffer slot of each fail argument. */
  readonly slots: Map<Value, number>;
  /** How often the guard failed (before it got a bridge). */
  failures: number;
  /** Attempts at tracing a bridge from it that were aborted. */
  bridgeAborts: number;
}

/**
 * A loop or entry trace, or a bridge compiled on its own, with the bridges inlined at
 * its guards (and theirs); compiled into one function, recompiled when one is added.
 */
export class TraceTree {
  /** Bridge traces inlined at the guard they start from. */
  readonly bridges = new Map<Op, Trace>();
  /** The exit records whose `tree` is this one (see GuardExit.tree). */
  readonly exits: GuardExit[] = [];
  /**
   * The current function, its inputs in the exit buffer (replaced by each recompilation).
   * A loop or entry tree's counts the stack from `D[0]`; an out-of-line bridge's takes
   * the count as its argument `d` (see the file overview).
   */
  fn: (d?: number) => number = () => {
    throw new Error("backend: tree not compiled");
  };
  /**
   * For a loop or entry tree, the same code taking its inputs as arguments, then `d`:
   * what a jump or a call_assembler calls (a stub's puts the inputs into the exit
   * buffer for the engine).
   */
  body: (...inputs: unknown[]) => number = () => {
    throw new Error("backend: tree not compiled");
  };
  /** 1 while the tree runs (entered and not yet returned), else 0. */
  active = 0;
  /** For an out-of-line bridge tree, the exit index whose `bridges` entry calls it; else -1. */
  attachedAt = -1;
  /** How often compiled code called this tree through a call_assembler. */
  calls = 0;
  /** The compiled function's name, and its source text. */
  name = "";
  source = "";
  /** The name of the function whose code it runs: its own, or that of an earlier tree of the same shape. */
  codeOf = "";

  constructor(
    /** Its index in `CodeSpace.trees`; `-1 - id` is a jump to it. */
    readonly id: number,
    /** The trace; null while the tree is a stub (jumped to, not compiled yet). */
    public root: Trace | null,
    /** Where a jump to this tree comes from: its own token, or its family root's for a bridge. */
    readonly token: TargetToken,
    /** For a bridge tree, the loop or entry tree it hangs from (transitively); else null. */
    readonly family: TraceTree | null,
  ) {}

  /** False for a stub: a jump to it must go back to the interpreter (see CodeSpace.stub). */
  get compiled(): boolean {
    return this.root !== null;
  }

  /** The trace that holds `guard`: the root or one of the inlined bridges. */
  traceOf(guard: Op): Trace {
    if (this.root?.ops.includes(guard)) return this.root;
    for (const b of this.bridges.values()) if (b.ops.includes(guard)) return b;
    throw new Error("backend: guard not in tree");
  }

  /** Number of ops in the root and all inlined bridges. */
  get size(): number {
    let n = this.root?.ops.length ?? 0;
    for (const b of this.bridges.values()) n += b.ops.length;
    return n;
  }
}

/** The most trees an engine can hold (`max_trees` is at most this). */
export const MAX_TREES = 1 << 16;

/**
 * What a compiled function returns when the portal returns (`finish`), the result in
 * `X[0]`: below every jump code `-1 - id`, so every function hands it up unchanged.
 */
export const FINISH = -1 - MAX_TREES;

/**
 * What a call_assembler passes to the engine instead of an exit code when it did not
 * call the callee because the stack budget is spent: the engine runs the callee in the
 * interpreter.
 */
export const OVER_BUDGET = FINISH - 1;

/**
 * Compiled frames weigh at most this much when a call_assembler calls the callee's
 * compiled code (and the engine enters compiled code at a function entry): past it,
 * a deep guest recursion goes on in the interpreter, whose frames are small. Below
 * STACK_BUDGET, so that the callee's own jumps and bridges have room.
 */
export const CALL_BUDGET = 900;

/**
 * How much of the JS stack compiled frames may take, in units of 32 temporaries (about
 * 256 bytes): past it, a jump or a bridge call leaves to the engine instead, which
 * carries on from the bottom of the stack. About a quarter of node's default stack.
 */
export const STACK_BUDGET = 1000;

/** An out-of-line bridge called `inlineAfter / BATCH_FRACTION` times is inlined along with a hotter one. */
const BATCH_FRACTION = 10;

/**
 * All compiled code of an engine and what it shares: the exit buffer, the exit table,
 * the out-of-line bridge table, and the tree each token enters.
 */
export class CodeSpace {
  readonly buffer: ExitBuffer = [];
  readonly exits: GuardExit[] = [];
  /** Out-of-line bridge functions by exit index (undefined: none); `d` as in the file overview. */
  readonly bridges: (((d: number) => number) | undefined)[] = [];
  readonly trees: TraceTree[] = [];
  private readonly byToken = new Map<TargetToken, TraceTree>();
  /**
   * Functions compiled so far, by shape: their source with the name left out and the
   * numbers that differ between trees of the same code (exit indices, jump codes) read
   * from the array P. A tree of a known shape is made by the same factory, so its
   * function is a closure of the same function literal: V8 gives such closures one
   * feedback vector and one optimized code (peeling and BF's repetitive code make many
   * loops alike: Mandelbrot.b's 4 hottest trees have one shape). Such code cannot be
   * specialized to the constants of one closure's context, which costs a little in every
   * function; off when `shareCode` is false.
   */
  readonly factories = new Map<string, { factory: Factory; name: string }>();
  /** Functions compiled (trees and their recompilations), and how many of them had a known shape. */
  readonly functions = { compiled: 0, sharingCode: 0 };
  private readonly exitByGuard = new Map<Op, GuardExit>();

  /**
   * The weight of the compiled frames on the JS stack (`D[0]`; see STACK_BUDGET) when
   * the engine last took over: an entry function passes it on to its tree, and compiled
   * code sets it before any call that may enter the engine (see the file overview).
   */
  readonly depth = new Int32Array(1);

  /**
   * What a call_assembler does when the callee's compiled code did not finish (it
   * returned exit code `r`, or OVER_BUDGET): the engine finishes the guest call and
   * returns its result (see Engine.finishCall). Set by the engine.
   */
  onCallExit: (callee: TraceTree, r: number) => unknown = () => {
    throw new Error("backend: no engine to finish a guest call");
  };
  /** Called with every tree (loop, entry or bridge) each time it is (re)compiled. */
  onCompiled: ((tree: TraceTree) => void) | null = null;
  /** `c(callee, r, d + W)` in compiled code: see onCallExit; the depth counted meanwhile. */
  readonly callExitFn = (callee: TraceTree, r: number, depth: number): unknown => {
    const saved = this.depth[0]!;
    this.depth[0] = depth;
    try {
      return this.onCallExit(callee, r);
    } finally {
      this.depth[0] = saved;
    }
  };
  /** Calls of each out-of-line bridge so far, by exit index. */
  private readonly calls: number[] = [];
  /** The out-of-line bridge trees, by the exit index they hang from. */
  private readonly bridgeTrees: TraceTree[] = [];

  /**
   * What a failed guard does: call its out-of-line bridge (inlining it into the guard's
   * tree once it has been called `inlineAfter` times), or leave with the guard's index
   * — also when the compiled frames on the stack, the caller's among them (`depth`,
   * the caller's `d + W`), would pass STACK_BUDGET.
   */
  readonly exit = (index: number, depth: number): number => {
    const bridge = this.bridges[index];
    if (bridge === undefined || depth >= STACK_BUDGET) return index;
    if (++this.calls[index]! === this.inlineAfter) this.inline(index);
    return bridge(depth);
  };

  constructor(
    /** Ops past which a tree takes no more inlined bridges. */
    readonly limit: number,
    /** Calls of an out-of-line bridge after which it is inlined into its guard's tree. */
    readonly inlineAfter: number,
    /** Trees it can hold, at most MAX_TREES. */
    readonly maxTrees: number = MAX_TREES,
    /** Trees of the same shape share their code (jit param `share_code`; see `factories`). */
    readonly shareCode: boolean = true,
  ) {
    if (maxTrees > MAX_TREES) throw new Error(`backend: at most ${MAX_TREES} trees`);
  }

  /** No more traces can be compiled (the engine stops tracing). */
  get full(): boolean {
    // Compiling one more trace makes at most two trees: its own, and a stub for the one
    // trace jump that ends it. The engine stops tracing when full, so `stub` never runs out.
    return this.trees.length + 2 > this.maxTrees;
  }

  /**
   * The exit record of `guard`, made on first use: recompiling a tree keeps its guards'
   * indices, counters and fail-argument slots (`slots` depend only on the guard's
   * resume data, so they are the same at every compilation).
   */
  exitOf(guard: Op, tree: TraceTree, slots: Map<Value, number>): GuardExit {
    let e = this.exitByGuard.get(guard);
    if (!e) {
      e = { guard, index: this.exits.length, tree, snapshot: guard.snapshot!, slots, failures: 0, bridgeAborts: 0 };
      this.exits.push(e);
      tree.exits.push(e);
      this.exitByGuard.set(guard, e);
      guard.guardIndex = e.index;
    }
    return e;
  }

  /**
   * The tree a jump to `token` enters, made as a stub if it does not exist: compiled
   * code that jumps to a stub returns `-1 - id` (its stub function does just that), and
   * the engine goes back to the interpreter there until the tree is compiled.
   */
  stub(token: TargetToken): TraceTree {
    let tree = this.byToken.get(token);
    if (!tree) {
      if (this.trees.length >= this.maxTrees) throw new Error("backend: too many trees (unreachable: see full)");
      const id = this.trees.length;
      tree = new TraceTree(id, null, token, null);
      tree.fn = () => -1 - id;
      const buffer = this.buffer;
      // Called as every body is, with the inputs and then the depth `d`: the inputs go to X.
      tree.body = (...inputsThenDepth: unknown[]) => {
        for (let i = 0; i < inputsThenDepth.length - 1; i++) buffer[i] = inputsThenDepth[i];
        return -1 - id;
      };
      this.trees.push(tree);
      this.byToken.set(token, tree);
    }
    return tree;
  }

  /** Compiles the loop or entry trace entered at `token` (filling in its stub). */
  addTree(trace: Trace, token: TargetToken, name: string): TraceTree {
    const tree = this.stub(token);
    tree.root = trace;
    this.compile(tree, name);
    return tree;
  }

  /**
   * Adds a bridge traced from the guard of `exit`, compiled as a function of its own
   * that the guard calls; once it proves hot it is inlined (see `exit`).
   */
  addBridge(exit: GuardExit, bridge: Trace, name: string): void {
    if (this.full) return;
    const family = exit.tree.family ?? exit.tree;
    const own = new TraceTree(this.trees.length, bridge, family.token, family);
    this.trees.push(own);
    own.attachedAt = exit.index;
    this.bridgeTrees[exit.index] = own;
    this.calls[exit.index] = 0;
    this.compile(own, `${name}_bridge`);
  }

  /**
   * Inlines the out-of-line bridge of exit `index` at its guard, with the bridges
   * inlined into it meanwhile, when the guard's tree has room; recompiles that tree. The
   * bridge's own function stays attached for code of the tree compiled before.
   */
  private inline(index: number): void {
    const exit = this.exits[index]!;
    const parent = exit.tree;
    // Already inlined along with another bridge: a version of the tree compiled before
    // (still running, lower on the stack) went on calling it out of line.
    if (parent.bridges.has(exit.guard)) return;
    if (!this.inlineInto(parent, index)) return;
    // Recompiling sends the tree back to V8's slowest tier for a while: take along every
    // other out-of-line bridge of the tree that has been called since, so that a tree is
    // recompiled a few times rather than once per bridge.
    for (let more = true; more; ) {
      more = false;
      for (const e of [...parent.exits]) {
        if (this.bridgeTrees[e.index] === undefined || parent.bridges.has(e.guard)) continue;
        if (this.calls[e.index]! * BATCH_FRACTION >= this.inlineAfter && this.inlineInto(parent, e.index)) more = true;
      }
    }
    this.compile(parent, parent.name);
  }

  /** Moves the out-of-line bridge of exit `index` into `parent`'s bridges if there is room. */
  private inlineInto(parent: TraceTree, index: number): boolean {
    const exit = this.exits[index]!;
    const own = this.bridgeTrees[index]!;
    if (parent.size + own.size > this.limit) return false;
    parent.bridges.set(exit.guard, own.root!);
    for (const [guard, b] of own.bridges) parent.bridges.set(guard, b);
    for (const e of own.exits) {
      e.tree = parent;
      parent.exits.push(e);
    }
    own.exits.length = 0;
    return true;
  }

  private compile(tree: TraceTree, name: string): void {
    tree.name = name;
    new FunctionCompiler(this, tree, name).compile();
    if (tree.attachedAt >= 0) this.bridges[tree.attachedAt] = tree.fn;
    this.onCompiled?.(tree);
  }
}

/** What `new Function` makes of a tree's source: the tree's function, given its constants. */
type Factory = (K: unknown[], X: ExitBuffer, D: Int32Array, x: unknown, c: unknown, P: number[]) => unknown;

/** Stands for the function's name in its source while it serves as a shape (see CodeSpace.factories). */
const NAME = "\u0000name";

/** A label in scope: its token, JS label and loop variables. */
interface OpenLabel {
  readonly token: TargetToken;
  readonly js: string;
  readonly vars: readonly string[];
}

class FunctionCompiler {
  private readonly consts: unknown[] = [];
  private readonly params: number[] = [];
  private readonly constIndex = new Map<unknown, number>();
  private readonly names = new Map<Value, string>();
  private readonly lines: string[] = [];
  private temp = 0;
  /** How many `o` variables the guard exits of a loop or entry tree use (see exitCode). */
  private exitVars = 0;
  /** Bridges emitted once for several guards: their block's label and input variables. */
  private readonly shared = new Map<Trace, { js: string; vars: string[] }>();

  constructor(
    private readonly space: CodeSpace,
    private readonly tree: TraceTree,
    private readonly name: string,
  ) {}

  compile(): void {
    const tree = this.tree as TraceTree & { root: Trace };
    const loopOrEntry = tree.family === null;
    const inputs = tree.root.inputs.map((_, i) => `i${i}`);
    tree.root.inputs.forEach((v, i) => this.names.set(v, inputs[i]!));
    const scope: OpenLabel[] = [];
    let ops = tree.root.ops;
    let indent = "  ";
    // A loop or entry tree's function takes its inputs as arguments (see `body`); an
    // out-of-line bridge reads them from the exit buffer.
    if (inputs.length && !loopOrEntry) this.lines.push(`  let ${inputs.map((v, i) => `${v} = X[${i}]`).join(", ")};`);
    if (loopOrEntry) {
      // A loop or entry tree starts over at `e` when something jumps to it. Every way out
      // (a guard's exit, a call into another tree) sets `r` and breaks out of `q` to the
      // one place that decides between starting over and returning.
      this.lines.push("  e: for (;;) {", "    let r, g = -1;", "", "    q: {");
      indent = "      ";
      scope.push({ token: tree.token, js: "e", vars: inputs });
      const first = ops[0];
      if (first?.name === "label" && first.descr === tree.token && first.args.every((a, i) => a === tree.root.inputs[i])) ops = ops.slice(1);
    }
    const declareAt = this.lines.length - 2;
    const shared = loopOrEntry ? sharedBridges(tree.root, tree.bridges, tree.token) : [];
    shared.forEach((b, k) => this.shared.set(b, { js: `s${k}`, vars: b.inputs.map((_, i) => `s${k}_${i}`) }));
    for (let k = shared.length - 1; k >= 0; k--) this.lines.push(`${indent}s${k}: {`);
    this.emitOps(ops, indent, scope);
    // Each shared bridge right after its block: only a guard's `break` gets there (the
    // code before it ends in a jump or an exit, as every trace does).
    for (const b of shared) {
      const { vars } = this.shared.get(b)!;
      this.lines.push(`${indent}}`);
      b.inputs.forEach((input, i) => this.names.set(input, vars[i]!));
      this.emitOps(b.ops, indent, scope);
    }
    if (loopOrEntry) {
      const sharedVars = [...this.shared.values()].flatMap((s) => s.vars);
      if (sharedVars.length) this.lines.splice(declareAt + 1, 0, `    let ${sharedVars.join(", ")};`);
      const outs = Array.from({ length: this.exitVars }, (_, i) => `o${i}`);
      if (outs.length) this.lines[declareAt] = `    let ${outs.join(", ")};`;
      else this.lines.splice(declareAt, 1);
      const stores = outs.map((o, i) => `X[${i}] = ${o};`).join(" ");
      const reload = inputs.map((v, i) => `${v} = X[${i}];`).join(" ");
      this.lines.push("    }", `    if (g >= 0) { ${stores} r = x(g, d + W); }`, `    if (r === ${this.param(-1 - tree.id)}) { ${reload} continue e; }`, "    return r;", "  }");
    }
    // Constants are bound once, outside the function, so V8 sees them as constants (in a
    // function no other tree shares: see CodeSpace.factories); W is the weight of the
    // function's frame (see STACK_BUDGET).
    const bind = `const W = ${1 + (this.temp >> 5)}${this.consts.map((_, i) => `, k${i} = K[${i}]`).join("")}${this.params.map((_, i) => `, p${i} = P[${i}]`).join("")};\n`;
    const params = loopOrEntry ? [...inputs, "d"].join(", ") : "d";
    const entry = loopOrEntry ? `function ${NAME}_entry() { return body(${[...inputs.map((_, i) => `X[${i}]`), "D[0]"].join(", ")}); }` : "body";
    // `body` in parentheses: V8 compiles it with the source around it rather than
    // pre-parsing it now and parsing it again at its first call, which comes right away.
    const shape = `${bind}const body = (function ${NAME}(${params}) {\n${foldSingleUseTemps(this.lines).join("\n")}\n});\nreturn [body, ${entry}];`;
    const source = shape.replaceAll(NAME, this.name);
    // Functions of the same shape (the same source but for the numbers in P) are made by
    // one factory: V8 then compiles their code once and shares it, with their type
    // feedback (see CodeSpace.factories).
    let made = this.space.shareCode ? this.space.factories.get(shape) : undefined;
    this.space.functions.compiled++;
    if (made) this.space.functions.sharingCode++;
    else {
      made = { factory: new Function("K", "X", "D", "x", "c", "P", source) as Factory, name: this.name };
      if (this.space.shareCode) this.space.factories.set(shape, made);
    }
    const [body, fn] = made.factory(this.consts, this.space.buffer, this.space.depth, this.space.exit, this.space.callExitFn, this.params) as [
      (...inputs: unknown[]) => number,
      (d?: number) => number,
    ];
    tree.fn = fn;
    if (loopOrEntry) tree.body = body;
    tree.source = source;
    tree.codeOf = made.name;
  }

  /** A number that differs between functions of the same shape (an exit index, a jump code). */
  private param(n: number): string {
    this.params.push(n);
    return `p${this.params.length - 1}`;
  }

  private ref = (v: unknown): string => {
    let i = this.constIndex.get(v);
    if (i === undefined) {
      i = this.consts.length;
      this.consts.push(v);
      this.constIndex.set(v, i);
    }
    return `k${i}`;
  };

  private val(v: Value): string {
    if (v instanceof Const) return literal(v.value, this.ref);
    const n = this.names.get(v);
    if (n === undefined) throw new Error("backend: value used before definition");
    return n;
  }

  /** Emits a straight line of ops; `outer` are the labels its jumps may continue. */
  private emitOps(ops: readonly Op[], indent: string, outer: readonly OpenLabel[]): void {
    const scope = [...outer];
    let closing = 0;
    for (let k = 0; k < ops.length; k++) {
      const op = ops[k]!;
      const info = op.info;
      const args = op.args.map((a) => this.val(a));
      switch (op.name) {
        case "label": {
          const js = `t${this.temp++}`;
          const vars = args.map(() => `l${this.temp++}`);
          if (vars.length) this.lines.push(`${indent}let ${vars.map((l, i) => `${l} = ${args[i]}`).join(", ")};`);
          this.lines.push(`${indent}${js}: for (;;) {`);
          indent += "  ";
          closing++;
          op.args.forEach((a, i) => this.names.set(a, vars[i]!));
          scope.push({ token: op.descr as TargetToken, js, vars });
          continue;
        }
        case "debug_merge_point":
        case "guard_no_exception": // emitted with the call before it
          continue;
        case "jump":
          this.jump(op.descr as TargetToken, args, indent, scope);
          continue;
        case "call_assembler":
          this.callAssembler(op, args, ops[k + 1]?.name === "guard_no_exception" ? ops[k + 1]! : null, indent);
          continue;
        case "finish":
          this.lines.push(`${indent}X[0] = ${args[0] ?? "undefined"}; ${this.leave(String(FINISH))}`);
          continue;
      }
      if (info.guard) {
        this.lines.push(`${indent}if (!${SPELLINGS[op.name](args, op.descr, this.ref)}) {`);
        this.withFailedCondition(op, () => this.guardFailure(op, indent + "  ", scope));
        this.lines.push(`${indent}}`);
        continue;
      }
      let expr = SPELLINGS[op.name](args, op.descr, this.ref);
      // A call of a function or method may run the interpreter, which may enter the
      // engine and compiled code again: the engine's count of the stack is set first.
      if (mayEnterEngine(op)) expr = `(D[0] = d + W, ${expr})`;
      const next = ops[k + 1];
      if (info.call && next?.name === "guard_no_exception") {
        const n = `v${this.temp++}`;
        this.names.set(op, n);
        this.lines.push(`${indent}let ${n};`);
        this.lines.push(`${indent}try { ${n} = ${expr}; } catch (e) { X.exc = e;`);
        this.exitCode(next, indent + "  ");
        this.lines.push(`${indent}}`);
        continue;
      }
      if (op.kind === "-") this.lines.push(`${indent}${expr};`);
      else {
        const n = `v${this.temp++}`;
        this.names.set(op, n);
        this.lines.push(`${indent}const ${n} = ${expr};`);
      }
    }
    for (; closing > 0; closing--) {
      indent = indent.slice(2);
      this.lines.push(`${indent}}`);
    }
  }

  /**
   * A guest call: the callee's tree (a stub until it is compiled) is called directly
   * with the reds in `X`, this frame counted in `D` meanwhile; when it finishes, its
   * result is in `X[0]`. Anything else — a guard of the callee failed, a jump to a
   * stub, the stack budget spent (OVER_BUDGET: not called at all) — goes to `c`, the
   * engine, which finishes the call and returns its result. This is what the token's
   * `assembler` does too (the op's spelling), without the engine on the common path.
   * An exception leaves through the guard_no_exception after the call.
   */
  private callAssembler(op: Op, args: readonly string[], noException: Op | null, indent: string): void {
    const callee = this.ref(this.space.stub(op.descr as TargetToken));
    const n = `v${this.temp++}`;
    const r = `r${this.temp++}`;
    this.names.set(op, n);
    // The callee's inputs are its arguments; when it is not called, the engine finds them
    // in X. This frame stays counted while the engine finishes the call, too.
    const notCalled = `(${[...args.map((a, i) => `X[${i}] = ${a}`), OVER_BUDGET].join(", ")})`;
    const call = `${callee}.calls++; const ${r} = d + W < ${CALL_BUDGET} ? ${callee}.body(${[...args, "d + W"].join(", ")}) : ${notCalled}; ${n} = ${r} === ${FINISH} ? X[0] : c(${callee}, ${r}, d + W);`;
    this.lines.push(`${indent}let ${n};`);
    if (noException === null) {
      this.lines.push(`${indent}{ ${call} }`);
      return;
    }
    this.lines.push(`${indent}try { ${call} } catch (e) { X.exc = e;`);
    this.exitCode(noException, indent + "  ");
    this.lines.push(`${indent}}`);
  }

  /** `vars = args` as a parallel assignment: every argument is read before any variable changes. */
  private assign(vars: readonly string[], args: readonly string[], indent: string): void {
    const moves = vars.map((v, i) => [v, args[i]!] as const).filter(([v, a]) => v !== a);
    if (moves.length === 0) return;
    // In order, when no argument is a variable that an earlier move has changed (an
    // argument is a name or a literal, never an expression).
    if (moves.every(([, a], i) => moves.slice(0, i).every(([v]) => v !== a))) {
      this.lines.push(`${indent}${moves.map(([v, a]) => `${v} = ${a};`).join(" ")}`);
      return;
    }
    const temps = args.map(() => `t${this.temp++}`);
    this.lines.push(`${indent}{ const ${temps.map((t, i) => `${t} = ${args[i]}`).join(", ")}; ${vars.map((v, i) => `${v} = ${temps[i]};`).join(" ")} }`);
  }

  /** A jump: `continue` a label in scope, else hand over to the trace it enters. */
  private jump(target: TargetToken, args: readonly string[], indent: string, scope: readonly OpenLabel[]): void {
    for (let s = scope.length - 1; s >= 0; s--) {
      const l = scope[s]!;
      if (l.token !== target || l.vars.length !== args.length) continue;
      this.assign(l.vars, args, indent);
      this.lines.push(`${indent}continue ${l.js};`);
      return;
    }
    const writes = args.map((a, i) => `X[${i}] = ${a}; `).join("");
    const family = this.tree.family;
    if (family !== null && target === this.tree.token) {
      // An out-of-line bridge back to the loop it hangs from: that loop is below us on the stack.
      this.lines.push(`${indent}${writes}return ${this.param(-1 - family.id)};`);
      return;
    }
    const to = this.space.stub(target);
    const k = this.ref(to);
    this.lines.push(`${indent}if (${k}.active === 1 || d + W >= ${STACK_BUDGET}) { ${writes}${this.leave(this.param(-1 - to.id))} }`);
    const r = family === null ? "r" : `r${this.temp++}`;
    const declare = r === "r" ? "" : "const ";
    this.lines.push(`${indent}${k}.active = 1; ${declare}${r} = ${k}.body(${[...args, "d + W"].join(", ")}); ${k}.active = 0; ${this.leave(r)}`);
  }

  /**
   * Leaving with the code `r`: in a loop or entry tree, to the handler after `q` (which
   * starts over if `r` is a jump to this tree); in an out-of-line bridge, to the caller.
   */
  private leave(r: string): string {
    if (this.tree.family !== null) return `return ${r};`;
    return r === "r" ? "break q;" : `{ r = ${r}; break q; }`;
  }

  /**
   * Runs `emit` (the code of `guard`'s failure) with the guard's condition spelled as the
   * constant it is there (`failedConditionValue`), when a comparison computed it. The
   * exit then no longer names the condition, and `foldSingleUseTemps` can write the
   * comparison into the `if` (the bridge traced from the guard, too, sees the condition
   * as that constant: `factsAtFailure`).
   */
  private withFailedCondition(guard: Op, emit: () => void): void {
    const cond = guard.args[0];
    const failedWith = failedConditionValue(guard.name);
    if (failedWith === null || !(cond instanceof Op) || !cond.info.pure || cond.info.result !== "b") return emit();
    const name = this.names.get(cond)!;
    this.names.set(cond, String(failedWith));
    try {
      emit();
    } finally {
      this.names.set(cond, name);
    }
  }

  /** What runs when `guard` fails: its bridge inlined, or the exit. */
  private guardFailure(guard: Op, indent: string, scope: readonly OpenLabel[]): void {
    const bridge = this.tree.bridges.get(guard);
    if (!bridge) return this.exitCode(guard, indent);
    // The bridge's inputs are the guard's fail arguments, in order.
    const failArgs = guard.snapshot!.failArgs();
    const shared = this.shared.get(bridge);
    if (shared) {
      this.lines.push(`${indent}${shared.vars.map((v, i) => `${v} = ${this.val(failArgs[i]!)}; `).join("")}break ${shared.js};`);
      return;
    }
    bridge.inputs.forEach((input, i) => this.names.set(input, this.val(failArgs[i]!)));
    this.emitOps(bridge.ops, indent, scope);
  }

  /**
   * The exit: fail arguments into `X`, then the guard's out-of-line bridge if any, else
   * return. In a loop or entry tree the exit only sets the variables `o0…` and the exit
   * index `g` and breaks to the handler after `q`, which stores them into `X` and calls
   * `x`. Why not store right there: a store or a call that never ran has no type
   * feedback, and TurboFan (V8 12) then keeps every float it takes boxed as a heap
   * number throughout the loop, allocating one per iteration (measured: a loop summing
   * doubles runs 2.8x slower). Assigning a local costs nothing of the kind.
   */
  private exitCode(guard: Op, indent: string): void {
    const snapshot = guard.snapshot!;
    const slots = new Map<Value, number>();
    const failArgs = snapshot.failArgs();
    failArgs.forEach((v, i) => slots.set(v, i));
    const index = this.space.exitOf(guard, this.tree, slots).index;
    if (this.tree.family === null) {
      this.exitVars = Math.max(this.exitVars, failArgs.length);
      this.lines.push(`${indent}${failArgs.map((v, i) => `o${i} = ${this.val(v)}; `).join("")}g = ${this.param(index)}; break q;`);
      return;
    }
    // x(i): the out-of-line bridge of exit i if it has one, else the exit itself (kept
    // out of line so that the many guards that never fail cost little code).
    this.lines.push(`${indent}${failArgs.map((v, i) => `X[${i}] = ${this.val(v)}; `).join("")}${this.leave(`x(${this.param(index)}, d + W)`)}`);
  }
}

/** A residual call of a function or method (a builtin's template cannot call back into the interpreter). */
function mayEnterEngine(op: Op): boolean {
  return (op.name === "call" || op.name === "call_pure") && op.descr instanceof CallDescr && op.descr.spelling.kind !== "template";
}

/** The source text of a constant: inline for numbers and the like, else a side-table read. */
function literal(v: unknown, ref: (v: unknown) => string): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "-0" : Number.isFinite(v) ? (v < 0 ? `(${v})` : String(v)) : `(${String(v)})`;
    case "boolean":
      return String(v);
    case "undefined":
      return "undefined";
    default:
      return v === null ? "null" : ref(v);
  }
}
