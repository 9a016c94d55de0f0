/**
 * Runs a live capture next to libpcap, off the pipeline's thread: opens the devices, decodes,
 * reassembles and frames, and sends whole messages to the input-raw component in packed batches.
 * The same code runs in a worker thread (tcpdump engine) and in a child process (libpcap engine:
 * cap polls on libuv's default loop, so it only works on a process's main thread).
 */
import { performance } from 'node:perf_hooks';
import { networkInterfaces } from 'node:os';
import { encodeBatch } from './batch-codec.js';
import { defaultBpfFilter } from './capture-address.js';
import type { Counters } from './capture-counters.js';
import type { FromCapture, LiveCaptureConfig, ToCapture } from './capture-protocol.js';
import { CaptureOpenError } from './live-capture-error.js';
import { TCPDUMP_BLOCK_TIMEOUT_MS } from './capture-settings.js';
import { PacketProcessor } from './packet-processor.js';
import type { PcapPacket } from './pcap-reader.js';

const BATCH_MESSAGES = 512;
/** A batch leaves at most this long after its first message or packet (a timer only while there is one). */
const FLUSH_INTERVAL_MS = 10;
/** How often held connections and fragments are checked for expiry (while there are any). */
const SWEEP_INTERVAL_MS = 250;
/** Batches sent but not yet taken by the parent; beyond this the parent is not keeping up. */
const MAX_IN_FLIGHT_BATCHES = 512;

export interface CaptureTransport {
  /** Sends a message; `onSent` runs once it has left (for backpressure), `transfer` moves buffers. */
  send(message: FromCapture, transfer?: ArrayBuffer[], onSent?: () => void): void;
  onMessage(handler: (message: ToCapture) => void): void;
  /** Called once the last message is sent. */
  finish(): void;
}

function snapshot(counters: Counters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters)) {
    if (v !== 0) out[k] = v;
    (counters as Record<string, number>)[k] = 0;
  }
  return out;
}

/** Interfaces that have an address (loopback included): `:PORT` captures on all of them. */
function devicesWithAddresses(): string[] {
  return Object.entries(networkInterfaces())
    .filter(([, addresses]) => (addresses?.length ?? 0) > 0)
    .map(([name]) => name);
}

interface RunningCapture {
  stop(): void;
  /** A helper process doing the capture (tcpdump), if any, and its temporary folder. */
  pid?: number;
  tempDir?: string;
  /** Resolves when the capture has handed over every packet it had. */
  done: Promise<void>;
}

async function openLibpcap(
  config: LiveCaptureConfig,
  device: string,
  filter: string,
  onPacket: (linkType: number, frame: Uint8Array, seconds: number, nanoseconds: number) => void,
): Promise<RunningCapture> {
  // Imported here so that the tcpdump engine never loads the native module.
  const { LiveCapture } = await import('./live-capture.js');
  const origin = performance.timeOrigin;
  const capture = new LiveCapture({
    device,
    filter,
    snaplenBytes: config.snaplenBytes,
    bufferSizeBytes: config.bufferSizeBytes,
    onPacket: (linkType, frame) => {
      // cap gives no packet timestamp: the time it reaches JavaScript is the best there is.
      const ms = origin + performance.now();
      const seconds = Math.floor(ms / 1000);
      onPacket(linkType, frame, seconds, Math.floor((ms - seconds * 1000) * 1e6));
    },
  });
  return { stop: () => capture.close(), done: Promise.resolve() };
}

async function openTcpdump(
  config: LiveCaptureConfig,
  device: string,
  filter: string,
  onPacket: (p: PcapPacket) => void,
  onKernelDropped: (n: number) => void,
): Promise<RunningCapture> {
  const { TcpdumpCapture } = await import('./tcpdump-capture.js');
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const capture = new TcpdumpCapture({
    device,
    filter,
    snaplenBytes: config.snaplenBytes,
    bufferSizeBytes: config.bufferSizeBytes,
    promisc: config.promisc,
    immediateMode: config.immediateMode,
    timestampType: config.timestampType,
    monitor: config.monitor,
    onPacket,
    onKernelDropped,
    onExit: () => finished(),
  });
  await capture.ready;
  return { stop: () => capture.stop(), done, pid: capture.pid, tempDir: capture.tempDir };
}

/** Which devices to open, each with its filter. */
export function planDevices(config: LiveCaptureConfig): Array<{ name: string; filter: string }> {
  const filterFor = (hosts: string[]) => config.bpfFilter || defaultBpfFilter(config.port, hosts, config.trackResponse);
  if (config.device) return [{ name: config.device, filter: filterFor([]) }];
  const filter = filterFor(config.host ? [config.host] : []);
  // tcpdump can open Linux's "any" device: one ring and one process for every interface.
  if (config.engine === 'tcpdump' && process.platform === 'linux') return [{ name: 'any', filter }];
  return devicesWithAddresses().map((name) => ({ name, filter }));
}

