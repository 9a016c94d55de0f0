/**
 * Streaming reader for capture files: classic pcap (microsecond and nanosecond, either byte order)
 * and pcapng (section, interface and enhanced/simple packet blocks). Fed with chunks of any size,
 * it calls `onPacket` for every packet; the packet view is only valid during the call.
 */

export interface PcapPacket {
  /** LINKTYPE_* of the interface the packet came from. */
  linkType: number;
  /** Capture time: whole seconds since the epoch and the nanoseconds within that second. */
  seconds: number;
  nanoseconds: number;
  data: Uint8Array;
  /** Length on the wire; larger than data.length when the snaplen cut the packet. */
  originalLength: number;
}

export type PcapFormat = 'pcap' | 'pcapng';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;

interface NgInterface {
  linkType: number;
  /** Timestamp units per second (10^6 unless if_tsresol says otherwise). */
  unitsPerSecond: number;
}

export class PcapFormatError extends Error {}

export class PcapReader {
  format: PcapFormat | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private littleEndian = true;
  private isNanosecond = false;
  private linkType = 0;
  private interfaces: NgInterface[] = [];
  /** Byte offset in the file of pending[0], for error messages. */
  private fileOffset = 0;
  private readonly packet: PcapPacket = { linkType: 0, seconds: 0, nanoseconds: 0, data: new Uint8Array(0), originalLength: 0 };

  constructor(private readonly onPacket: (packet: PcapPacket) => void) {}

  /** Feeds the next bytes of the file. Throws PcapFormatError on bytes that are not a capture file. */
  push(input: Uint8Array): void {
    // Packets are handed out as plain Uint8Array views (Buffer#slice would not copy).
    const chunk = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    let buf: Uint8Array;
    if (this.offset < this.pending.length) {
      const rest = this.pending.subarray(this.offset);
      buf = new Uint8Array(rest.length + chunk.length);
      buf.set(rest, 0);
      buf.set(chunk, rest.length);
    } else {
      buf = chunk;
    }
    this.fileOffset += this.offset;
    this.pending = buf;
    this.offset = 0;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (this.format === undefined) {
      if (buf.length < 4) return;
      const magicBE = view.getUint32(0, false);
      if (magicBE === PCAPNG_SHB) this.format = 'pcapng';
      else if (!this.readPcapHeader(view)) return;
    }
    if (this.format === 'pcap') this.readPcapRecords(buf, view);
    else this.readPcapngBlocks(buf, view);
  }

  /** True when the input ended in the middle of a record (a truncated file). */
  get hasTrailingBytes(): boolean {
    return this.offset < this.pending.length;
  }

  /** Byte offset of the first unread byte. */
  get position(): number {
    return this.fileOffset + this.offset;
  }

