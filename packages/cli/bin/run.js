#!/usr/bin/env -S node --no-node-snapshot --max-semi-space-size=4
// The `reprise` command. --no-node-snapshot is required by isolated-vm (sandboxed scripts).
// --max-semi-space-size=4 keeps V8's young generation at 8 MB: left to grow to its 32 MB default,
// it is first touched during a capture's opening seconds, a step in memory for nothing
// (docs/BENCHMARKS.md, capture; its cost, 5-15% of replay speed, is measured there too).
import { main } from '../dist/main.js';

await main(process.argv.slice(2));
