// GoReplay's remaining --input-raw-* flags through the CLI, live on lo or from a pcap tcpdump wrote on lo.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { recordingServer, runCli, runWhileSending, tempDir } from './support/cli.js';
import { readRecords, summaryCounters } from './support/gor.js';
import { tcpdumpWhile } from './support/tcpdump.js';

function post(port: number, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { 'content-type': 'text/plain' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const startServer = (t: TestContext) => recordingServer(t, (_req, body) => ({ body: `ok:${body.length}` }));

test('--input-raw-monitor is refused with the reason on a device without monitor mode (exit 2)', { timeout: 30_000 }, async () => {
  const run = await runCli(['--input-raw', 'lo:18081', '--input-raw-monitor', '--output-null'], { timeoutMs: 20_000 });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /input-raw \(option monitor\).*lo.*doesn't support monitor mode/);
});

test('the libpcap engine refuses --input-raw-monitor and --input-raw-timestamp-type instead of ignoring them (exit 2)', {
  timeout: 30_000,
}, async () => {
  for (const flags of [['--input-raw-monitor'], ['--input-raw-timestamp-type', 'host']]) {
    const run = await runCli(['--input-raw', 'lo:18081', '--input-raw-engine', 'libpcap', ...flags, '--output-null'], {
      timeoutMs: 20_000,
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /input-raw \(option (monitor|timestampType)\): the libpcap engine \(cap\) cannot set this: use --input-raw-engine tcpdump/,
    );
  }
});

test('--input-raw-timestamp-type: a type the device lacks is refused with the ones it has; a supported one captures', {
  timeout: 60_000,
}, async (t) => {
  const refused = await runCli(['--input-raw', 'lo:18081', '--input-raw-timestamp-type', 'PCAP_TSTAMP_ADAPTER', '--output-null'], {
    timeoutMs: 20_000,
  });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /input-raw \(option timestampType\).*"adapter".*\(lo supports: host\)/);
  const unknown = await runCli(['--input-raw', 'lo:18081', '--input-raw-timestamp-type', 'sundial', '--output-null'], {
    timeoutMs: 20_000,
  });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /option timestampType.*unknown timestamp type "sundial"/);

  const server = await startServer(t);
  const file = join(tempDir(t), 'host.gor');
  const run = await runWhileSending(
    ['--input-raw', `lo:${server.port}`, '--input-raw-timestamp-type', 'PCAP_TSTAMP_HOST', '--output-file', file],
    () => post(server.port, 'x'),
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readRecords(file).length, 1);
});

test('--input-raw-override-snaplen raises a small --input-raw-snaplen so that large segments are kept whole', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(t);
  const body = 'b'.repeat(10_000);
  const capture = async (extra: string[]) => {
    const file = join(tempDir(t), 'out.gor');
    const run = await runWhileSending(
      ['--input-raw', `:${server.port}`, '--input-raw-snaplen', '1kb', ...extra, '--output-file', file],
      () => post(server.port, body),
    );
    assert.equal(run.code, 0, run.stderr);
    return { records: readRecords(file), counters: summaryCounters(run.stderr, 'input-raw') };
  };
  const cut = await capture([]);
  assert.equal(cut.records.length, 0, 'a 1 KB snaplen cuts the 10 KB segment: the request is lost');
  assert.ok((cut.counters.truncated ?? 0) > 0 && (cut.counters.gaps ?? 0) > 0, JSON.stringify(cut.counters));
  const whole = await capture(['--input-raw-override-snaplen']);
  assert.equal(whole.records.length, 1);
  assert.ok(whole.records[0]!.payload.endsWith(body));
});

test('--input-raw-buffer-timeout under 1s runs tcpdump in immediate mode', { timeout: 60_000 }, async (t) => {
  const server = await startServer(t);
  const file = join(tempDir(t), 'out.gor');
  const tcpdumpCommands = () => {
    try {
      return execFileSync('pgrep', ['-a', 'tcpdump'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(`port ${server.port}`));
    } catch {
      return [];
    }
  };
  let seen: string[] = [];
  const run = await runWhileSending(
    ['--input-raw', `:${server.port}`, '--input-raw-buffer-timeout', '10ms', '--output-file', file],
    async () => {
      seen = tcpdumpCommands();
      await post(server.port, 'immediate');
    },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(seen.length, 1, 'one tcpdump for this port');
  assert.match(seen[0]!, / --immediate-mode /);
  assert.equal(readRecords(file).length, 1);

  let blocks: string[] = [];
  const run2 = await runWhileSending(['--input-raw', `:${server.port}`, '--input-raw-buffer-timeout', '2s', '--output-null'], async () => {
    blocks = tcpdumpCommands();
  });
  assert.equal(run2.code, 0, run2.stderr);
  assert.equal(blocks.length, 1);
  assert.doesNotMatch(blocks[0]!, /--immediate-mode/);
});

test('--input-raw-stats logs capture stats lines while capturing', { timeout: 60_000 }, async (t) => {
  const server = await startServer(t);
  const run = await runWhileSending(
    [
      '--input-raw',
      `:${server.port}`,
      '--input-raw-track-response',
      '--input-raw-stats',
      '--input-raw-stats-interval',
      '200ms',
      '--output-null',
    ],
    async () => {
      for (let i = 0; i < 3; i++) await post(server.port, `body ${i}`);
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stderr.split('\n').filter((l) => l.includes('capture stats:'));
  assert.ok(lines.length >= 3, `several periodic lines:\n${run.stderr}`);
  assert.match(lines.at(-1)!, /packets=\d+ .*requests=3 .*responses=3 /);
  assert.ok(
    lines.some((l) => /messages=[1-6] \(.*latency avg=\d+\.\d+ms/.test(l)),
    lines.join('\n'),
  );
});

test('--input-raw-allow-incomplete keeps a request its client cut short; without it the request is only counted', {
  timeout: 60_000,
}, async (t) => {
  // Until now only the framer's unit tests covered the flag: this reads a real tcpdump file through the CLI.
  const dir = tempDir(t);
  const server = createServer((socket) =>
    socket
      .on('error', () => {})
      .resume()
      .on('end', () => socket.end()),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  // 10 of the 100 body bytes Content-Length promises, then the client closes.
  const cut = 'POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789';
  const pcap = join(dir, 'cut.pcap');
  await tcpdumpWhile(pcap, port, async () => {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.resume().end(cut);
    await new Promise((resolve) => socket.once('close', resolve));
  });

  const read = async (extra: string[]) => {
    const file = join(dir, `out-${extra.length}.gor`);
    const run = await runCli(['--input-raw', pcap, ...extra, '--output-file', file], { timeoutMs: 30_000 });
    assert.equal(run.code, 0, run.stderr);
    return { records: readRecords(file), counters: summaryCounters(run.stderr, 'input-raw') };
  };
  const dropped = await read([]);
  assert.equal(dropped.records.length, 0);
  assert.equal(dropped.counters.incomplete, 1, JSON.stringify(dropped.counters));
  const kept = await read(['--input-raw-allow-incomplete']);
  assert.deepEqual(
    kept.records.map((r) => [r.type, r.payload]),
    [['1', cut]],
  );
  assert.equal(kept.counters.incomplete, 1, 'still counted as incomplete');
});
