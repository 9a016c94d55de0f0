/**
 * The `tshark` engine: tcpdump captures, and its pcap stream is piped into tshark, which reassembles
 * TCP, decrypts TLS 1.2/1.3 with an NSS key log (`--input-raw-tls-keylog`, re-read as keys are
 * appended) and prints each packet's decrypted bytes (tshark-fields.ts). Those go, per connection and
 * direction, to the same HTTP/1 framers and HTTP/2 decoder as the other engines (decrypted-streams.ts).
 * Runs in the main thread: tshark does the heavy work in its own process.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RepriseError, type Message, type PluginContext } from '@reprise/core';
import { drainCounters, newCounters } from './capture-counters.js';
import { DecryptedStreams } from './decrypted-streams.js';
import { HttpTracker, type TrackerOptions } from './http-tracker.js';
import { parseTsharkLine, TSHARK_FIELDS } from './tshark-fields.js';

const COMPONENT = 'input-raw';
/** tcpdump hands packets over in blocks at most this late (libpcap's buffer timeout). */
const BLOCK_TIMEOUT_MS = 1000;
const SWEEP_INTERVAL_MS = 250;
/** How long tshark may take to print its last packets once its input ended. */
const STOP_DEADLINE_MS = 10_000;

export interface TsharkSourceOptions {
  device: string;
  filter: string;
  snaplenBytes: number;
  bufferSizeBytes: number;
  promisc: boolean;
  /** The NSS key log; undefined: TLS connections are counted as tls-no-keys, cleartext is read. */
  keylogFile: string | undefined;
  tracker: TrackerOptions;
}

export class TsharkSource {
  private tcpdump: ChildProcess | undefined;
  private tshark: ChildProcess | undefined;
  private readonly counters = newCounters();
  private readonly tracker: HttpTracker;
  private readonly streams: DecryptedStreams;
  private pending: Message[] = [];
  private wake: (() => void) | undefined;
  private isEnded = false;
  private isStopping = false;
  private failure: RepriseError | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Holds the named pipe from tcpdump to tshark (tshark reads only a real pipe or a file, not a socket). */
  private dir: string | undefined;
  private readonly killChildren = () => {
    for (const child of [this.tcpdump, this.tshark]) if (child?.pid && child.exitCode === null) child.kill('SIGKILL');
    this.removeDir();
  };

  constructor(
    private readonly options: TsharkSourceOptions,
    private readonly ctx: PluginContext,
  ) {
    this.tracker = new HttpTracker({ ...options.tracker, isBufferReused: false }, this.counters, (m) => this.pending.push(m));
    this.streams = new DecryptedStreams(this.tracker, options.tracker.ports, this.counters);
  }

