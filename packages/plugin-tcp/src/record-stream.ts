import { GorDecoder, type GorCorruption, type GorDecoded, type Message } from '@reprise/core';

/**
 * The records arriving on one relay connection: GoReplay frames each message as its .gor header
 * line, payload and separator, so core's .gor decoder splits the byte stream. A corrupt record is
 * handed back with its offset in the connection and skipped; the records around it are kept.
 * The bytes of an unfinished record are bounded: a peer that sends more than `maxRecordBytes`
 * without a separator is not speaking GoReplay's framing.
 */
export class RecordStream {
  private readonly decoder = new GorDecoder();
  private received = 0;
  private readonly decoded: GorDecoded[] = [];

  constructor(private readonly maxRecordBytes: number) {}

  /** Bytes of the record not yet complete. */
  get pendingBytes(): number {
    return this.received - this.decoder.position;
  }

  /** Offset in the connection where the unfinished record starts. */
  get position(): number {
    return this.decoder.position;
  }

  /**
   * Decodes `chunk`: complete messages go to `messages`, corrupt records to `corrupt`. Returns false
   * when the unfinished record has grown past the limit (the connection should be dropped).
   */
  push(chunk: Uint8Array, messages: Message[], corrupt: GorCorruption[]): boolean {
    this.received += chunk.length;
    this.collect(this.decoder.push(chunk, this.decoded), messages, corrupt);
    return this.pendingBytes <= this.maxRecordBytes;
  }

  /** The connection ended: a record without its separator is reported as truncated. */
  end(messages: Message[], corrupt: GorCorruption[]): void {
    this.collect(this.decoder.end(this.decoded), messages, corrupt);
  }

  private collect(decoded: GorDecoded[], messages: Message[], corrupt: GorCorruption[]): void {
    for (const item of decoded) {
      if (item.type === 'record') messages.push(item.message);
      else corrupt.push(item);
    }
    decoded.length = 0;
  }
}
