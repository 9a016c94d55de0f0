/**
 * The tshark engine's view of a packet: one line of `tshark -T fields` output with the fields below,
 * tab-separated, repeated values joined by commas. With the http and http2 dissectors disabled,
 * the bytes TLS decrypted (or a cleartext TCP payload) reach tshark's `data` dissector, so
 * `data.data` holds them as hex. Records tshark could not decrypt (no key for that session): in TLS
 * 1.3 a record without a `tls.record.content_type` (only its outer opaque type is known); in TLS 1.2
 * content type 23 (application data) with no `data.data`.
 */
export const TSHARK_FIELDS = [
  'frame.time_epoch',
  'tcp.stream',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tls.record.length',
  'tls.record.content_type',
  'data.data',
] as const;

export interface TsharkPacket {
  seconds: number;
  nanoseconds: number;
  /** tshark's connection number (tcp.stream). */
  stream: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  flags: number;
  /** The raw (not relative) TCP sequence and acknowledgement numbers. */
  seq: number;
  ack: number;
  /** The packet holds TLS records. */
  isTls: boolean;
  /** It holds TLS application data that was not decrypted. */
  isUndecrypted: boolean;
  /** Decrypted (or cleartext) payload bytes, in order; empty when none. */
  data: Uint8Array;
}

const APPLICATION_DATA = '23';
const EMPTY = new Uint8Array(0);

/** One output line; undefined when it is not a TCP packet line (tshark's notes, a blank line). */
export function parseTsharkLine(line: string): TsharkPacket | undefined {
  const f = line.split('\t');
  if (f.length < TSHARK_FIELDS.length || f[1] === '' || f[6] === '') return undefined;
  const [time, stream, ip4src, ip6src, ip4dst, ip6dst, srcPort, dstPort, flags, seq, ack, recordLengths, contentTypes, data] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const dot = time.indexOf('.');
  const seconds = Number(dot < 0 ? time : time.slice(0, dot));
  const nanoseconds = dot < 0 ? 0 : Number(time.slice(dot + 1, dot + 10).padEnd(9, '0'));
  if (!Number.isFinite(seconds) || !Number.isFinite(nanoseconds)) return undefined;
  const payload = data === '' ? EMPTY : Buffer.from(data.replaceAll(',', ''), 'hex');
  const records = recordLengths === '' ? 0 : recordLengths.split(',').length;
  const types = contentTypes === '' ? [] : contentTypes.split(',');
  return {
    seconds,
    nanoseconds,
    stream: Number(stream),
    src: ip4src || ip6src,
    dst: ip4dst || ip6dst,
    srcPort: Number(srcPort),
    dstPort: Number(dstPort),
    flags: Number(flags),
    seq: Number(seq) >>> 0,
    ack: Number(ack) >>> 0,
    isTls: records > 0,
    isUndecrypted: types.length < records || (payload.length === 0 && types.includes(APPLICATION_DATA)),
    data: payload,
  };
}