  /** Starts tcpdump and tshark; resolves once tcpdump is listening. */
  start(): Promise<void> {
    const o = this.options;
    this.dir = mkdtempSync(join(tmpdir(), 'reprise-tshark-'));
    const fifo = join(this.dir, 'packets.fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    process.on('exit', this.killChildren);
    const tshark = spawn('tshark', tsharkArgs(fifo, o.keylogFile), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.tshark = tshark;
    const tcpdumpArgs = [
      '-i',
      o.device,
      '-U',
      '-w',
      fifo,
      '-n',
      '--time-stamp-precision',
      'nano',
      '-s',
      String(o.snaplenBytes),
      '-B',
      String(Math.max(1, Math.round(o.bufferSizeBytes / 1024))),
    ];
    if (!o.promisc) tcpdumpArgs.push('-p');
    tcpdumpArgs.push(o.filter);
    const tcpdump = spawn('tcpdump', tcpdumpArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.tcpdump = tcpdump;
    this.readLines(tshark);
    let tsharkErrors = '';
    tshark.stderr!.setEncoding('utf8').on('data', (text: string) => (tsharkErrors = (tsharkErrors + text).slice(-4096)));
    tshark.on('close', (code) => {
      clearInterval(this.sweepTimer);
      if (code !== 0 && !this.isStopping) {
        const detail = tsharkErrors
          .split('\n')
          .filter((l) => l && !/Running as user/.test(l))
          .join(' ');
        this.fail(
          new RepriseError('RPR_PLUGIN_FAILED', `tshark exited with ${code}: ${detail}`, {
            plugin: COMPONENT,
            option: 'engine',
            phase: 'read',
          }),
        );
      }
      if (tcpdump.exitCode === null) tcpdump.kill('SIGINT');
      this.removeDir();
      this.streams.finish();
      this.end();
    });
    this.sweepTimer = setInterval(() => {
      this.tracker.sweep(Date.now());
      this.flush();
    }, SWEEP_INTERVAL_MS);
    return new Promise<void>((resolve, reject) => {
      let stderr = '';
      let isListening = false;
      tcpdump.stderr!.setEncoding('utf8').on('data', (text: string) => {
        stderr = (stderr + text).slice(-4096);
        if (!isListening && /listening on/.test(stderr)) {
          isListening = true;
          resolve();
        }
      });
      const notInstalled = (tool: string) => (error: NodeJS.ErrnoException) => {
        const text =
          error.code === 'ENOENT'
            ? `${tool} is not installed (the tshark engine needs tcpdump and tshark): apt-get install ${tool}`
            : `${tool}: ${error.message}`;
        const failure = new RepriseError('RPR_INPUT_NOT_FOUND', text, { plugin: COMPONENT, option: 'engine', phase: 'start' });
        this.stop();
        reject(failure);
      };
      tcpdump.on('error', notInstalled('tcpdump'));
      tshark.on('error', notInstalled('tshark'));
      tcpdump.on('close', (code) => {
        if (isListening || this.isStopping) return;
        const text = `${o.device}: ${stderr.trim() || `tcpdump exited with ${code}`}`;
        const failure = /permission|not permitted/i.test(text)
          ? new RepriseError('RPR_CAPTURE_PERMISSION', `${text}\nPacket capture needs root or the CAP_NET_RAW capability.`, {
              plugin: COMPONENT,
              phase: 'start',
            })
          : new RepriseError('RPR_PLUGIN_FAILED', text, { plugin: COMPONENT, phase: 'start' });
        this.stop();
        reject(failure);
      });
    });
  }

  async *read(): AsyncIterable<Message[]> {
    for (;;) {
      if (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        yield batch;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.isEnded) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Stops capturing: tcpdump hands over what it holds, tshark prints it, then read() ends. */
  stop(): void {
    if (this.isStopping) return;
    this.isStopping = true;
    const tcpdump = this.tcpdump;
    const tshark = this.tshark;
    setTimeout(() => {
      if (tcpdump?.exitCode === null) tcpdump.kill('SIGINT');
    }, BLOCK_TIMEOUT_MS + 100).unref();
    setTimeout(() => {
      if (tshark?.exitCode === null) tshark.kill('SIGKILL');
    }, BLOCK_TIMEOUT_MS + STOP_DEADLINE_MS).unref();
  }

  async close(): Promise<void> {
    this.stop();
    const tshark = this.tshark;
    if (tshark && tshark.exitCode === null && tshark.signalCode === null) await new Promise((resolve) => tshark.once('close', resolve));
    process.off('exit', this.killChildren);
  }

  private removeDir(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private readLines(tshark: ChildProcess): void {
    let tail = '';
    tshark.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const lines = (tail + text).split('\n');
      tail = lines.pop()!;
      for (const line of lines) {
        const packet = parseTsharkLine(line);
        if (packet) this.streams.packet(packet);
      }
      this.flush();
    });
  }

  /** Moves counters to ctx.stats and wakes the reader when messages are waiting. */
  private flush(): void {
    drainCounters(this.counters, (name, n) => this.ctx.stats.add(name, n));
    if (this.pending.length > 0) this.wake?.();
  }

  private fail(error: RepriseError): void {
    this.failure ??= error;
    this.wake?.();
  }

  private end(): void {
    this.isEnded = true;
    this.flush();
    this.wake?.();
  }
}

/** tshark reading tcpdump's pcap stream from the pipe, one line per packet as it comes (-l), decrypted bytes in data.data. */
function tsharkArgs(fifo: string, keylogFile: string | undefined): string[] {
  const args = ['-r', fifo, '-l', '-n'];
  if (keylogFile) args.push('-o', `tls.keylog_file:${keylogFile}`);
  // Without these, decrypted bytes go to tshark's HTTP dissectors instead of `data`.
  args.push('--disable-protocol', 'http', '--disable-protocol', 'http2');
  args.push('-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,');
  for (const field of TSHARK_FIELDS) args.push('-e', field);
  return args;
}
