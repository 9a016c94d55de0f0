/** pcap files written by a real tcpdump on lo while a test's traffic runs. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { waitFor } from './cli.js';

/** Records loopback traffic to `serverPort` with tcpdump while `traffic` runs. */
export async function tcpdumpWhile(file: string, serverPort: number, traffic: () => Promise<void>): Promise<void> {
  const tcpdump = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-w', file, `tcp port ${serverPort}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  tcpdump.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<void>((resolve) => tcpdump.on('close', () => resolve()));
  try {
    await waitFor(() => /listening on/.test(stderr) || tcpdump.exitCode !== null, 10_000, 'tcpdump to listen');
    assert.equal(tcpdump.exitCode, null, stderr);
    await traffic();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    tcpdump.kill('SIGINT');
    await closed;
  }
}
