/**
 * The `tcpdump` engine: libpcap driven by tcpdump, its packets read as a pcap stream from its
 * stdout (a named pipe polled every few ms while packets come, so one JavaScript call handles many,
 * and watched while none do). It keeps kernel timestamps, takes any snaplen (cap is fixed at 65535
 * bytes, which cuts full-size segments on loopback), and reports the kernel's drop count every second
 * while packets come, every 10 s while none do, and when it stops.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { FifoReader } from './fifo-reader.js';
import { PcapReader, type PcapPacket } from './pcap-reader.js';
import { CaptureOpenError } from './live-capture-error.js';
import { TCPDUMP_BLOCK_TIMEOUT_MS } from './capture-settings.js';
/** How often the named pipe tcpdump writes into is read while packets come (a few ms of packets per read under load). */
const READ_INTERVAL_MS = 5;
/** How often tcpdump is asked for its counts (SIGUSR1) while packets come, so that kernel drops show up in --stats. */
const STATS_INTERVAL_MS = 1000;
/** ... and while none come: an idle capture is not woken every second for counts that cannot have changed much. */
const IDLE_STATS_INTERVAL_MS = 10_000;

export interface TcpdumpOptions {
  device: string;
  filter: string;
  snaplenBytes: number;
  bufferSizeBytes: number;
  promisc: boolean;
  /** Each packet handed over at once (--immediate-mode) instead of in blocks up to 1 s late. */
  immediateMode?: boolean;
  /** tcpdump -j: where timestamps come from; '' for the device's default. */
  timestampType?: string;
  /** tcpdump -I: 802.11 monitor mode. */
  monitor?: boolean;
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
  private statsTimer: NodeJS.Timeout | undefined;
  /** Whether the stats timer runs at the shorter interval (packets came since the last ask). */
  private isStatsFast = false;
  private sawPacketsSinceAsk = false;
  private kernelDroppedReported = 0;
  private readonly blockTimeoutMs: number;
  readonly ready: Promise<void>;

  /** tcpdump's process id, so that the main thread can end it if reprise itself dies. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The folder of the named pipe (removed on stop; by the main thread if reprise dies first). */
  readonly tempDir: string | undefined;

  constructor(options: TcpdumpOptions) {
    const args = tcpdumpArguments(options);
    this.blockTimeoutMs = options.immediateMode ? 0 : TCPDUMP_BLOCK_TIMEOUT_MS;
    const reader = new PcapReader(options.onPacket);
    // A named pipe when one can be made (see fifo-reader.ts), else tcpdump's stdout as a plain pipe.
    let fifo: FifoReader | undefined;
    try {
      fifo = new FifoReader();
    } catch {
      fifo = undefined;
    }
    try {
      this.child = spawn('tcpdump', args, { stdio: ['ignore', fifo ? fifo.writeFd : 'pipe', 'pipe'] });
    } finally {
      fifo?.releaseWriter();
    }
    this.tempDir = fifo?.dir;
    const onChunk = (chunk: Buffer): void => {
      reader.push(chunk);
      this.sawPacketsSinceAsk = true;
      if (!this.isStatsFast) this.scheduleStats(STATS_INTERVAL_MS);
    };
    if (fifo) fifo.start(onChunk, READ_INTERVAL_MS);
    else this.child.stdout!.on('data', onChunk);
    // Only once tcpdump is listening: before it installs its handler, SIGUSR1 would end it.
    let isListening = false;
    this.askForStats = () => {
      this.statsTimer = undefined;
      if (isListening && this.child.exitCode === null && !this.isStopped) this.child.kill('SIGUSR1');
      this.scheduleStats(this.sawPacketsSinceAsk ? STATS_INTERVAL_MS : IDLE_STATS_INTERVAL_MS);
      this.sawPacketsSinceAsk = false;
    };
    this.scheduleStats(STATS_INTERVAL_MS);
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
        // tcpdump only warns about a timestamp type the device lacks; GoReplay refuses it, and so do we.
        const unsupported = !isListening && /When trying to set timestamp type '([^']*)' on ([^:]+): (.*)/.exec(this.stderr);
        if (unsupported) {
          this.isStopped = true;
          this.child.kill('SIGKILL');
          reject(
            new CaptureOpenError(
              `${unsupported[2]}: time stamp type "${unsupported[1]}": ${unsupported[3]}${supportedTimestampTypes(unsupported[2]!)}`,
              'timestamp',
            ),
          );
          return;
        }
        if (/listening on/.test(this.stderr)) {
          isListening = true;
          resolve();
        }
      });
      this.child.on('error', (error) => {
        // tcpdump could not be started: nothing will ever close the pipe or stop the timers.
        clearTimeout(this.statsTimer);
        fifo?.close();
        const e = new CaptureOpenError(
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'tcpdump is not installed: apt-get install tcpdump, or use --input-raw-engine libpcap'
            : error.message,
          (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'tool' : 'other',
        );
        reject(e);
      });
      // 'close' (not 'exit'): stdout and stderr have been read to the end by then.
      this.child.on('close', (code) => {
        clearTimeout(this.statsTimer);
        this.statsTimer = undefined;
        // tcpdump has exited: what is left in the pipe is its last packets.
        try {
          while (fifo?.drain());
        } finally {
          fifo?.close();
        }
        reportDrops();
        const failed = code !== 0 && !this.isStopped;
        const error = failed ? classify(options.device, this.stderr.trim() || `tcpdump exited with ${code}`) : undefined;
        if (error) reject(error);
        options.onExit(error);
      });
    });
  }

  private askForStats: () => void = () => {};

  /** (Re)arms the ask for counts `delayMs` from now; the shorter interval replaces a longer wait. */
  private scheduleStats(delayMs: number): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    clearTimeout(this.statsTimer);
    this.isStatsFast = delayMs === STATS_INTERVAL_MS;
    this.statsTimer = setTimeout(this.askForStats, delayMs);
  }

  /**
   * Stops tcpdump; it writes out what it holds and reports its counts, then `onExit` runs. It is
   * signalled only after a block timeout, so that packets captured before the stop have been handed over.
   */
  stop(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    setTimeout(() => this.child.kill('SIGINT'), this.blockTimeoutMs + 100);
  }
}

