/**
 * `--input-raw`: HTTP requests (and with --input-raw-track-response their responses) captured live
 * with libpcap, or read from a .pcap/.pcapng file.
 */
import { existsSync, statSync } from 'node:fs';
import { defineInput, parseDurationMs, parseSizeBytes, RepriseError, type InputInstance } from '@reprise/core';
import { parseFileTarget, parseLiveAddress } from './capture-address.js';
import { readPcapFile } from './file-source.js';
import { LiveSource } from './live-source.js';
import { createTsharkInput } from './tshark-input.js';

export interface InputRawOptions {
  bpfFilter?: string;
  snaplen: string;
  bufferSize: string;
  promisc: boolean;
  trackResponse: boolean;
  realipHeader?: string;
  expire: string;
  engine: 'tcpdump' | 'libpcap' | 'pcap_file' | 'tshark';
  tlsKeylog?: string;
}

const COMPONENT = 'input-raw';

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

export const inputRaw = defineInput<InputRawOptions>({
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
        description:
          'Capture in promiscuous mode (also traffic not addressed to this host). The libpcap engine (cap) always enables it.',
        examples: [true],
      },
      trackResponse: {
        type: 'boolean',
        default: false,
        description: 'Also capture responses; each is paired with its request (same id) and carries the latency from request end to response start.',
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
    },
  },
  async create(value, options, ctx): Promise<InputInstance> {
    if (!value) throw new RepriseError('RPR_CONFIG_INVALID', 'an address (:PORT) or a .pcap file is required', { plugin: COMPONENT });
    const expireMs = parseDurationMs(options.expire ?? '2s', 'expire');
    const trackerOptions = (port: number) => ({
      ports: new Set(port > 0 ? [port] : []),
      trackResponse: options.trackResponse ?? false,
      realipHeader: options.realipHeader ?? '',
      expireMs,
    });

    if (options.engine === 'tshark' || options.tlsKeylog !== undefined) {
      return createTsharkInput(value, { ...options, trackerOptions: trackerOptions(0) }, ctx);
    }

    const file = parseFileTarget(value, isFile);
    const looksLikeFile = /\.pcap(ng)?(:\d+)?$/i.test(value);
    if (file || options.engine === 'pcap_file' || looksLikeFile) {
      if (!file) throw new RepriseError('RPR_INPUT_NOT_FOUND', `no such pcap file: ${value}`, { plugin: COMPONENT, option: 'engine' });
      return { read: () => readPcapFile(file.path, trackerOptions(file.port), ctx) };
    }

    let address: ReturnType<typeof parseLiveAddress>;
    try {
      address = parseLiveAddress(value);
    } catch (error) {
      throw new RepriseError('RPR_CONFIG_INVALID', (error as Error).message, { plugin: COMPONENT });
    }
    const source = new LiveSource(
      {
        ...address,
        engine: options.engine === 'libpcap' ? 'libpcap' : 'tcpdump',
        promisc: options.promisc ?? false,
        bpfFilter: options.bpfFilter ?? '',
        snaplenBytes: Math.max(256, parseSizeBytes(options.snaplen ?? '256kb', 'snaplen')),
        bufferSizeBytes: parseSizeBytes(options.bufferSize ?? '16mb', 'bufferSize'),
        trackResponse: options.trackResponse ?? false,
        realipHeader: options.realipHeader ?? '',
        expireMs,
      },
      ctx,
    );
    await source.start();
    ctx.logger.info(`capturing on ${source.devices.map((d) => `${d.name} (${d.filter})`).join(', ')}`);
    ctx.signal.addEventListener('abort', () => source.stop(), { once: true });
    if (ctx.signal.aborted) source.stop();
    return {
      isLive: true,
      read: () => source.read(),
      close: () => source.close(),
    };
  },
});
