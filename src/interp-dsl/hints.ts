/**
 * @fileoverview The hints an interpreter imports (`import { JitDriver, promote } from
 * "tsjit/hints"`): the only way an interpreter talks to the JIT.
 *
 * Every hint is inert when the JIT is off: `jitMergePoint` and `canEnterJit` do
 * nothing, `promote` returns its argument, the registration functions return the
 * function they are given (`quasiImmutable` returns nothing), and `weAreJitted` is false. The interpreter is then ordinary
 * TypeScript. The translator (`translator.ts`) recognises the hints in the source and
 * gives them their meaning in the JIT: the tracer reads them from the jitcodes, and the
 * plain interpreter's `canEnterJit` calls are rewritten into calls of the driver's
 * engine.
 */

/** What the translator wires into a driver when the JIT is on (see tracer/engine.ts). */
export interface DriverEngine {
  /**
   * Called by the plain interpreter at a `canEnterJit` site. Returns null to go on
   * interpreting, or where the JIT left the interpreter: at a merge point with new
   * green and red values, or after the portal returned.
   */
  canEnterJit(site: number, greens: unknown[], reds: unknown[]): EngineExit | null;
  /**
   * Called by the plain interpreter when an invocation of the portal reaches its merge
   * point for the first time (a function entry). Same result as canEnterJit.
   */
  enterPortal(greens: unknown[], reds: unknown[]): EngineExit | null;
}

/** Where compiled code or the tracer handed control back to the plain interpreter. */
export type EngineExit = { readonly done: false; readonly values: unknown[] } | { readonly done: true; readonly value: unknown };

/** The description of a driver: its variables and how to print a location. */
export interface JitDriverSpec<G extends string, R extends string> {
  /** A name for logs; defaults to the portal function's name. */
  readonly name?: string;
  /**
   * Variables that identify a position in the guest program (a pc, the code object).
   * A loop is traced and compiled per tuple of green values, which are constants in the
   * trace.
   */
  readonly greens: readonly G[];
  /** The other variables live at the merge point (the guest's state); trace inputs. */
  readonly reds: readonly R[];
  /**
   * Prints the guest location of the given green values (in `greens` order) for trace
   * logs, e.g. `pc=12 '['`. Runs only when a trace is recorded or printed.
   */
  readonly getPrintableLocation?: (...greens: never[]) => string;
  /**
   * The red that is the interpreter's frame object, and which of its fields live in
   * trace values while compiled code runs (RPython's `virtualizables=['frame']` with
   * the class's `_virtualizable_` list): `{ frame: ["sp", "stack[*]", "locals[*]"] }`.
   * A plain name is a field; `name[*]` is every item of an array field. While a trace
   * is recorded, reads and writes of those fields and items on the frame red record
   * nothing: they go to trace values that travel around the loop as loop arguments,
   * and are written back to the frame wherever control leaves compiled code (in every
   * guard's resume data as delayed writes, and when leaving for the interpreter).
   *
   * Contract (checked by the translator where it can, at trace time otherwise):
   * - at most one virtualizable red; its declared type is an interpreter class that
   *   declares (or inherits) every listed field;
   * - an array field `name[*]` is `readonly` and of a mutable array type (`T[]`, not
   *   `readonly T[]`), and its length never changes while the frame is used by the
   *   portal: the array is made in the constructor with its final length;
   * - a plain field is not `readonly` (a readonly field is a constant already);
   * - an index into a virtualizable array takes few values at a given place (a stack
   *   depth, a local's number): the tracer promotes it to a constant (a guard), and an
   *   index outside the array aborts the trace;
   * - the portal does not assign another object to the frame red inside its loop;
   * - the fields are only read or written by the portal and the code the tracer inlines
   *   from it, or by a function called with the frame itself (or one of its arrays) as
   *   an argument: such a call is bracketed by writing every field back and reading it
   *   again. Code that reaches the frame another way (a global, another object's field)
   *   while compiled code runs sees stale values. A virtualizable array must not be
   *   stored into another object or array (the trace is aborted).
   *
   * A frame that a trace allocates for a guest call and never uses after it is not
   * allocated by the caller at all: its contents are passed to the callee's compiled
   * code, which allocates the frame only where it escapes (see tracer/frame-entry.ts).
   * Nothing can tell the difference, since nothing holds that frame but the callee.
   */
  readonly virtualizables?: { readonly [K in R]?: readonly string[] };
}

/**
 * A JIT driver: declares the interpreter's dispatch loop (the portal) and its variables.
 *
 * Contract: declare it once, as a module-level `const` initialised with an object
 * literal whose `greens` and `reds` are array literals of variable names. The portal
 * is the function whose top-level `while` loop starts with `driver.jitMergePoint(...)`.
 */
