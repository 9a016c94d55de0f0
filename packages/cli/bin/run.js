#!/usr/bin/env -S node --no-node-snapshot
// The `reprise` command. --no-node-snapshot is required by isolated-vm (sandboxed scripts).
import { main } from '../dist/main.js';

await main(process.argv.slice(2));
