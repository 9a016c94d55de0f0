/**
 * One HTTP/2 connection seen from the outside: both directions' frames, an HPACK decoder each, and
 * the streams in flight, paired by stream id. Emits each stream's request and response as HTTP/1.1-
 * shaped bytes (h1-shape.ts) when they end. Pure logic: bytes and capture times in, events out.
 */
import { FLAG, FRAME, FrameReader, CLIENT_PREFACE, unpadded, type Frame } from './h2-frames.js';
import { requestBytes, responseBytes, type H2Head } from './h1-shape.js';
import { HpackDecoder } from './hpack-decoder.js';

export interface H2Time {
  seconds: number;
  nanoseconds: number;
}

export interface H2Events {
  /** A stream's request, complete (END_STREAM) or cut by RST_STREAM; `end` is when its last frame was seen. */
  request(streamId: number, payload: Uint8Array, start: H2Time, end: H2Time): void;
  /** Its final response (1xx skipped), complete; `start` is when its HEADERS were seen. */
  response(streamId: number, payload: Uint8Array, start: H2Time, end: H2Time): void;
  /** RST_STREAM ended the stream before its response was complete. */
  aborted(streamId: number): void;
  /** Something made the rest of the connection unreadable (corrupt HPACK, a frame out of order). */
  undecodable(reason: 'hpack' | 'protocol'): void;
}

type Side = 'client' | 'server';

interface Part extends H2Head {
  start?: H2Time;
  isDone: boolean;
}

interface Stream {
  request: Part;
  response: Part;
  isRequestEmitted: boolean;
}

interface PendingBlock {
  streamId: number;
  fragments: Uint8Array[];
  isEndStream: boolean;
  isPushPromise: boolean;
}

export interface H2SessionOptions {
  /**
   * An h2c upgrade: stream 1's request was the HTTP/1.1 request that asked for the upgrade (already
   * recorded), and its response comes as HTTP/2 on stream 1.
   */
  isUpgrade?: boolean;
  /** Only the client's bytes are fed (responses not tracked): a stream is done once its request is. */
  isRequestOnly?: boolean;
}

export class H2Session {
  private readonly streams = new Map<number, Stream>();
  private readonly readers: Record<Side, FrameReader>;
  private readonly hpack: Record<Side, HpackDecoder> = { client: new HpackDecoder(), server: new HpackDecoder() };
  private readonly pending: Record<Side, PendingBlock | undefined> = { client: undefined, server: undefined };
  private prefaceLeft = CLIENT_PREFACE.length;
  private now: H2Time = { seconds: 0, nanoseconds: 0 };
  private isBroken = false;

  private readonly isRequestOnly: boolean;