/** tcpdump's command line for one device. */
export function tcpdumpArguments(options: Omit<TcpdumpOptions, 'onPacket' | 'onKernelDropped' | 'onExit'>): string[] {
  const args = [
    '-i',
    options.device,
    // No --immediate-mode unless asked (--input-raw-buffer-timeout under 1s): it makes libpcap use
    // TPACKET_V2, a ring of snaplen-sized slots (a 32 MB buffer holds only ~128 frames of 256 KB)
    // that overflows in bursts. TPACKET_V3 packs frames by their real size and hands them over in
    // blocks, at most a block timeout late.
    // -U writes each packet out as it is saved. (Without it, output waits for a full stdio buffer;
    // flushing that with SIGUSR2 is not safe: tcpdump flushes inside the signal handler, and a
    // flush that interrupts a write corrupted the stream here.)
    '-U',
    '-w',
    '-',
    '-n',
    '--time-stamp-precision',
    'nano',
    '-s',
    String(options.snaplenBytes),
    '-B',
    String(Math.max(1, Math.round(options.bufferSizeBytes / 1024))),
  ];
  if (options.immediateMode) args.push('--immediate-mode');
  if (options.timestampType) args.push('-j', options.timestampType);
  if (options.monitor) args.push('-I');
  if (!options.promisc) args.push('-p');
  args.push(options.filter);
  return args;
}

/** ", supported: host, adapter" from tcpdump -J, or nothing when it cannot tell. */
function supportedTimestampTypes(device: string): string {
  const r = spawnSync('tcpdump', ['-J', '-i', device], { encoding: 'utf8', timeout: 5000 });
  // tcpdump prints the list on stderr.
  const types = [...`${r.stdout ?? ''}${r.stderr ?? ''}`.matchAll(/^\s+(\S+) \(/gm)].map((m) => m[1]);
  return types.length ? ` (${device} supports: ${types.join(', ')})` : '';
}

function classify(device: string, text: string): CaptureOpenError {
  const message = `${device}: ${text
    .split('\n')
    .filter((l) => !/^tcpdump: listening/.test(l))
    .join(' ')}`;
  if (/permission|not permitted/i.test(text)) return new CaptureOpenError(message, 'permission');
  if (/monitor mode/i.test(text)) return new CaptureOpenError(message, 'monitor');
  if (/no such device|doesn't exist/i.test(text)) return new CaptureOpenError(message, 'device');
  if (/syntax|parse|expression|illegal/i.test(text)) return new CaptureOpenError(message, 'filter');
  return new CaptureOpenError(message, 'other');
}