export async function runCapture(config: LiveCaptureConfig, transport: CaptureTransport): Promise<void> {
  const processor = new PacketProcessor({
    ports: new Set(config.port > 0 ? [config.port] : []),
    trackResponse: config.trackResponse,
    realipHeader: config.realipHeader,
    expireMs: config.expireMs,
    protocol: config.protocol,
    allowIncomplete: config.allowIncomplete,
    // cap writes every packet into one buffer; tcpdump's pipe gives fresh chunks.
    isBufferReused: config.engine === 'libpcap',
  });
  const counters = processor.counters;
  let inFlight = 0;
  const sent = () => inFlight--;

  const flush = () => {
    if (processor.pendingCount === 0 && counters.packets === 0 && counters['kernel-dropped'] === 0) return;
    const messages = processor.take();
    if (messages.length > 0 && inFlight >= MAX_IN_FLIGHT_BATCHES) {
      // The main thread is not keeping up: drop rather than grow without bound, and say so.
      counters['queue-dropped'] += messages.length;
      messages.length = 0;
    }
    const bytes = encodeBatch(messages);
    inFlight++;
    transport.send({ type: 'batch', bytes, counters: snapshot(counters) }, [bytes.buffer as ArrayBuffer], sent);
  };
  // Not a timer every 10 ms: an idle capture would wake 100 times a second for nothing.
  let flushTimer: NodeJS.Timeout | undefined;
  const flushSoon = () => {
    flushTimer ??= setTimeout(() => {
      flushTimer = undefined;
      flush();
    }, FLUSH_INTERVAL_MS);
  };
  // tcpdump hands packets over up to a block timeout late: expire against the time packets could
  // have been captured by, not the wall clock, or a message whose next packet is in flight would expire.
  const deliveryDelayMs = config.engine === 'tcpdump' && !config.immediateMode ? TCPDUMP_BLOCK_TIMEOUT_MS : 0;
  // Only while connections or fragments are held: an idle capture is not woken four times a second for nothing.
  let sweepTimer: NodeJS.Timeout | undefined;
  const sweep = () => {
    sweepTimer = undefined;
    processor.sweep(Date.now() - deliveryDelayMs);
    // What the sweep completed or expired goes out with the next flush.
    if (processor.pendingCount > 0) flushSoon();
    if (processor.holdsState) sweepSoon();
  };
  const sweepSoon = () => {
    sweepTimer ??= setTimeout(sweep, SWEEP_INTERVAL_MS);
  };
  const afterPacket = () => {
    if (processor.pendingCount >= BATCH_MESSAGES) flush();
    else flushSoon();
    sweepSoon();
  };

  const devices = planDevices(config);
  const captures: RunningCapture[] = [];
  try {
    for (const d of devices) {
      if (config.engine === 'tcpdump') {
        captures.push(
          await openTcpdump(
            config,
            d.name,
            d.filter,
            (p) => {
              processor.packet(p.linkType, p.data, p.originalLength, p.seconds, p.nanoseconds);
              afterPacket();
            },
            (n) => {
              counters['kernel-dropped'] += n;
              flushSoon();
            },
          ),
        );
      } else {
        captures.push(
          await openLibpcap(config, d.name, d.filter, (linkType, frame, seconds, nanoseconds) => {
            processor.packet(linkType, frame, frame.length, seconds, nanoseconds);
            afterPacket();
          }),
        );
      }
    }
  } catch (error) {
    clearTimeout(sweepTimer);
    for (const c of captures) c.stop();
    await Promise.all(captures.map((c) => c.done));
    const e = error instanceof CaptureOpenError ? error : new CaptureOpenError(String((error as Error)?.message ?? error), 'other');
    transport.send({ type: 'error', kind: e.kind, message: e.message });
    transport.finish();
    return;
  }
  const pids = captures.map((c) => c.pid).filter((pid): pid is number => pid !== undefined);
  const tempDirs = captures.map((c) => c.tempDir).filter((dir): dir is string => dir !== undefined);
  transport.send({ type: 'ready', devices, pids, tempDirs });

  let isStopped = false;
  transport.onMessage(async (m) => {
    if (m.type !== 'stop' || isStopped) return;
    isStopped = true;
    for (const c of captures) c.stop();
    await Promise.all(captures.map((c) => c.done));
    clearTimeout(flushTimer);
    clearTimeout(sweepTimer);
    processor.finish();
    const bytes = encodeBatch(processor.take());
    transport.send({ type: 'batch', bytes, counters: snapshot(counters) }, [bytes.buffer as ArrayBuffer]);
    transport.send({ type: 'end', counters: {} });
    transport.finish();
  });
}
