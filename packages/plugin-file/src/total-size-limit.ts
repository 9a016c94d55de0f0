/**
 * GoReplay's --output-file-max-size-limit: an output stops recording once its records (all files
 * together, before compression) would pass this many bytes. Pure: told batches, says what still fits.
 */
import { recordByteLength, type Message } from '@reprise/core';

export class TotalSizeLimit {
  private usedBytes = 0;
  isReached = false;

  constructor(private readonly limitBytes: number) {}

  /** The leading messages of the batch that fit; from the first that does not, nothing more is taken. */
  take(batch: readonly Message[]): readonly Message[] {
    if (this.isReached) return [];
    for (let i = 0; i < batch.length; i++) {
      const length = recordByteLength(batch[i]!);
      if (this.usedBytes + length > this.limitBytes) {
        this.isReached = true;
        return batch.slice(0, i);
      }
      this.usedBytes += length;
    }
    return batch;
  }
}
