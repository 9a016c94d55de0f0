/**
 * HPACK (RFC 7541) header block decoding with its dynamic table, one per direction of a connection,
 * on hpack.js. Names and values come back as latin1 strings: the bytes as sent, one char per byte.
 */
/// <reference path="./hpack.d.ts" />
// (The reference lets files that import this one type-check without hpack.d.ts in their project.)
import hpack from 'hpack.js';

export class HpackDecoder {
  private readonly decompressor = hpack.decompressor.create({ table: { size: 4096 } });
  private failure: unknown;

  constructor() {
    this.decompressor.on('error', (error: unknown) => (this.failure ??= error));
  }

  /**
   * Decodes one complete header block (HEADERS or PUSH_PROMISE plus its CONTINUATIONs). Throws on
   * corrupt input: the dynamic table is then unknown, and so is every later block of this direction.
   */
  decode(block: Uint8Array): Array<[string, string]> {
    if (this.failure) throw this.failure;
    const headers: Array<[string, string]> = [];
    if (block.length === 0) return headers;
    this.decompressor.write(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
    this.decompressor.execute();
    for (let item = this.decompressor.read(); item !== null; item = this.decompressor.read()) headers.push([item.name, item.value]);
    if (this.failure) throw this.failure;
    return headers;
  }
}
