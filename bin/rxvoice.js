#!/usr/bin/env node
// The compiled CLI (built by `npm ci` through the `prepare` script).
import { exitWith, main } from '../dist/src/cli/main.js';

await exitWith(await main(process.argv.slice(2)));
