/**
 * @fileoverview The guest calls a trace inlined, kept by the tracer so that it can tell
 * which one to stop inlining when a trace fails because of one (RPython's
 * `dont_trace_here` on the biggest function): the innermost call still running when a
 * guest loop's back edge shows up inside it, or the call that recorded the most ops
 * when the trace grows too long. What a trace does with the answer is in
 * meta-interp.ts (`guestCall`).
 */

/** True when two tuples of green values are the same. */
export function sameGreens(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((g, i) => g === b[i]);
}

/** The guest calls inlined into one trace. */
export class InlinedCalls<F> {
  /** Calls still running, innermost last: their frame, greens and the trace length when they began. */
  private readonly running = new Map<F, { readonly greens: unknown[]; readonly start: number }>();
  /** The returned call that recorded the most ops. */
  private biggest: { readonly greens: unknown[]; readonly size: number } | null = null;

  /** True once the trace inlined any guest call. */
  get any(): boolean {
    return this.biggest !== null || this.running.size > 0;
  }

  /** The call running in `frame`, entered at `greens`, begins at trace length `at`. */
  began(frame: F, greens: unknown[], at: number): void {
    this.running.set(frame, { greens, start: at });
  }

  /** `frame` returned at trace length `at` (a frame that is no inlined call is ignored). */
  returned(frame: F, at: number): void {
    const call = this.running.get(frame);
    if (!call) return;
    this.running.delete(frame);
    const size = at - call.start;
    if (!this.biggest || size > this.biggest.size) this.biggest = { greens: call.greens, size };
  }

  /** The greens of the innermost call still running, if any. */
  innermost(): unknown[] | null {
    return [...this.running.values()].pop()?.greens ?? null;
  }

  /** The greens of the call that recorded the most ops by trace length `at`, if any. */
  biggestAt(at: number): unknown[] | null {
    let best = this.biggest;
    for (const c of this.running.values()) if (!best || at - c.start > best.size) best = { greens: c.greens, size: at - c.start };
    return best?.greens ?? null;
  }
}
