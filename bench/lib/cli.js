// The built `reprise` command as a user runs it: the same Node binary as the benchmark, with the
// Node flags of the command's shebang line (bin/run.js), so that memory and speed are measured
// with the settings users get.
//
//   spawn(...cliCommand(['--input-file', f, '--output-null']), { stdio: ... })
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const cliBin = join(resolve(import.meta.dirname, '../..'), 'packages/cli/bin/run.js');

/** Node's flags from the shebang (`#!/usr/bin/env -S node --flag ...`). */
function shebangNodeFlags() {
  const first = readFileSync(cliBin, 'utf8').split('\n', 1)[0];
  const match = /^#!.*?\bnode(\s.*)?$/.exec(first);
  if (!match) throw new Error(`${cliBin}: no node shebang line`);
  return (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
}

/** [executable, argv] for spawn; `withoutNodeFlag` drops one shebang flag (by prefix), to measure what it does. */
export function cliCommand(args, { withoutNodeFlag } = {}) {
  const flags = shebangNodeFlags().filter((f) => !withoutNodeFlag || !f.startsWith(withoutNodeFlag));
  return [process.execPath, [...flags, cliBin, ...args]];
}
