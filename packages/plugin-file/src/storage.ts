/**
 * Where .gor files live: the local file system, or S3 for `s3://bucket/key` paths. The S3 module
 * (and with it the AWS SDK) is imported only when an s3:// path is used: local runs never load it.
 */
import type { Readable } from 'node:stream';
import { localStorage } from './local-storage.js';

/** A file being written: whole buffers appended in order. */
export interface WritableFile {
  /** Bytes the file already held when it was opened to append; 0 otherwise. */
  readonly initialSizeBytes: number;
  write(buffers: Buffer[]): Promise<void>;
  /** Resolves when what was written is durable (local: synced to disk; S3: handed to the upload). */
  sync(): Promise<void>;
  /** Ends the file (S3: completes the upload, after which the object exists). */
  close(): Promise<void>;
}

export interface FileStorage {
  /** The files a path or glob names, sorted; none is an empty list. */
  expand(pattern: string): Promise<string[]>;
  /** A stream of a file's bytes; a missing file is an error on the stream. */
  openRead(path: string): Readable;
  /** Creates (or, appending, opens) a file; its folder is created when needed. */
  openWrite(path: string, isAppend: boolean): Promise<WritableFile>;
}

export function isS3Url(path: string): boolean {
  return path.startsWith('s3://');
}

/** The storage for a path; each S3 user gets its own client, configured from the environment. */
export async function storageFor(path: string, plugin: string): Promise<FileStorage> {
  if (!isS3Url(path)) return localStorage;
  const { S3Storage } = await import('./s3-storage.js');
  return new S3Storage(plugin);
}