  private readPcapHeader(view: DataView): boolean {
    if (view.byteLength < 24) return false;
    const le = view.getUint32(0, true);
    const be = view.getUint32(0, false);
    if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) this.littleEndian = true;
    else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) this.littleEndian = false;
    else throw new PcapFormatError('not a pcap or pcapng file (unknown magic number)');
    this.isNanosecond = view.getUint32(0, this.littleEndian) === PCAP_MAGIC_NS;
    this.linkType = view.getUint32(20, this.littleEndian) & 0x0fffffff;
    this.format = 'pcap';
    this.offset = 24;
    return true;
  }

  private readPcapRecords(buf: Uint8Array, view: DataView): void {
    const le = this.littleEndian;
    const p = this.packet;
    p.linkType = this.linkType;
    let at = this.offset;
    while (at + 16 <= buf.length) {
      const capLength = view.getUint32(at + 8, le);
      if (capLength > 0x4000000) throw new PcapFormatError(`corrupt record at byte ${this.fileOffset + at}`);
      if (at + 16 + capLength > buf.length) break;
      p.seconds = view.getUint32(at, le);
      const fraction = view.getUint32(at + 4, le);
      p.nanoseconds = this.isNanosecond ? fraction : fraction * 1000;
      p.originalLength = view.getUint32(at + 12, le);
      p.data = buf.subarray(at + 16, at + 16 + capLength);
      at += 16 + capLength;
      this.offset = at;
      this.onPacket(p);
    }
    this.offset = at;
  }

  private readPcapngBlocks(buf: Uint8Array, view: DataView): void {
    let at = this.offset;
    while (at + 12 <= buf.length) {
      const typeBE = view.getUint32(at, false);
      if (typeBE === PCAPNG_SHB) {
        // The byte-order magic decides the endianness of this section and everything after it.
        const bom = view.getUint32(at + 8, true);
        if (bom === PCAPNG_BYTE_ORDER) this.littleEndian = true;
        else if (view.getUint32(at + 8, false) === PCAPNG_BYTE_ORDER) this.littleEndian = false;
        else throw new PcapFormatError(`corrupt pcapng section header at byte ${this.fileOffset + at}`);
        this.interfaces = [];
      }
      const le = this.littleEndian;
      const type = view.getUint32(at, le);
      const length = view.getUint32(at + 4, le);
      if (length < 12 || length % 4 !== 0 || length > 0x4000000) {
        throw new PcapFormatError(`corrupt pcapng block at byte ${this.fileOffset + at}`);
      }
      if (at + length > buf.length) break;
      if (type === 1) this.readInterface(buf, view, at, length);
      else if (type === 6 || type === 2) this.readEnhancedPacket(buf, view, at, type);
      else if (type === 3) this.readSimplePacket(buf, view, at, length);
      at += length;
      this.offset = at;
    }
    this.offset = at;
  }

  private readInterface(buf: Uint8Array, view: DataView, at: number, length: number): void {
    const le = this.littleEndian;
    const iface: NgInterface = { linkType: view.getUint16(at + 8, le), unitsPerSecond: 1e6 };
    // Options start after linktype(2) reserved(2) snaplen(4).
    let o = at + 16;
    const end = at + length - 4;
    while (o + 4 <= end) {
      const code = view.getUint16(o, le);
      const len = view.getUint16(o + 2, le);
      if (code === 0) break;
      if (code === 9 && len >= 1) {
        // if_tsresol: high bit set means a power of two, otherwise a power of ten.
        const v = buf[o + 4]!;
        iface.unitsPerSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
      }
      o += 4 + ((len + 3) & ~3);
    }
    this.interfaces.push(iface);
  }

  private readEnhancedPacket(buf: Uint8Array, view: DataView, at: number, type: number): void {
    const le = this.littleEndian;
    const p = this.packet;
    // The obsolete packet block (2) has a 16-bit interface id and 16-bit drop count where EPB has 32 bits.
    const ifaceId = type === 2 ? view.getUint16(at + 8, le) : view.getUint32(at + 8, le);
    const iface = this.interfaces[ifaceId];
    if (!iface) throw new PcapFormatError(`pcapng packet refers to unknown interface ${ifaceId}`);
    const high = view.getUint32(at + 12, le);
    const low = view.getUint32(at + 16, le);
    const capLength = view.getUint32(at + 20, le);
    p.originalLength = view.getUint32(at + 24, le);
    setTime(p, high, low, iface.unitsPerSecond);
    p.linkType = iface.linkType;
    p.data = buf.subarray(at + 28, at + 28 + capLength);
    this.onPacket(p);
  }

  private readSimplePacket(buf: Uint8Array, view: DataView, at: number, length: number): void {
    const iface = this.interfaces[0];
    if (!iface) throw new PcapFormatError('pcapng simple packet block before any interface');
    const p = this.packet;
    p.originalLength = view.getUint32(at + 8, this.littleEndian);
    const capLength = Math.min(p.originalLength, length - 16);
    p.linkType = iface.linkType;
    // A simple packet block carries no timestamp.
    p.seconds = 0;
    p.nanoseconds = 0;
    p.data = buf.subarray(at + 12, at + 12 + capLength);
    this.onPacket(p);
  }
}

function setTime(p: PcapPacket, high: number, low: number, unitsPerSecond: number): void {
  // 64-bit timestamp split so that nothing loses precision beyond 2^53.
  const units = BigInt(high) * 4294967296n + BigInt(low);
  const perSecond = BigInt(unitsPerSecond);
  const seconds = units / perSecond;
  const rest = units % perSecond;
  p.seconds = Number(seconds);
  p.nanoseconds = Number((rest * 1_000_000_000n) / perSecond);
}
