/**
 * @fileoverview Guest input and output for interpreters (`import { writeByte } from
 * "tsjit/io"`): byte-level stdin and buffered stdout, and the guest error type.
 *
 * The JIT treats these as host functions: a trace calls them (residual calls), never
 * traces into them. Output is buffered and flushed when the buffer fills and when the
 * program ends, so byte-at-a-time guest output stays cheap.
 */

import { readFileSync, writeSync } from "node:fs";

const OUT_SIZE = 1 << 16;
const out = new Uint8Array(OUT_SIZE);
let outLen = 0;
let input: Uint8Array | null = null;
let inputPos = 0;

/** Writes one byte (the low 8 bits of `b`) to stdout. */
export function writeByte(b: number): void {
  if (outLen === OUT_SIZE) flush();
  out[outLen++] = b & 255;
}

/** Writes a string, UTF-8 encoded, to stdout. */
export function writeString(s: string): void {
  flush();
  writeAll(Buffer.from(s, "utf8"));
}

/** Reads the next byte of stdin, or -1 at end of input. */
export function readByte(): number {
  if (input === null) input = readStdin();
  return inputPos < input.length ? input[inputPos++]! : -1;
}

/** Writes everything buffered to stdout. Called by the CLI at exit. */
export function flush(): void {
  if (outLen > 0) {
    writeAll(out.subarray(0, outLen));
    outLen = 0;
  }
}

function writeAll(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(1, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE") {
        outLen = 0;
        throw new OutputClosed();
      }
      if (code !== "EAGAIN") throw e;
    }
  }
}

/**
 * Thrown by a write when stdout has been closed by its reader (`tsjit run … | head`):
 * the guest program's output can go nowhere, so the run stops. The CLI exits quietly
 * with status 141, as a program killed by SIGPIPE does in a shell.
 */
export class OutputClosed extends Error {
  constructor() {
    super("stdout was closed by its reader");
    this.name = "OutputClosed";
  }
}

function readStdin(): Uint8Array {
  try {
    return readFileSync(0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EAGAIN" || code === "EOF" || code === "EISDIR") return new Uint8Array(0);
    throw e;
  }
}

/**
 * An error in the guest program (a bad program, a run-time error of the guest
 * language). The CLI prints its message as `error: …` and exits with status 1.
 */
export class GuestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GuestError";
  }
}
