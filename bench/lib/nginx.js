// A throwaway nginx on loopback for benchmarks: the practical ceiling a replay or capture is measured against.
//
// API (all async unless noted):
//   ensureTools(['nginx', 'wrk'])  installs the Debian packages providing missing tools (nginx-light, wrk);
//                                  runs `apt-get update` only when a first install attempt fails.
//   startNginx(options?)           writes a minimal config into a fresh temp dir and starts nginx on a free
//                                  127.0.0.1 port. Options: { body = 'pong', workers = 1, port = 0 (free port),
//                                  status = false (true adds nginx's stub_status at /nginx_status: requests served) }.
//                                  Resolves to { url, host, port, dir, pid, stop() }; `stop()` is idempotent,
//                                  resolves once nginx has exited, and removes the temp dir.
//   runWrk(url, options?)          runs `wrk -t<threads> -c<connections> -d<durationS>s url` and resolves to
//                                  { requestsPerSecond, requests, durationS, output }. Defaults: t1 c32 d5.
//
// Usage:
//   import { ensureTools, startNginx, runWrk } from './lib/nginx.js';
//   await ensureTools(['nginx', 'wrk']);
//   const nginx = await startNginx();
//   try { const { requestsPerSecond } = await runWrk(nginx.url); } finally { await nginx.stop(); }
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where each tool is looked for, and the Debian package that provides it. */
const TOOLS = {
  nginx: { paths: ['/usr/sbin/nginx', '/usr/bin/nginx'], apt: 'nginx-light' },
  wrk: { paths: ['/usr/bin/wrk', '/usr/local/bin/wrk'], apt: 'wrk' },
  'nats-server': { paths: ['/usr/sbin/nats-server', '/usr/bin/nats-server'], apt: 'nats-server' },
};

/** The path of an installed tool, or undefined. Synchronous. */
export function toolPath(name) {
  const tool = TOOLS[name];
  if (!tool) throw new Error(`unknown tool ${name} (known: ${Object.keys(TOOLS).join(', ')})`);
  const found = tool.paths.find((p) => existsSync(p));
  if (found) return found;
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** Installs the packages for whichever of `names` is missing. Throws when they cannot be installed. */
export async function ensureTools(names = ['nginx', 'wrk']) {
  const missing = names.filter((n) => !toolPath(n));
  if (missing.length === 0) return;
  const packages = missing.map((n) => TOOLS[n].apt);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  // The package lists may be stale or absent on a fresh machine: update only when the first try fails.
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    if (install().status !== 0) throw new Error(`could not install ${packages.join(', ')} with apt-get`);
  }
  const still = names.filter((n) => !toolPath(n));
  if (still.length) throw new Error(`installed ${packages.join(', ')} but still missing: ${still.join(', ')}`);
}

/** A port that was free a moment ago on 127.0.0.1 (nginx cannot take port 0 and report it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function nginxConfig({ dir, port, body, workers, status }) {
  // Running as root, nginx would hand its workers to `nobody`, who cannot write our temp dir.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `${user}
worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / { default_type text/plain; return 200 ${JSON.stringify(body)}; }
${status ? '    location = /nginx_status { stub_status; }\n' : ''}  }
}
`;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts nginx; see the API at the top of this file. */
export async function startNginx({ body = 'pong', workers = 1, port = 0, status = false } = {}) {
  await ensureTools(['nginx']);
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-nginx-'));
  const boundPort = port || (await freePort());
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir, port: boundPort, body, workers, status }));
  const child = spawn(toolPath('nginx'), ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let hasExited = false;
  exited.then(() => {
    hasExited = true;
  });

  const deadline = Date.now() + 5000;
  while (!(await canConnect(boundPort))) {
    if (hasExited || Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start on 127.0.0.1:${boundPort}: ${stderr}${log}`.trim());
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      if (!hasExited) {
        child.kill('SIGTERM'); // fast shutdown of master and workers
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { url: `http://127.0.0.1:${boundPort}`, host: '127.0.0.1', port: boundPort, dir, pid: child.pid, stop };
}

/** Runs wrk against `url`; see the API at the top of this file. */
export async function runWrk(url, { threads = 1, connections = 32, durationS = 5 } = {}) {
  await ensureTools(['wrk']);
  const output = await new Promise((resolve, reject) => {
    const child = spawn(toolPath('wrk'), [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}: ${out}`))));
  });
  const rate = /Requests\/sec:\s*([\d.]+)/.exec(output);
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(output);
  if (!rate) throw new Error(`could not read wrk's rate from: ${output}`);
  return {
    requestsPerSecond: Number(rate[1]),
    requests: total ? Number(total[1]) : undefined,
    durationS,
    output,
  };
}