export class JitDriver<G extends string, R extends string> {
  /** Set by the runtime when the JIT is on; null means inert. */
  $engine: DriverEngine | null = null;
  readonly spec: JitDriverSpec<G, R>;
  constructor(spec: JitDriverSpec<G, R>) {
    this.spec = spec;
  }

  /**
   * Marks the start of one step of the interpreter's dispatch loop.
   *
   * Contract: the first statement of the body of a top-level `while` loop of the portal
   * function, called with every green and red variable by name (`{ pc, code, frame }`,
   * shorthand properties). Every variable live at this point must be a green or a red.
   * Traces begin and close here; compiled code leaves to the interpreter here.
   */
  jitMergePoint(_vars: { [K in G | R]: unknown }): void {}

  /**
   * Marks a place where the guest program jumps backwards (the end of a guest loop),
   * with the values the variables will have at the next `jitMergePoint`.
   *
   * Contract: the last thing before the dispatch loop goes back to its top (followed
   * only by `continue` or by the end of the loop body), never inside `try`. The JIT counts
   * how often each tuple of green values passes here; past the threshold it traces the
   * guest loop, and once compiled it runs it from here.
   */
  canEnterJit(_vars: { [K in G | R]: unknown }): void {}

  /** Rewritten call of a `canEnterJit` site (jit variant only). */
  $canEnterJit(site: number, greens: unknown[], reds: unknown[]): EngineExit | null {
    return this.$engine === null ? null : this.$engine.canEnterJit(site, greens, reds);
  }

  /** The entry hook of a portal invocation (jit variant only). */
  $enterPortal(greens: unknown[], reds: unknown[]): EngineExit | null {
    return this.$engine === null ? null : this.$engine.enterPortal(greens, reds);
  }
}

/**
 * Turns a run-time value into a trace constant: the tracer records a guard that the
 * value equals what it saw, and the rest of the trace is specialised for it.
 *
 * Contract: returns `value` unchanged. Use it on values that take few distinct values
 * at a given place (a class, a code object, a small integer), never on values that
 * change every iteration: every new value fails the guard.
 */
export function promote<T>(value: T): T {
  return value;
}

/**
 * Declares `fn` elidable: its result depends only on its arguments (object arguments
 * by identity, plus immutable state reachable from them), and calling it has no
 * effect anyone could observe except through the result. A call with constant
 * arguments is folded to its result at trace time; other calls become pure calls that
 * common-subexpression elimination may share. The tracer never looks inside.
 *
 * Contract: call at module top level, `elidable(myFunction);`, with a function
 * declared in the same module. Returns `fn`.
 */
export function elidable<F extends (...args: never[]) => unknown>(fn: F): F {
  return fn;
}

/**
 * Declares that the tracer must not trace into `fn`: calls become residual calls (the
 * compiled code calls the function) with the effects the translator computed.
 *
 * Contract: call at module top level with a function declared in the same module.
 */
export function dontLookInside<F extends (...args: never[]) => unknown>(fn: F): F {
  return fn;
}

/**
 * Declares that the loops in `fn` may be unrolled into a trace (they run a small,
 * bounded number of times). By default the tracer does not inline functions that
 * contain loops (it calls them), as RPython does.
 *
 * Contract: call at module top level with a function declared in the same module.
 */
export function unrollSafe<F extends (...args: never[]) => unknown>(fn: F): F {
  return fn;
}

/**
 * Declares the instance field `field` of `cls` quasi-immutable (RPython's
 * `_immutable_fields_ = ['field?']`): written rarely, read often. In a trace, a read of
 * it on an object that is a constant there (promoted, or a constant of the program) is
 * folded to the value the tracer saw, with no read and no guard on the value in the
 * compiled code; the trace checks instead, with `guard_not_invalidated`, that no such
 * field it folded has been written since it was recorded. Any write of the field — by
 * the interpreter, while tracing or by compiled code — invalidates every trace that
 * folded it for that object; they are left at their next check and retraced later.
 *
 * Contract: call at module top level, `quasiImmutable(MyClass, "field");`, with a class
 * of the interpreter and the name (a string literal) of a non-`readonly` instance field
 * it declares (a field declaration or a constructor parameter property); the translator
 * reports anything else with its file:line:col. Write the field only with a plain `=`,
 * as `name.field = value` or `this.field = value`. Worth it only for fields whose
 * writes are much rarer than the reads in loops: each write makes the traces that
 * relied on it be recorded again. Returns nothing; inert when the JIT is off.
 */
export function quasiImmutable<C extends abstract new (...args: never[]) => unknown>(_cls: C, _field: keyof InstanceType<C> & string): void {}

/**
 * True in code that the JIT traced or compiled, false when interpreted normally. Use it
 * only for behaviour that is invisible to the guest (statistics, assertions).
 */
export function weAreJitted(): boolean {
  return false;
}
