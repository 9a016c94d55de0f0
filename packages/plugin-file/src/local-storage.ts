/** The local file system as a FileStorage. */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirectoriesSync } from '@reprise/core';
import { expandGlob } from './glob-expand.js';
import type { FileStorage, WritableFile } from './storage.js';

const READ_CHUNK_BYTES = 256 * 1024;

export const localStorage: FileStorage = {
  expand: expandGlob,
  openRead: (path) => createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }),
  async openWrite(path, isAppend) {
    makeDirectoriesSync(dirname(path));
    const handle = await open(path, isAppend ? 'a' : 'w');
    const initialSizeBytes = isAppend ? (await handle.stat()).size : 0;
    return new LocalFile(handle, initialSizeBytes);
  },
};

class LocalFile implements WritableFile {
  constructor(
    private readonly handle: FileHandle,
    readonly initialSizeBytes: number,
  ) {}

  write(buffers: Buffer[]): Promise<void> {
    return writeAll(this.handle, buffers);
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.datasync();
    await this.handle.close();
  }
}

/** One writev, repeated for what a short write left over. */
async function writeAll(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  for (;;) {
    const { bytesWritten } = await handle.writev(rest);
    let skip = bytesWritten;
    let i = 0;
    while (i < rest.length && skip >= rest[i]!.length) skip -= rest[i++]!.length;
    if (i === rest.length) return;
    rest = [rest[i]!.subarray(skip), ...rest.slice(i + 1)];
  }
}
