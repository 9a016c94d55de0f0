/**
 * `--input-raw`: HTTP requests (and with --input-raw-track-response their responses) captured live
 * with libpcap, or read from a .pcap/.pcapng file.
 */
import { existsSync, statSync } from 'node:fs';
import {
  defineInput,
  parseDurationMs,
  parseSizeBytes,
  RepriseError,
  type InputInstance,
  type Message,
  type PluginContext,
} from '@reprise/core';
import { parseFileTarget, parseLiveAddress } from './capture-address.js';
import { isImmediateMode, snaplenOf, TIMESTAMP_TYPES, timestampTypeOf } from './capture-settings.js';
import { CaptureStats } from './capture-stats.js';
import { readPcapFile } from './file-source.js';
import { LiveSource } from './live-source.js';
import { createTsharkInput } from './tshark-input.js';

const COMPONENT = 'input-raw';

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

export const inputRaw = defineInput({
  kind: 'input',
  name: COMPONENT,
  summary: 'Capture HTTP traffic from a network interface (libpcap) or read it from a .pcap/.pcapng file',
  value: {
    description:
      'What to capture: ":PORT" on every interface (loopback included), "HOST:PORT" for one address, ' +
      '"DEVICE:PORT" for one interface, or the path of a .pcap/.pcapng file (optionally "FILE:PORT"). Repeat the flag to capture several.',
    example: ':8080',
  },
  rate: 'core',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bpfFilter: {
        type: 'string',
        description: 'A BPF filter (pcap-filter syntax) used instead of the one built from the address.',
        examples: ['tcp dst port 8080 and host 10.0.0.5'],
      },
      snaplen: {
        type: 'string',
        format: 'size',
        default: '256kb',
        description: 'Largest frame kept from the capture; longer frames are cut and their messages counted as gaps.',
        examples: ['256kb', '64kb'],
      },
      bufferSize: {
        type: 'string',
        format: 'size',
        default: '16mb',
        description:
          'Kernel buffer holding packets until they are read (per device); larger absorbs longer bursts without drops, ' +
          'and costs that much memory. Drops are shown as kernel-dropped (tcpdump engine) and gaps.',
        examples: ['16mb', '128mb'],
      },
      promisc: {
        type: 'boolean',
        default: false,
        description: 'Capture in promiscuous mode (also traffic not addressed to this host). The libpcap engine (cap) always enables it.',
        examples: [true],
      },
      trackResponse: {
        type: 'boolean',
        default: false,
        description:
          'Also capture responses; each is paired with its request (same id) and carries the latency from request end to response start.',
        examples: [true],
      },
      realipHeader: {
        type: 'string',
        description: "Add this header with the client's IP address to every captured request.",
        examples: ['X-Real-IP'],
      },
      expire: {
        type: 'string',
        format: 'duration',
        default: '2s',
        description: 'How long an unfinished message waits for its next packet before it is counted as incomplete and dropped.',
        examples: ['2s', '500ms'],
      },
      engine: {
        type: 'string',
        enum: ['tcpdump', 'libpcap', 'pcap_file', 'tshark'],
        default: 'tcpdump',
        description:
          'tcpdump: libpcap run by a tcpdump process, packets read from its output in blocks (kernel timestamps, ' +
          'kernel drop counts, any snaplen; needs the tcpdump binary). libpcap: libpcap through the cap binding, one ' +
          'JavaScript call per packet (frames over 65535 bytes are cut, kernel drops are not visible). pcap_file: read ' +
          'the value as a .pcap/.pcapng file (an existing file is read that way anyway). tshark: tcpdump piped into ' +
          'tshark, which decrypts TLS with --input-raw-tls-keylog (HTTPS, HTTP/1.1 and HTTP/2); needs tcpdump and tshark.',
        examples: ['libpcap', 'pcap_file', 'tshark'],
      },
      tlsKeylog: {
        type: 'string',
        description:
          'An NSS key log file (SSLKEYLOGFILE, node --tls-keylog) holding the TLS session keys of the captured server: ' +
          'with --input-raw-engine tshark, HTTPS is decrypted and recorded. Keys appended while capturing are used. ' +
          'The file is a secret: anyone holding it can read the traffic.',
        examples: ['/run/reprise/keys.log'],
      },
      protocol: {
        type: 'string',
        enum: ['http', 'binary'],
        default: 'http',
        description:
          'http: HTTP/1.x messages. binary: TCP payloads of any protocol, no framing: what the client sends before the ' +
          'server answers is a request, what the server sends back a response (type 2) with the same id; a burst left ' +
          'quiet for --input-raw-expire ends with its connection.',
        examples: ['binary'],
      },
      allowIncomplete: {
        type: 'boolean',
        default: false,
        description:
          'Also hand over messages still unfinished when their connection ends or goes quiet for --input-raw-expire ' +
          '(a body cut short), as they are; they are still counted as incomplete.',
        examples: [true],
      },
      bufferTimeout: {
        type: 'string',
        format: 'duration',
        description:
          'The longest libpcap may hold captured packets before handing them over (pcap_set_timeout). tcpdump engine: ' +
          "under 1s switches to immediate mode (each packet at once, at some CPU cost); otherwise tcpdump's fixed 1s " +
          'block timeout applies. The libpcap engine always runs in immediate mode.',
        examples: ['0', '10ms'],
      },
      overrideSnaplen: {
        type: 'boolean',
        default: false,
        description:
          "GoReplay's switch from an MTU-sized snaplen to 64 KiB: raises --input-raw-snaplen to at least 64 KiB + 200 bytes " +
          '(the default, 256kb, is already larger).',
        examples: [true],
      },
      timestampType: {
        type: 'string',
        description:
          'Where packet timestamps come from (tcpdump -j): host, host_lowprec, host_hiprec, host_hiprec_unsynced, adapter, ' +
          "adapter_unsynced, or GoReplay's PCAP_TSTAMP_* names. Refused, with the types the device has, when the device " +
          'does not support it. tcpdump engine only.',
        examples: ['host_hiprec', 'PCAP_TSTAMP_ADAPTER'],
      },
      monitor: {
        type: 'boolean',
        default: false,
        description:
          'Capture in 802.11 monitor mode (tcpdump -I), on wireless devices that support it; refused on others. tcpdump engine only.',
        examples: [true],
      },
      stats: {
        type: 'boolean',
        default: false,
        description:
          'Log a capture stats line every --input-raw-stats-interval: packets, bytes, messages and their sizes and response ' +
          'latencies, losses, each with its rate over the interval.',
        examples: [true],
      },
      statsInterval: {
        type: 'string',
        format: 'duration',
        default: '5s',
        description: 'How often --input-raw-stats logs.',
        examples: ['1s'],
      },
    },
  },
  async create(value, options, ctx): Promise<InputInstance> {
    if (!value) throw new RepriseError('RPR_CONFIG_INVALID', 'an address (:PORT) or a .pcap file is required', { plugin: COMPONENT });
    const expireMs = parseDurationMs(options.expire, 'expire');
    const stats = options.stats ? new CaptureStats(ctx.stats) : undefined;
    const statsCtx = stats ? { ...ctx, stats } : ctx;
    const tracking = {
      trackResponse: options.trackResponse,
      realipHeader: options.realipHeader ?? '',
      expireMs,
      protocol: options.protocol,
      allowIncomplete: options.allowIncomplete,
    };
    const trackerOptions = (port: number) => ({ ports: new Set(port > 0 ? [port] : []), ...tracking });
    const observed = (read: () => AsyncIterable<Message[]>) => (stats ? () => observe(read(), stats, options.statsInterval, ctx) : read);

    if (options.engine === 'tshark' || options.tlsKeylog !== undefined) {
      const input = await createTsharkInput(value, { ...options, trackerOptions: trackerOptions(0) }, statsCtx);
      return { ...input, read: observed(() => input.read()) };
    }

    const file = parseFileTarget(value, isFile);
    const looksLikeFile = /\.pcap(ng)?(:\d+)?$/i.test(value);
    if (file || options.engine === 'pcap_file' || looksLikeFile) {
      if (!file) throw new RepriseError('RPR_INPUT_NOT_FOUND', `no such pcap file: ${value}`, { plugin: COMPONENT, option: 'engine' });
      return { read: observed(() => readPcapFile(file.path, trackerOptions(file.port), statsCtx)) };
    }

    let address: ReturnType<typeof parseLiveAddress>;
    try {
      address = parseLiveAddress(value);
    } catch (error) {
      throw new RepriseError('RPR_CONFIG_INVALID', (error as Error).message, { plugin: COMPONENT });
    }
    const engine = options.engine === 'libpcap' ? 'libpcap' : 'tcpdump';
    const timestampType = options.timestampType ? timestampTypeOf(options.timestampType) : '';
    if (timestampType === undefined) {
      throw new RepriseError(
        'RPR_CONFIG_INVALID',
        `unknown timestamp type "${options.timestampType}": use one of ${TIMESTAMP_TYPES.join(', ')}`,
        {
          plugin: COMPONENT,
          option: 'timestampType',
        },
      );
    }
    if (engine === 'libpcap') {
      // cap opens devices with fixed settings: what it cannot do is refused, not ignored.
      for (const [option, isSet] of [
        ['timestampType', timestampType !== ''],
        ['monitor', options.monitor],
      ] as const) {
        if (isSet)
          throw new RepriseError('RPR_CONFIG_INVALID', 'the libpcap engine (cap) cannot set this: use --input-raw-engine tcpdump', {
            plugin: COMPONENT,
            option,
          });
      }
    }
    const source = new LiveSource(
      {
        ...address,
        engine,
        promisc: options.promisc,
        bpfFilter: options.bpfFilter ?? '',
        snaplenBytes: snaplenOf(Math.max(256, parseSizeBytes(options.snaplen, 'snaplen')), options.overrideSnaplen),
        bufferSizeBytes: parseSizeBytes(options.bufferSize, 'bufferSize'),
        ...tracking,
        immediateMode: isImmediateMode(
          options.bufferTimeout === undefined ? undefined : parseDurationMs(options.bufferTimeout, 'bufferTimeout'),
        ),
        timestampType,
        monitor: options.monitor,
      },
      statsCtx,
    );
    await source.start();
    ctx.logger.info(`capturing on ${source.devices.map((d) => `${d.name} (${d.filter})`).join(', ')}`);
    ctx.signal.addEventListener('abort', () => source.stop(), { once: true });
    if (ctx.signal.aborted) source.stop();
    return {
      isLive: true,
      read: observed(() => source.read()),
      close: () => source.close(),
    };
  },
});

/** The options `create` receives, derived from the schema above. */
export type InputRawOptions = Parameters<typeof inputRaw.create>[1];

/** Passes the batches through while --input-raw-stats logs its line every interval. */
async function* observe(
  batches: AsyncIterable<Message[]>,
  stats: CaptureStats,
  interval: string,
  ctx: PluginContext,
): AsyncIterable<Message[]> {
  const stop = stats.start(parseDurationMs(interval, 'statsInterval'), (line) => ctx.logger.info(line));
  try {
    for await (const batch of batches) {
      stats.observe(batch);
      yield batch;
    }
  } finally {
    stop();
  }
}
