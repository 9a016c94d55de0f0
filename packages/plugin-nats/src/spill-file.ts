/** Messages NATS could not take, appended to a local .gor file (publish them later with --input-file … --output-nats). */
import { createWriteStream, type WriteStream } from 'node:fs';
import { encodeRecords, type Message } from '@reprise/core';

export class SpillFile {
  private stream: WriteStream | undefined;
  private failure: Error | undefined;

  constructor(
    readonly path: string,
    private readonly onError: (error: Error) => void,
  ) {}

  write(message: Message): void {
    if (this.failure) return;
    this.stream ??= createWriteStream(this.path, { flags: 'a' }).on('error', (error) => {
      this.failure = error;
      this.onError(error);
    });
    this.stream.write(encodeRecords([message]));
  }

  close(): Promise<void> {
    const stream = this.stream;
    if (!stream || this.failure) return Promise.resolve();
    return new Promise((resolve) => stream.end(resolve));
  }
}
