#!/usr/bin/env -S node --v8-pool-size=1
// The tsjit command: see src/cli/main.ts. Runs the compiled CLI from dist/.
//
// --v8-pool-size=1: V8's background threads (TurboFan's compile jobs among them) in one
// thread, so that they never take the core of the main thread, where the guest program
// and its traces run. Node's default is 4 threads whatever the machine; on 2 cores,
// Mandelbrot.b took 8% longer with them, tiny's fib 20% (docs/architecture.md, "V8's
// background threads"). `node bin/tsjit.js` skips this line; bench/ reads it.
import { cli } from "../dist/cli/main.js";

process.exitCode = await cli(process.argv.slice(2));
