/** A real nats-server with JetStream in a temporary directory, on a free port; killed after the test. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian installs it in /usr/sbin, which a non-root PATH may lack. */
const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((path) => existsSync(path)) ?? 'nats-server';

export interface NatsServer {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: an outage, not a shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function startNatsServer(
  t: { after(fn: () => Promise<void> | void): void },
  options: { maxPayloadBytes?: number; jetStream?: boolean } = {},
): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-nats-'));
  const port = await freePort();
  const config = join(dir, 'server.conf');
  writeFileSync(config, `max_payload: ${options.maxPayloadBytes ?? 1048576}\n`);
  let child: ChildProcess | undefined;
  const start = async () => {
    const jetStream = options.jetStream === false ? [] : ['-js', '-sd', join(dir, 'store')];
    child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), ...jetStream, '-c', config], {
      stdio: 'ignore',
    });
    const startedAt = Date.now();
    while (!(await isListening(port))) {
      if (Date.now() - startedAt > 10_000) throw new Error('nats-server did not start within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise((resolve) => {
      running.once('exit', resolve);
      running.kill('SIGKILL');
    });
  };
  await start();
  t.after(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `nats://127.0.0.1:${port}`, port, kill, restart: start };
}
