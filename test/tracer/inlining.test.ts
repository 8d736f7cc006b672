/**
 * @fileoverview The bookkeeping of the guest calls a trace inlined: which call to blame
 * when a guest loop shows up inside one (the innermost still running) and when the trace
 * grows too long (the one that recorded the most ops, running or returned).
 */

import { describe, expect, it } from "vitest";
import { InlinedCalls, sameGreens } from "../../src/tracer/inlining.js";

describe("InlinedCalls", () => {
  it("blames the innermost running call, and the biggest call by ops recorded", () => {
    const calls = new InlinedCalls<string>();
    expect(calls.any).toBe(false);
    expect(calls.innermost()).toBeNull();
    expect(calls.biggestAt(100)).toBeNull();
    calls.began("outer", [0, "f"], 10);
    calls.began("inner", [0, "g"], 20);
    expect(calls.any).toBe(true);
    expect(calls.innermost()).toEqual([0, "g"]);
    calls.returned("inner", 80); // g recorded 60 ops
    calls.returned("not a call", 85); // ignored
    expect(calls.innermost()).toEqual([0, "f"]);
    expect(calls.biggestAt(60)).toEqual([0, "g"]); // f: 50 so far
    expect(calls.biggestAt(90)).toEqual([0, "f"]); // f: 80 so far
    calls.returned("outer", 90);
    expect(calls.innermost()).toBeNull();
    expect(calls.any).toBe(true);
    expect(calls.biggestAt(1000)).toEqual([0, "f"]);
  });

  it("sameGreens compares tuples by identity", () => {
    const code = {};
    expect(sameGreens([0, code], [0, code])).toBe(true);
    expect(sameGreens([0, code], [0, {}])).toBe(false);
    expect(sameGreens([0], [0, code])).toBe(false);
  });
});
