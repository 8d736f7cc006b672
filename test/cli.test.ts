/**
 * @fileoverview The command line: bad flags, missing files and malformed guest programs
 * end with a clear message and a non-zero status, never a stack trace; `--stats` and
 * `--log` report what the JIT did.
 */

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { CLI, ROOT, runCli } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "tsjit-cli-"));
const hello = join(ROOT, "interpreters/bf/examples/hello.b");

function expectClean(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe("tsjit CLI", () => {
  it("stops quietly with status 141 when its reader closes stdout (`| head`), with and without the JIT", async () => {
    // An endless stream of output: only a closed pipe ends it.
    const endless = join(tmp, "endless.b");
    writeFileSync(endless, "+[.]");
    for (const flags of [[], ["--no-jit"]]) {
      const child = spawn(process.execPath, [CLI, "run", "bf", endless, ...flags], { cwd: ROOT });
      const err: Buffer[] = [];
      child.stderr.on("data", (d: Buffer) => err.push(d));
      child.stdout.once("data", () => child.stdout.destroy());
      const status = await new Promise<number | null>((done) => child.on("close", done));
      expect(status).toBe(141);
      expect(Buffer.concat(err).toString()).toBe("");
    }
  });
  it("rejects an unknown option", () => {
    const r = runCli(["run", "bf", hello, "--frobnicate"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
    expectClean(r.stderr);
  });
  it("rejects a bad threshold", () => {
    const r = runCli(["run", "bf", hello, "--threshold", "soon"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--threshold needs a non-negative integer, got 'soon'/);
  });
  it("rejects an unknown pass in enable_opts", () => {
    const r = runCli(["run", "bf", hello, "--jit-param", "enable_opts=rewrite:magic"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown optimization pass 'magic'/);
  });
  it("reports an unknown interpreter and a missing program", () => {
    const a = runCli(["run", "cobol", hello]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/no interpreter 'cobol'/);
    const b = runCli(["run", "bf", join(tmp, "missing.b")]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/program not found/);
  });
  it("reports a malformed guest program as a guest error, with and without the JIT", () => {
    const bad = join(tmp, "bad.b");
    writeFileSync(bad, "+++\n++[>+<-]]");
    for (const flags of [["--no-jit"], ["--threshold", "1"]]) {
      const r = runCli(["run", "bf", bad, ...flags]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe("error: unmatched ']' at 2:9\n");
    }
  });
  it("reports a guest run-time error identically with and without the JIT", () => {
    const bad = join(tmp, "left.b");
    writeFileSync(bad, "+++++[-<+>]");
    const a = runCli(["run", "bf", bad, "--no-jit"]);
    const b = runCli(["run", "bf", bad, "--threshold", "1"]);
    expect(a.status).toBe(1);
    expect(a.stderr).toBe("error: tape head moved left of the first cell\n");
    expect(b.status).toBe(a.status);
    expect(b.stderr).toBe(a.stderr);
  });
  it("--stats reports loops, aborts, guard failures and times on stderr", () => {
    const r = runCli(["run", "bf", hello, "--threshold", "2", "--stats"]);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe("Hello World!\n");
    expect(r.stderr).toMatch(/traces compiled: +\d+/);
    expect(r.stderr).toMatch(/traces aborted: +\d+/);
    expect(r.stderr).toMatch(/guard failures: +\d+/);
    expect(r.stderr).toMatch(/time tracing: +[\d.]+ ms/);
    expect(r.stderr).toMatch(/time optimizing: +[\d.]+ ms/);
    expect(r.stderr).toMatch(/time compiling: +[\d.]+ ms/);
  });
  it("--log writes unoptimized and optimized traces with guest locations", () => {
    const log = join(tmp, "hello.log");
    const r = runCli(["run", "bf", hello, "--threshold", "2", "--log", log]);
    expect(r.status).toBe(0);
    const text = readFileSync(log, "utf8");
    expect(text).toMatch(/^# loop bf: pc=\d+ '.'$/m);
    expect(text).toMatch(/^# loop bf: pc=\d+ '.' \(optimized\)$/m);
    expect(text).toMatch(/^debug_merge_point\("pc=\d+ '.'"\)$/m);
  });
  it("--log-js writes the JavaScript of every compiled function; without a file name it is a usage error", () => {
    const log = join(tmp, "hello.js");
    const r = runCli(["run", "bf", hello, "--threshold", "2", "--log-js", log]);
    expect(r.status).toBe(0);
    const text = readFileSync(log, "utf8");
    expect(text).toMatch(/^\/\/ Loop0 \(tree 0\)\n/);
    // A loop tree's function takes its inputs as arguments; its entry reads them from X.
    expect(text).toMatch(/^const body = \(function Loop0\(i0, d\) \{$/m);
    expect(text).toMatch(/^return \[body, function Loop0_entry\(\) \{ return body\(X\[0\], D\[0\]\); \}\];$/m);
    // A loop tree's guard exits set the exit variables and break to the one handler.
    expect(text).toMatch(/o0 = [^;]+; .*g = p\d+; break q;/);
    expect(text).toMatch(/if \(g >= 0\) \{ X\[0\] = o0;.* r = x\(g, d \+ W\); \}/);
    const bad = runCli(["run", "bf", hello, "--log-js"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--log-js needs a file name/);
  });
});

// A read past the end of an array is undefined, under the JIT as without it, although
// the trace types it as a number (docs/writing-an-interpreter.md, section 5).
describe("an interpreter that reads past the end of an array", () => {
  const file = join(tmp, "oob.ts");
  writeFileSync(
    file,
    `import { JitDriver } from "tsjit/hints";
import { writeString } from "tsjit/io";
class Data {
  constructor(readonly xs: number[]) {}
}
const driver = new JitDriver({ greens: ["pc"], reds: ["i", "nan", "data"] });
function run(data: Data): number {
  let pc = 0;
  let i = 0;
  let nan = 0;
  while (pc < 1) {
    driver.jitMergePoint({ pc, i, nan, data });
    const x = data.xs[i % 7]! - 0;
    if (x !== x) nan = nan + 1;
    i = i + 1;
    if (i === 1000) pc = 1;
    driver.canEnterJit({ pc, i, nan, data });
  }
  return nan;
}
export function main(): number {
  writeString(String(run(new Data([1, 2, 3]))) + "\\n");
  return 0;
}
`,
  );
  it("prints what the interpreter prints, at every threshold", () => {
    const plain = runCli(["run", file, hello, "--no-jit"]);
    expect(plain.stderr).toBe("");
    expect(plain.stdout.toString()).toBe("571\n");
    for (const threshold of ["1", "2", "3", "50", "200"]) {
      const r = runCli(["run", file, hello, "--threshold", threshold, "--stats"]);
      expect(r.stdout.toString()).toBe("571\n");
      expect(r.stderr).toMatch(/traces compiled: +[1-9]/);
    }
  });
});
