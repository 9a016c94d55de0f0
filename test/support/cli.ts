/** Spawns the built `reprise` CLI as a real child process, with a hard timeout and cleanup. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliBin = join(repoRoot, 'packages/cli/bin/run.js');
/** GoReplay's own recordings (copies of the project's shared fixtures). */
export const goreplayFixtures = join(repoRoot, 'test/fixtures/goreplay');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<CliResult>;
}

export interface CliOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A command that runs the CLI, e.g. ['taskset', '-c', '0'] to give it one core. */
  wrapper?: string[];
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  // Run as users run it: the executable file, so its shebang line's Node flags apply.
  const [command, ...commandArgs] = [...(options.wrapper ?? []), cliBin, ...args];
  const child = spawn(command!, commandArgs, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: Buffer;
  atMs: number;
}

/** A real HTTP server on 127.0.0.1, port 0, recording every request; closed after the test. */
export async function recordingServer(
  t: { after(fn: () => Promise<void> | void): void },
  respond: (req: IncomingMessage, body: Buffer) => { status?: number; body?: string; headers?: Record<string, string> } = () => ({}),
): Promise<{ url: string; port: number; received: ReceivedRequest[]; server: Server }> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body, atMs: Date.now() });
      const answer = respond(req, body);
      const text = answer.body ?? 'ok';
      res.writeHead(answer.status ?? 200, {
        'content-type': 'text/plain',
        'content-length': String(Buffer.byteLength(text)),
        ...answer.headers,
      });
      res.end(text);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, received, server };
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts the CLI; once `isReady(stderr)` holds, runs `traffic`, then stops it with SIGINT 1.5 s later
 * (the tcpdump engine hands packets over in blocks at most 1 s late).
 */
export async function runWhileSending(
  args: string[],
  traffic: () => Promise<void>,
  isReady: (stderr: string) => boolean = (stderr) => /capturing on/.test(stderr),
): Promise<CliResult> {
  const cli = startCli(args, { timeoutMs: 40_000 });
  let hasExited = false;
  void cli.done.then(() => (hasExited = true));
  await waitFor(() => hasExited || isReady(cli.stderr()), 30_000, 'the CLI to be ready');
  if (!hasExited) {
    await traffic();
    await new Promise((r) => setTimeout(r, 1500));
    cli.child.kill('SIGINT');
  }
  return cli.done;
}
