// The built `reprise` command as a user runs it: the same Node binary as the benchmark, with the
// Node flags of the command's shebang line (bin/run.js), so that memory and speed are measured
// with the settings users get.
//
//   spawn(...cliCommand(['--input-file', f, '--output-null']), { stdio: ... })
//   const { seconds, output, command } = await runCliTimed([...args])
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
export const cliBin = join(root, 'packages/cli/bin/run.js');

/** Node's flags from the shebang (`#!/usr/bin/env -S node --flag ...`). */
function shebangNodeFlags() {
  const first = readFileSync(cliBin, 'utf8').split('\n', 1)[0];
  const match = /^#!.*?\bnode(\s.*)?$/.exec(first);
  if (!match) throw new Error(`${cliBin}: no node shebang line`);
  return (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
}

/**
 * [executable, argv] for spawn; `withoutNodeFlag` drops one shebang flag (by prefix), to measure what it
 * does; `reportCpu` makes the process print its CPU time on exit (read by `runCliTimed`).
 */
export function cliCommand(args, { withoutNodeFlag, reportCpu } = {}) {
  const flags = shebangNodeFlags().filter((f) => !withoutNodeFlag || !f.startsWith(withoutNodeFlag));
  if (reportCpu) flags.push(`--import=data:text/javascript,${encodeURIComponent(CPU_REPORTER)}`);
  return [process.execPath, [...flags, cliBin, ...args]];
}

const CPU_LINE = 'reprise-bench-cpu-seconds';
// Process-wide user + system time (every thread), written synchronously as the process exits.
const CPU_REPORTER = `import { writeSync } from 'node:fs';
process.on('exit', () => { const u = process.cpuUsage(); writeSync(2, '\\n${CPU_LINE} ' + (u.user + u.system) / 1e6 + '\\n'); });`;

/**
 * Runs the command to its exit; resolves to seconds from spawn to exit, everything it printed, and the
 * command line as a user would type it. A non-zero exit throws with the end of the output.
 * `onSpawn(child)` sees the process as soon as it is spawned (e.g. to sample its CPU).
 */
export async function runCliTimed(args, { timeoutMs = 600_000, onSpawn, ...commandOptions } = {}) {
  const [node, argv] = cliCommand(args, commandOptions);
  const started = process.hrtime.bigint();
  const child = spawn(node, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn?.(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`reprise exited with ${code}: ${output.slice(-2000)}`);
  const cpu = new RegExp(`\\n${CPU_LINE} ([\\d.]+)\\n`).exec(output);
  return { seconds, output, command: `reprise ${args.join(' ')}`, ...(cpu ? { cpuSeconds: Number(cpu[1]) } : {}) };
}
