// Live capture on loopback through the component (needs root or CAP_NET_RAW; CI runs as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RepriseError, validateOptions } from '@reprise/core';
import { inputRaw, type InputRawOptions } from '../src/input-raw.js';
import { closeServer, collect, makeContext, startServer, text } from './helpers.js';

const defaults = validateOptions(inputRaw, {
  snaplen: '256kb',
  bufferSize: '8mb',
  promisc: false,
  trackResponse: false,
  expire: '2s',
  engine: 'tcpdump',
});

function send(port: number, agent: Agent, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) {
  return new Promise<string>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts).toString()));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Only this process's pipes: other captures on the machine (parallel test runs) have their own.
const pipeFolders = (pid = process.pid) => readdirSync(tmpdir()).filter((name) => name.startsWith(`reprise-capture-${pid}-`));

async function captureWhile(
  value: (port: number) => string,
  options: Partial<InputRawOptions>,
  traffic: (port: number) => Promise<void>,
  expected: number,
) {
  const { server, port, received } = await startServer();
  const ctx = makeContext();
  const instance = await inputRaw.create(value(port), { ...defaults, ...options }, ctx);
  try {
    const reading = collect(
      instance.read(),
      (all) => all.length >= expected,
      () => ctx.controller.abort(),
      15_000,
    );
    await traffic(port);
    const messages = await reading;
    return { messages, received, ctx };
  } finally {
    ctx.controller.abort();
    await instance.close?.();
    await closeServer(server);
  }
}

for (const engine of ['libpcap', 'tcpdump'] as const) {
  test(`captures requests and pairs their responses live on lo (${engine} engine)`, { timeout: 30_000 }, async () => {
    const pipeFoldersBefore = pipeFolders();
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const { messages, received, ctx } = await captureWhile(
      (port) => `:${port}`,
      { engine, trackResponse: true },
      async (port) => {
        await send(port, agent, 'GET', '/one?q=1', undefined, { 'x-custom': 'yes' });
        await send(port, agent, 'POST', '/two', Buffer.from('a body'), { 'content-type': 'text/plain' });
        await send(port, agent, 'PUT', '/three', Buffer.alloc(30_000, 'p'));
        agent.destroy();
      },
      6,
    );
    const requests = messages.filter((m) => m.kind === 'request');
    const responses = messages.filter((m) => m.kind === 'response');
    assert.deepEqual(
      requests.map((m) => text(m).split('\r\n')[0]),
      ['GET /one?q=1 HTTP/1.1', 'POST /two HTTP/1.1', 'PUT /three HTTP/1.1'],
    );
    assert.match(text(requests[0]!), /\r\nx-custom: yes\r\n/);
    assert.ok(text(requests[1]!).endsWith('\r\n\r\na body'));
    assert.ok(text(requests[2]!).endsWith('p'.repeat(30_000)));
    assert.equal(received.length, 3);
    assert.deepEqual(
      responses.map((m) => m.id),
      requests.map((m) => m.id),
    );
    assert.deepEqual(
      responses.map((m) => text(m).split('\r\n\r\n')[1]),
      ['ok:0', 'ok:6', 'ok:30000'],
    );
    for (const m of messages) assert.ok(m.timestamp > 1_600_000_000_000_000_000n);
    assert.equal(ctx.counters.get('requests'), 3);
    assert.equal(ctx.counters.get('responses'), 3);
    assert.equal(ctx.counters.get('failed') ?? 0, 0);
    assert.ok(
      ctx.logs.some((l) => /capturing on .*(lo|any) /.test(l.message)),
      'logs the devices it captures on',
    );
    const leftovers = pipeFolders().filter((name) => !pipeFoldersBefore.includes(name));
    assert.deepEqual(leftovers, [], 'the named pipe of the tcpdump engine is removed');
  });
}

for (const engine of ['libpcap', 'tcpdump'] as const) {
  // Expiry runs on a timer only while connections are held: this one is held, and nothing more arrives.
  test(`a request left unfinished on a quiet connection comes out once it expires (${engine} engine)`, { timeout: 30_000 }, async () => {
    const { server, port } = await startServer();
    const ctx = makeContext();
    const instance = await inputRaw.create(`:${port}`, { ...defaults, engine, expire: '1s', allowIncomplete: true }, ctx);
    const socket = connect(port, '127.0.0.1');
    try {
      // Whether it came out while the capture ran (by expiry), not when it stopped (which ends every connection).
      let isExpired = false;
      const reading = collect(
        instance.read(),
        (all) => {
          isExpired ||= all.length > 0 && !ctx.controller.signal.aborted;
          return all.length > 0;
        },
        () => ctx.controller.abort(),
        15_000,
      );
      await once(socket, 'connect');
      socket.write('GET /half HTTP/1.1\r\nHost: quiet\r\n'); // no blank line: the head never ends
      const messages = await reading;
      assert.ok(isExpired, 'the request came out while the capture ran');
      assert.equal(text(messages[0]!), 'GET /half HTTP/1.1\r\nHost: quiet\r\n');
      assert.equal(ctx.counters.get('incomplete'), 1);
    } finally {
      socket.destroy();
      ctx.controller.abort();
      await instance.close?.();
      await closeServer(server);
    }
  });
}

