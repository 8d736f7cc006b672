#!/usr/bin/env node
// The tsjit command: see src/cli/main.ts. Runs the compiled CLI from dist/.
import { cli } from "../dist/cli/main.js";

process.exitCode = await cli(process.argv.slice(2));
