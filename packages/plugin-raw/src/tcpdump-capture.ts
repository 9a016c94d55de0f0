/**
 * The `tcpdump` engine: libpcap driven by tcpdump, its packets read as a pcap stream from its
 * stdout. libpcap writes many packets per pipe read (one JavaScript call per chunk instead of per
 * packet), keeps kernel timestamps, takes any snaplen (cap is fixed at 65535 bytes, which cuts
 * full-size segments on loopback), and reports the kernel's drop count when it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PcapReader, type PcapPacket } from './pcap-reader.js';
import { CaptureOpenError } from './live-capture-error.js';

/** tcpdump's packet buffer timeout (pcap_set_timeout): the longest a captured packet waits in the ring. */
const BLOCK_TIMEOUT_MS = 1000;
/** How often tcpdump's output buffer is flushed when no bytes came (quiet traffic). */
const FLUSH_CHECK_MS = 50;
/** How often tcpdump is asked for its counts (SIGUSR1), so that kernel drops show up in --stats. */
const STATS_INTERVAL_MS = 1000;

export interface TcpdumpOptions {
  device: string;
  filter: string;
  snaplenBytes: number;
  bufferSizeBytes: number;
  promisc: boolean;
  onPacket(packet: PcapPacket): void;
  /** Packets the kernel dropped since the last call (tcpdump reports them every second and at exit). */
  onKernelDropped(count: number): void;
  /** Called once tcpdump has exited and its last packets and counts are in. */
  onExit(error: CaptureOpenError | undefined): void;
}

export class TcpdumpCapture {
  private readonly child: ChildProcess;
  private stderr = '';
  private isStopped = false;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly statsTimer: NodeJS.Timeout;
  private kernelDroppedReported = 0;
  readonly ready: Promise<void>;

  constructor(options: TcpdumpOptions) {
    const args = [
      '-i', options.device,
      // No --immediate-mode: it makes libpcap use TPACKET_V2, a ring of snaplen-sized slots
      // (a 32 MB buffer holds only ~128 frames of 256 KB) that overflows in bursts. TPACKET_V3 packs
      // frames by their real size and hands them over in blocks, at most a block timeout late.
      // No -U either (a write per packet): tcpdump fills its stdio buffer, and when no bytes
      // have come for a moment it is told to flush it (SIGUSR2), so quiet traffic is not held back.
      '-w', '-', '-n', '--time-stamp-precision', 'nano',
      '-s', String(options.snaplenBytes),
      '-B', String(Math.max(1, Math.round(options.bufferSizeBytes / 1024))),
    ];
    if (!options.promisc) args.push('-p');
    args.push(options.filter);
    this.child = spawn('tcpdump', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const reader = new PcapReader(options.onPacket);
    let hasData = false;
    this.child.stdout!.on('data', (chunk: Buffer) => {
      hasData = true;
      reader.push(chunk);
    });
    // Only once tcpdump is listening: before it installs its handler, SIGUSR2 would end it.
    let isListening = false;
    this.flushTimer = setInterval(() => {
      if (isListening && !hasData && this.child.exitCode === null && !this.isStopped) this.child.kill('SIGUSR2');
      hasData = false;
    }, FLUSH_CHECK_MS);
    this.statsTimer = setInterval(() => {
      if (isListening && this.child.exitCode === null && !this.isStopped) this.child.kill('SIGUSR1');
    }, STATS_INTERVAL_MS);
    const reportDrops = () => {
      // Each report is cumulative: pass on what is new since the last one.
      const all = [...this.stderr.matchAll(/(\d+) packets? dropped by kernel/g)];
      const latest = all.length ? Number(all[all.length - 1]![1]) : 0;
      if (latest > this.kernelDroppedReported) {
        options.onKernelDropped(latest - this.kernelDroppedReported);
        this.kernelDroppedReported = latest;
      }
      // Only the tail can hold an unfinished report line.
      if (this.stderr.length > 4096) this.stderr = this.stderr.slice(-1024);
    };
    this.ready = new Promise<void>((resolve, reject) => {
      this.child.stderr!.setEncoding('utf8');
      this.child.stderr!.on('data', (text: string) => {
        this.stderr += text;
        if (isListening) reportDrops();
        if (/listening on/.test(this.stderr)) {
          isListening = true;
          resolve();
        }
      });
      this.child.on('error', (error) => {
        const e = new CaptureOpenError(
          (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'tcpdump is not installed: apt-get install tcpdump, or use --input-raw-engine libpcap' : error.message,
          'other',
        );
        reject(e);
      });
      // 'close' (not 'exit'): stdout and stderr have been read to the end by then.
      this.child.on('close', (code) => {
        clearInterval(this.flushTimer);
        clearInterval(this.statsTimer);
        reportDrops();
        const failed = code !== 0 && !this.isStopped;
        const error = failed ? classify(options.device, this.stderr.trim() || `tcpdump exited with ${code}`) : undefined;
        if (error) reject(error);
        options.onExit(error);
      });
    });
  }

  /**
   * Stops tcpdump; it writes out what it holds and reports its counts, then `onExit` runs. It is
   * signalled only after a block timeout, so that packets captured before the stop have been handed over.
   */
  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    setTimeout(() => this.child.kill('SIGINT'), BLOCK_TIMEOUT_MS + 100);
  }
}

function classify(device: string, text: string): CaptureOpenError {
  const message = `${device}: ${text.split('\n').filter((l) => !/^tcpdump: listening/.test(l)).join(' ')}`;
  if (/permission|not permitted/i.test(text)) return new CaptureOpenError(message, 'permission');
  if (/no such device|doesn't exist/i.test(text)) return new CaptureOpenError(message, 'device');
  if (/syntax|parse|expression|illegal/i.test(text)) return new CaptureOpenError(message, 'filter');
  return new CaptureOpenError(message, 'other');
}
