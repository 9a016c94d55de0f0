// output-http's own HTTP/1.1 sender (plain http:// targets) against servers that end connections
// under pipelined requests: a Node server that drops sockets mid-pipeline or announces the close,
// and nginx closing after a number of requests (skipped, with the reason, when nginx is absent).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli, tempDir, waitFor } from './support/cli.js';
import { getRequests, readRecords, summaryCounters, writeGor } from './support/gor.js';
import { freePort } from './support/nats-server.js';

const T = { timeout: 120_000 };

/**
 * A Node server answering each path with its path as body, counting the answers written (in two chunked writes when `handle` says
 * 'chunked'); `handle` may take a request over and leave it unanswered ('taken').
 */
async function pathServer(
  t: TestContext,
  handle: (req: IncomingMessage, res: ServerResponse, nthOnSocket: number) => 'taken' | 'chunked' | undefined,
) {
  const answered = new Map<string, number>();
  let received = 0;
  const perSocket = new WeakMap<object, number>();
  const server = createServer((req, res) => {
    received++;
    const nth = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, nth);
    const how = handle(req, res, nth);
    if (how === 'taken') return;
    // counted once written whole: Node also runs the handlers of pipelined requests whose socket is gone
    res.on('finish', () => answered.set(req.url!, (answered.get(req.url!) ?? 0) + 1));
    if (how === 'chunked') res.write(req.url!.slice(0, 3));
    res.end(how === 'chunked' ? req.url!.slice(3) : req.url);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, answered, received: () => received };
}

test('connections dropped mid-pipeline: unanswered GETs are sent once more (counted), none lost, none answered twice', T, async (t) => {
  const dropped = new Set<string>();
  const target = await pathServer(t, (req) => {
    const i = Number(req.url!.slice('/item/'.length));
    if (i % 100 === 50 && !dropped.has(req.url!)) {
      // the first time it comes, this request's socket is destroyed with the pipelined ones behind it
      dropped.add(req.url!);
      req.socket.destroy();
      return 'taken';
    }
    return i % 3 === 0 ? 'chunked' : undefined;
  });
  const dir = tempDir(t);
  const input = join(dir, 'in.gor');
  const output = join(dir, 'out.gor');
  const requests = getRequests(400);
  writeGor(input, requests);
  const run = await runCli(
    ['--input-file', input, '--input-file-no-wait', '--output-http', target.url, '--output-http-track-response', '--output-file', output],
    {
      timeoutMs: 90_000,
    },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(dropped.size, 4);
  const paths = requests.map((_, i) => `/item/${i}`);
  assert.deepEqual(
    paths.filter((p) => target.answered.get(p) !== 1),
    [],
    `every path answered exactly once: ${JSON.stringify(paths.filter((p) => target.answered.get(p) !== 1).map((p) => [p, target.answered.get(p)]))}`,
  );
  const counters = summaryCounters(run.stderr, 'output-http');
  assert.equal(counters.failed ?? 0, 0, run.stderr);
  assert.ok((counters.retried ?? 0) >= 4, `each dropped request was sent again: ${run.stderr}`);
  // the tracked responses: one per request, its own body, framed by Content-Length (chunked ones too)
  const responses = readRecords(output).filter((r) => r.type === '3');
  assert.equal(responses.length, 400);
  const byId = new Map(responses.map((r) => [r.id, r.payload]));
  for (const [i, request] of requests.entries()) {
    const payload = byId.get(request.id) ?? '';
    const body = `/item/${i}`;
    assert.ok(payload.startsWith('HTTP/1.1 200 OK\r\n'), `${request.id}: ${payload}`);
    assert.ok(payload.endsWith(`\r\n\r\n${body}`), payload);
    assert.match(payload, new RegExp(`\r\n[Cc]ontent-[Ll]ength: ${body.length}\r\n`));
    assert.doesNotMatch(payload, /transfer-encoding/i);
  }
});

test('a POST on a dropped connection fails as reset and is not sent again; the GETs around it are answered', T, async (t) => {
  const target = await pathServer(t, (req) => {
    if (req.method === 'POST') {
      req.socket.destroy();
      return 'taken';
    }
    return undefined;
  });
  const dir = tempDir(t);
  const input = join(dir, 'in.gor');
  const requests = getRequests(40);
  requests[20] = { ...requests[20]!, payload: new TextEncoder().encode('POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na=1') };
  writeGor(input, requests);
  const run = await runCli(['--input-file', input, '--input-file-no-wait', '--output-http', target.url], { timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stderr);
  const counters = summaryCounters(run.stderr, 'output-http');
  assert.equal(counters.failed, 1, run.stderr);
  assert.equal(counters.reset, 1, run.stderr);
  assert.equal(target.answered.size, 39);
  assert.equal(target.received(), 40, 'the POST reached the server once');
});

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

test('against nginx closing every 50th response: every request is served exactly once', {
  ...T,
  skip: nginx ? false : 'nginx is not installed (scripts/setup.sh leaves it to the benchmarks; apt-get install nginx-light)',
}, async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const log = join(dir, 'access.log');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  log_format uri '$request_method $request_uri $status';
  access_log ${log} uri;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 50;
  server {
    listen 127.0.0.1:${port};
    location / { default_type text/plain; return 200 "pong"; }
  }
}
`,
  );
  const child = spawn(nginx!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const input = join(dir, 'in.gor');
  const requests = getRequests(2000, { path: (i) => `/n/${i}` });
  for (let i = 0; i < requests.length; i += 7) {
    requests[i] = { ...requests[i]!, payload: new TextEncoder().encode(`HEAD /n/${i} HTTP/1.1\r\nHost: h\r\n\r\n`) };
  }
  writeGor(input, requests);
  await waitFor(() => existsSync(join(dir, 'nginx.pid')), 10_000, 'nginx started');
  const run = await runCli(['--input-file', input, '--input-file-no-wait', '--output-http', `http://127.0.0.1:${port}`], {
    timeoutMs: 90_000,
  });
  assert.equal(run.code, 0, run.stderr);
  const counters = summaryCounters(run.stderr, 'output-http');
  assert.equal(counters.out, 2000, run.stderr);
  assert.equal(counters.failed ?? 0, 0, run.stderr);
  await waitFor(() => readFileSync(log, 'utf8').split('\n').length > 2000, 10_000, 'nginx wrote its access log');
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2000, 'served once each');
  const served = new Set(lines);
  for (let i = 0; i < 2000; i++) assert.ok(served.has(`${i % 7 === 0 ? 'HEAD' : 'GET'} /n/${i} 200`), `/n/${i}`);
});