test('the tcpdump engine keeps a request body larger than 1 MB whole', { timeout: 30_000 }, async () => {
  const agent = new Agent({ keepAlive: true });
  const body = Buffer.alloc(1_300_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 255;
  const { messages } = await captureWhile(
    (port) => `127.0.0.1:${port}`,
    { engine: 'tcpdump' },
    async (port) => {
      await send(port, agent, 'POST', '/big', body, { 'content-type': 'application/octet-stream' });
      agent.destroy();
    },
    1,
  );
  assert.equal(messages.length, 1);
  const payload = Buffer.from(messages[0]!.payload);
  const bodyStart = payload.indexOf('\r\n\r\n') + 4;
  assert.ok(payload.subarray(bodyStart).equals(body));
});

test('with the libpcap engine a frame over 65535 bytes is counted as a gap, never replayed cut', { timeout: 30_000 }, async () => {
  // cap opens devices with a fixed 65535-byte snaplen; full-size loopback segments are longer.
  const agent = new Agent({ keepAlive: true });
  const { messages, ctx } = await captureWhile(
    (port) => `lo:${port}`,
    { engine: 'libpcap' },
    async (port) => {
      await send(port, agent, 'POST', '/big', Buffer.alloc(1_000_000, 'q'));
      await send(port, agent, 'GET', '/small');
      agent.destroy();
    },
    1,
  );
  const requests = messages.map((m) => text(m).split('\r\n')[0]);
  assert.ok(requests.includes('GET /small HTTP/1.1'));
  for (const m of messages) {
    if (text(m).startsWith('POST /big')) assert.equal(m.payload.length - text(m).indexOf('\r\n\r\n') - 4, 1_000_000);
  }
  if (!requests.includes('POST /big HTTP/1.1')) {
    assert.ok((ctx.counters.get('gaps') ?? 0) >= 1);
    assert.ok((ctx.counters.get('truncated') ?? 0) >= 1);
  }
});

test('adds the real-IP header to live requests', { timeout: 30_000 }, async () => {
  const agent = new Agent({ keepAlive: false });
  const { messages } = await captureWhile(
    (port) => `:${port}`,
    { realipHeader: 'X-Real-IP' },
    async (port) => {
      await send(port, agent, 'GET', '/ip');
    },
    1,
  );
  assert.equal(text(messages[0]!).split('\r\n')[1], 'X-Real-IP: 127.0.0.1');
});

test('a device that does not exist is reported as such', { timeout: 30_000 }, async () => {
  for (const engine of ['libpcap', 'tcpdump'] as const) {
    const ctx = makeContext();
    await assert.rejects(
      Promise.resolve(inputRaw.create('nosuchdev0:8080', { ...defaults, engine }, ctx)),
      (e: unknown) => e instanceof RepriseError && e.code === 'RPR_INPUT_NOT_FOUND' && /nosuchdev0/.test(e.message),
    );
  }
});

test('an invalid BPF filter is a configuration error naming the option', { timeout: 30_000 }, async () => {
  const ctx = makeContext();
  await assert.rejects(
    Promise.resolve(inputRaw.create('lo:8080', { ...defaults, bpfFilter: 'tcp and and port' }, ctx)),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_CONFIG_INVALID' && e.option === 'bpfFilter',
  );
});

test('an address that is not one is rejected before capturing', { timeout: 10_000 }, async () => {
  await assert.rejects(
    Promise.resolve(inputRaw.create('not an address', defaults, makeContext())),
    (e: unknown) => e instanceof RepriseError && e.code === 'RPR_CONFIG_INVALID',
  );
});

test('tcpdump does not outlive a reprise that exits without closing its input', { timeout: 60_000 }, () => {
  const port = 40000 + Math.floor(Math.random() * 20000);
  const script = fileURLToPath(new URL('./exit-without-close.child.ts', import.meta.url));
  // A folder left by an earlier process that had the same pid (killed, so it could not clean up) is not this one's.
  const foldersBefore = new Set(readdirSync(tmpdir()));
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, String(port)], { encoding: 'utf8', timeout: 50_000 });
  assert.equal(result.status, 3, result.stderr);
  assert.match(result.stdout, /capturing/);
  const left = spawnSync('pgrep', ['-f', `tcp dst port ${port}`], { encoding: 'utf8' });
  assert.equal(left.stdout.trim(), '', 'no tcpdump left capturing for the exited process');
  assert.deepEqual(
    pipeFolders(result.pid).filter((name) => !foldersBefore.has(name)),
    [],
    'and no named pipe left behind',
  );
});

test('without permission to capture, the error says how to grant it', { timeout: 60_000 }, (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to run a child as an unprivileged user');
    return;
  }
  // A child running as "nobody" has no CAP_NET_RAW: it must get RPR_CAPTURE_PERMISSION, not a crash.
  const script = fileURLToPath(new URL('./no-permission.child.ts', import.meta.url));
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], {
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    timeout: 50_000,
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    env: { ...process.env, HOME: '/tmp' },
  });
  const out = JSON.parse(result.stdout.trim().split('\n').pop() || '{}') as Record<string, { code?: string; message?: string }>;
  for (const engine of ['tcpdump', 'libpcap']) {
    assert.equal(out[engine]?.code, 'RPR_CAPTURE_PERMISSION', `${engine}: ${JSON.stringify(out[engine])} ${result.stderr}`);
    assert.match(out[engine]?.message ?? '', /setcap cap_net_raw,cap_net_admin=eip \$\(which node\)/);
  }
});
