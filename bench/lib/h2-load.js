// HTTP/2 for the capture-h2 bench: a server in a child process (h2c, or TLS with ALPN h2 writing an
// NSS key log) and a fixed-rate (open model) load over a few HTTP/2 sessions.
//
//   const server = await startH2Server({ tls: true, keylog: '/tmp/keys.log' });  // { port, stop() }
//   const r = await runH2FixedRate({ port, tls: true, rate: 10000, durationS: 5 });  // { sent, completed, errors, durationS }
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:http2';

const SERVER = `
const http2 = require('node:http2');
const fs = require('node:fs');
const [tls, keylog, key, cert] = process.argv.slice(1);
const server = tls === '1' ? http2.createSecureServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }) : http2.createServer();
if (keylog) server.on('keylog', (line) => fs.appendFileSync(keylog, line));
server.on('stream', (stream) => {
  stream.on('error', () => {});
  stream.respond({ ':status': 200, 'content-type': 'text/plain' });
  stream.end('pong');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

export async function startH2Server({ tls = false, keylog = '', key = '', cert = '' } = {}) {
  const child = spawn(process.execPath, ['-e', SERVER, tls ? '1' : '0', keylog, key, cert], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout, 'data');
  const port = Number(String(line).trim());
  return {
    port,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

export async function runH2FixedRate({ port, tls = false, rate, durationS = 5, sessions = 8, drainMs = 2000 }) {
  const clients = await Promise.all(
    Array.from({ length: sessions }, async () => {
      const client = connect(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, {
        rejectUnauthorized: false,
        peerMaxConcurrentStreams: 10_000,
      });
      client.on('error', () => {});
      await once(client, 'connect');
      return client;
    }),
  );
  let sent = 0;
  let completed = 0;
  let errors = 0;
  const total = Math.round(rate * durationS);
  const started = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) {
        const req = clients[sent % sessions].request({ ':method': 'GET', ':path': `/item/${sent}`, 'x-bench': 'h2' });
        req.on('response', () => {});
        req.on('error', () => errors++);
        req.on('end', () => completed++);
        req.resume();
        req.end();
        sent++;
      }
      if (sent >= total) resolve();
      else setImmediate(tick);
    };
    tick();
  });
  const elapsed = (performance.now() - started) / 1000;
  const deadline = performance.now() + drainMs;
  while (completed + errors < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const client of clients) client.destroy();
  return { sent, completed, errors, durationS: elapsed };
}