  constructor(
    private readonly events: H2Events,
    options: H2SessionOptions = {},
  ) {
    this.isRequestOnly = options.isRequestOnly ?? false;
    this.readers = {
      client: new FrameReader((frame) => this.frame('client', frame)),
      server: new FrameReader((frame) => this.frame('server', frame)),
    };
    if (options.isUpgrade) {
      this.streams.set(1, { request: { headers: [], body: [], isDone: true }, response: newPart(), isRequestEmitted: true });
    }
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Bytes from the client, starting with the connection preface. */
  client(bytes: Uint8Array, time: H2Time): void {
    if (this.isBroken) return;
    this.now = time;
    if (this.prefaceLeft > 0) {
      const skip = Math.min(this.prefaceLeft, bytes.length);
      const offset = CLIENT_PREFACE.length - this.prefaceLeft;
      for (let i = 0; i < skip; i++) {
        if (bytes[i] !== CLIENT_PREFACE[offset + i]) return this.fail('protocol');
      }
      this.prefaceLeft -= skip;
      bytes = bytes.subarray(skip);
    }
    this.readers.client.push(bytes);
  }

  server(bytes: Uint8Array, time: H2Time): void {
    if (this.isBroken) return;
    this.now = time;
    this.readers.server.push(bytes);
  }

  private frame(side: Side, frame: Frame): void {
    if (this.isBroken) return;
    const pending = this.pending[side];
    // A header block is contiguous: only its CONTINUATIONs may follow it on this side.
    if (pending && (frame.type !== FRAME.continuation || frame.streamId !== pending.streamId)) return this.fail('protocol');
    switch (frame.type) {
      case FRAME.headers:
        return this.headers(side, frame);
      case FRAME.pushPromise:
        return this.pushPromise(side, frame);
      case FRAME.continuation:
        if (!pending) return this.fail('protocol');
        pending.fragments.push(frame.payload);
        if (frame.flags & FLAG.endHeaders) this.blockDone(side, pending);
        return;
      case FRAME.data:
        return this.data(side, frame);
      case FRAME.rstStream:
        return this.reset(frame.streamId);
      default:
        // SETTINGS, PING, WINDOW_UPDATE, PRIORITY, GOAWAY carry nothing to record.
        return;
    }
  }

  private headers(side: Side, frame: Frame): void {
    let fragment = unpadded(frame);
    if (!fragment) return this.fail('protocol');
    if (frame.flags & FLAG.priority) fragment = fragment.subarray(5);
    const block: PendingBlock = {
      streamId: frame.streamId,
      fragments: [fragment],
      isEndStream: (frame.flags & FLAG.endStream) !== 0,
      isPushPromise: false,
    };
    if (frame.flags & FLAG.endHeaders) this.blockDone(side, block);
    else this.pending[side] = block;
  }

  /** Pushed responses are not replayable requests, but their headers still change the HPACK table. */
  private pushPromise(side: Side, frame: Frame): void {
    const payload = unpadded(frame);
    if (!payload || payload.length < 4) return this.fail('protocol');
    const block: PendingBlock = { streamId: frame.streamId, fragments: [payload.subarray(4)], isEndStream: false, isPushPromise: true };
    if (frame.flags & FLAG.endHeaders) this.blockDone(side, block);
    else this.pending[side] = block;
  }

  private blockDone(side: Side, block: PendingBlock): void {
    this.pending[side] = undefined;
    let headers: Array<[string, string]>;
    try {
      headers = this.hpack[side].decode(block.fragments.length === 1 ? block.fragments[0]! : Buffer.concat(block.fragments));
    } catch {
      return this.fail('hpack');
    }
    if (block.isPushPromise) return;
    const stream = this.streamFor(side, block.streamId);
    if (!stream) return;
    const part = side === 'client' ? stream.request : stream.response;
    if (!part.headers.length) {
      const status = headers.find(([name]) => name === ':status')?.[1];
      // 1xx (100-continue, 103 early hints) precede the final response: nothing to keep.
      if (side === 'server' && status && status.startsWith('1')) return;
      part.headers = headers;
      part.start = this.now;
    } else {
      part.trailers = headers;
    }
    if (block.isEndStream) this.partDone(side, block.streamId, stream);
  }

  private data(side: Side, frame: Frame): void {
    const stream = this.streams.get(frame.streamId);
    const part = stream && (side === 'client' ? stream.request : stream.response);
    if (!stream || !part?.headers.length) return; // a stream we never saw open: nothing to attach it to
    const body = unpadded(frame);
    if (!body) return this.fail('protocol');
    if (body.length) part.body.push(body);
    if (frame.flags & FLAG.endStream) this.partDone(side, frame.streamId, stream);
  }

  private streamFor(side: Side, streamId: number): Stream | undefined {
    let stream = this.streams.get(streamId);
    if (!stream && side === 'client') {
      stream = { request: newPart(), response: newPart(), isRequestEmitted: false };
      this.streams.set(streamId, stream);
    }
    return stream; // a server HEADERS on a stream the client never opened is ignored
  }

  private partDone(side: Side, streamId: number, stream: Stream): void {
    const part = side === 'client' ? stream.request : stream.response;
    part.isDone = true;
    if (side === 'client') {
      this.emitRequest(streamId, stream);
      if (this.isRequestOnly) this.streams.delete(streamId);
      return;
    }
    this.emitRequest(streamId, stream); // a server may answer before the request's END_STREAM
    const payload = responseBytes(stream.response);
    if (payload) this.events.response(streamId, payload, stream.response.start ?? this.now, this.now);
    this.streams.delete(streamId);
  }

  private emitRequest(streamId: number, stream: Stream): void {
    if (stream.isRequestEmitted) return;
    stream.isRequestEmitted = true;
    const payload = requestBytes(stream.request);
    if (payload) this.events.request(streamId, payload, stream.request.start ?? this.now, this.now);
  }

  private reset(streamId: number): void {
    const stream = this.streams.get(streamId);
    if (!stream) return;
    // The request was sent, so it is recorded; the exchange has no response.
    if (stream.request.headers.length) this.emitRequest(streamId, stream);
    this.streams.delete(streamId);
    this.events.aborted(streamId);
  }

  private fail(reason: 'hpack' | 'protocol'): void {
    if (this.isBroken) return;
    this.isBroken = true;
    this.streams.clear();
    this.events.undecodable(reason);
  }
}

function newPart(): Part {
  return { headers: [], body: [], isDone: false };
}
