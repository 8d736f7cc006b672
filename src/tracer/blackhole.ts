/**
 * @fileoverview The blackhole interpreter: runs jitcode frames on concrete values,
 * recording nothing, until the portal frame reaches its merge point (or returns).
 *
 * It takes over whenever the meta level must hand control back to the plain
 * interpreter in the middle of an iteration: after a guard failed (the frames come from
 * the guard's resume data) and after a trace was aborted (the frames are the tracer's
 * own). Only those frames are interpreted; calls they make run as ordinary JS (the
 * plain interpreter's own functions), which is both faster and exactly what the
 * interpreter would have done: `new C(...)` too. The one exception is the call of a
 * parent's init code (`super(...)`) from an init frame the trace left in the middle of
 * a construction: an init code works on an existing instance, which plain JS cannot
 * do, so it is interpreted as a frame of its own.
 */

import { executeOp } from "../ir/semantics.js";
import type { CallDescr, Descr } from "../ir/descr.js";
import type { JitCode, Unit } from "../interp-dsl/jitcode.js";

/** A meta-level frame on concrete values. */
export interface Frame {
  readonly code: JitCode;
  pc: number;
  readonly regs: unknown[];
  /** Register of the caller frame that receives this frame's result (-1: none). */
  readonly retDst: number;
  /** For a portal frame resumed from resume data: see FrameSnapshot.entry. */
  readonly entry?: readonly unknown[];
}

/** Where the blackhole stopped: the portal's merge point, or the portal returned. */
export type BlackholeExit = { readonly done: false; readonly values: unknown[] } | { readonly done: true; readonly value: unknown };

/** Signals an exception to be thrown at the current instruction of the top frame. */
export interface PendingException {
  readonly error: unknown;
}

/** Reads an operand of `frame`. */
export function read(unit: Unit, frame: Frame, op: number): unknown {
  return op >= 0 ? frame.regs[op] : unit.consts[-op - 1];
}

/** Calls a translated function or method as plain JS (what the plain interpreter does). */
export function callPlain(unit: Unit, code: JitCode, args: unknown[]): unknown {
  if (code.init) throw new Error(`${code.name} works on a blank instance and cannot be called as plain JS`);
  if (code.fnConst < 0) {
    const fn = unit.consts[-code.fnConst - 1] as (...a: unknown[]) => unknown;
    return fn(...args);
  }
  // A method: an instance method (args[0] is the receiver) or a static one.
  const dot = code.name.lastIndexOf(".");
  const cls = unit.classes.find((c) => c.raw.name === code.name.slice(0, dot));
  const m = code.name.slice(dot + 1);
  if (!cls) throw new Error(`cannot call ${code.name} as plain JS`);
  const ctor = cls.descr.ctor as unknown as Record<string, (...a: unknown[]) => unknown> & { prototype: Record<string, (...a: unknown[]) => unknown> };
  if (cls.methods.get(m) === code) return ctor.prototype[m]!.apply(args[0], args.slice(1));
  return ctor[m]!(...args);
}

/**
 * Runs `frames` (outermost first; the outermost is the portal) until the portal frame
 * reaches its merge point or returns. With `pending`, first throws that exception at
 * the innermost frame's current instruction.
 */
export function runBlackhole(unit: Unit, frames: Frame[], pending: PendingException | null = null): BlackholeExit {
  let exc: PendingException | null = pending;
  for (;;) {
    const frame = frames[frames.length - 1]!;
    if (exc !== null) {
      // Unwind to the innermost handler covering the current instruction.
      const h = frame.code.handlers.find((x) => frame.pc >= x.start && frame.pc < x.end);
      if (h) {
        frame.regs[h.reg] = exc.error;
        frame.pc = h.handler;
        exc = null;
      } else {
        frames.pop();
        if (frames.length === 0) throw exc.error;
        continue;
      }
    }
    const ins = frame.code.insns[frame.pc]!;
    try {
      switch (ins.o) {
        case "move":
          frame.regs[ins.d] = read(unit, frame, ins.a);
          frame.pc++;
          break;
        case "op": {
          const r = executeOp(ins.n, ins.a.map((a) => read(unit, frame, a)), unit.descrs[ins.descr] ?? null);
          if (ins.d >= 0) frame.regs[ins.d] = r;
          frame.pc++;
          break;
        }
        case "goto":
          frame.pc = ins.t;
          break;
        case "br":
          frame.pc = read(unit, frame, ins.a) ? frame.pc + 1 : ins.t;
          break;
        case "switch": {
          const v = read(unit, frame, ins.a);
          const c = ins.cases.find((x) => read(unit, frame, x[0]) === v);
          frame.pc = c ? c[1] : ins.t;
          break;
        }
        case "new": {
          const ctor = unit.classes[ins.c]!.descr.ctor!;
          frame.regs[ins.d] = new (ctor as new (...a: unknown[]) => object)(...ins.a.map((a) => read(unit, frame, a)));
          frame.pc++;
          break;
        }
        case "call": {
          const code = unit.codes[ins.f]!;
          if (code.init) {
            const regs = new Array<unknown>(code.nregs);
            ins.a.forEach((a, i) => (regs[i] = read(unit, frame, a)));
            frames.push({ code, pc: 0, regs, retDst: ins.d });
            break;
          }
          const r = callPlain(unit, code, ins.a.map((a) => read(unit, frame, a)));
          if (ins.d >= 0) frame.regs[ins.d] = r;
          frame.pc++;
          break;
        }
        case "callm": {
          const args = ins.a.map((a) => read(unit, frame, a));
          const recv = args[0] as Record<string, (...a: unknown[]) => unknown>;
          const r = recv[ins.m]!(...args.slice(1));
          if (ins.d >= 0) frame.regs[ins.d] = r;
          frame.pc++;
          break;
        }
        case "rcall": {
          const r = executeOp("call", ins.a.map((a) => read(unit, frame, a)), unit.descrs[ins.descr] as CallDescr as Descr);
          if (ins.d >= 0) frame.regs[ins.d] = r;
          frame.pc++;
          break;
        }
        case "ret": {
          const v = ins.a === null ? undefined : read(unit, frame, ins.a);
          frames.pop();
          if (frames.length === 0) return { done: true, value: v };
          const caller = frames[frames.length - 1]!;
          if (frame.retDst >= 0) caller.regs[frame.retDst] = v;
          caller.pc++;
          break;
        }
        case "throw":
          exc = { error: read(unit, frame, ins.a) };
          break;
        case "merge":
          if (frames.length === 1) {
            return { done: false, values: [...ins.g, ...ins.r].map((a) => read(unit, frame, a)) };
          }
          frame.pc++;
          break;
        case "cej":
          frame.pc++;
          break;
        case "promote":
          frame.regs[ins.d] = read(unit, frame, ins.a);
          frame.pc++;
          break;
      }
    } catch (e) {
      exc = { error: e };
    }
  }
}
