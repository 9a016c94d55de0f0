/**
 * The one file that touches `cap` (libpcap). It opens devices and calls `onPacket` for each frame.
 * cap writes every packet into the Buffer given to open() and keeps only a raw pointer to it: the
 * Buffer is held on the Capture for its whole life (or the GC frees it and the heap is corrupted),
 * and since cap reuses it for the next packet, whatever is kept must be copied before returning.
 * cap polls on libuv's default loop, so it only works on a process's main thread (a packet in a
 * worker_thread aborts the process): it runs in the capture child process.
 */
import { createRequire } from 'node:module';
import { CaptureOpenError, type CaptureErrorKind } from './live-capture-error.js';
import { linkTypeOfCapName } from './link-types.js';

interface CapHandle {
  open(device: string, filter: string, bufferSizeBytes: number, buffer: Buffer): string;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  close(): boolean;
}
interface CapModule {
  Cap: { new (): CapHandle };
}

let capModule: CapModule | undefined;
function loadCap(): CapModule {
  capModule ??= createRequire(import.meta.url)('cap') as CapModule;
  return capModule;
}

export interface OpenOptions {
  device: string;
  filter: string;
  snaplenBytes: number;
  bufferSizeBytes: number;
  onPacket(linkType: number, frame: Uint8Array, isTruncated: boolean): void;
}

export class LiveCapture {
  private readonly cap: CapHandle;
  /** Referenced for the capture's lifetime: cap only keeps a raw pointer to it. */
  private readonly buffer: Buffer;
  readonly linkType: number;
  private isClosed = false;

  constructor(options: OpenOptions) {
    const { Cap } = loadCap();
    this.cap = new Cap();
    this.buffer = Buffer.alloc(options.snaplenBytes);
    let name: string;
    try {
      name = this.cap.open(options.device, options.filter, options.bufferSizeBytes, this.buffer);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const kind: CaptureErrorKind = /permi|not permitted|EPERM|EACCES/i.test(text)
        ? 'permission'
        : /no such device|doesn't exist|not found|No such/i.test(text)
          ? 'device'
          : /syntax|filter|parse|illegal|unknown host/i.test(text)
            ? 'filter'
            : 'other';
      throw new CaptureOpenError(`${options.device}: ${text}`, kind);
    }
    const linkType = linkTypeOfCapName(name);
    if (linkType === undefined) {
      this.cap.close();
      throw new CaptureOpenError(`${options.device}: unsupported link type ${name}`, 'device');
    }
    this.linkType = linkType;
    // A plain Uint8Array view of the same memory, so that nothing downstream gets Buffer semantics.
    const bytes = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
    const onPacket = options.onPacket;
    this.cap.on('packet', (nbytes, truncated) => onPacket(linkType, bytes.subarray(0, nbytes), truncated));
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.cap.close();
  }
}
