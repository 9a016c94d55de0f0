// A hand-built h2c upgrade exchange (no local server speaks it), as recorded chunks per side.
import type { RecordedChunk } from './h2-traffic.js';

/** One HTTP/2 frame: 9-byte header and payload. */
function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** An HPACK literal header field without indexing, new name (RFC 7541 §6.2.2), for short strings. */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const [DATA, HEADERS, SETTINGS] = [0x0, 0x1, 0x4];
const [END_STREAM, END_HEADERS] = [0x1, 0x4];
/** HPACK static table: :status 200 (8), :method GET (2), :path / (4), :scheme http (6). */
const STATUS_200 = Buffer.from([0x88]);

/**
 * An h2c upgrade, as RFC 9113 §3.2 (RFC 7540) describes it: no local server speaks it, so the bytes
 * are written by hand. The 101 and the server's first frames share one segment when `isOneSegment`.
 */
export function upgradeChunks(isOneSegment: boolean): RecordedChunk[] {
  const upgradeRequest =
    'POST /upload HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
    'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello';
  const switching = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n', 'latin1');
  const serverFrames = Buffer.concat([
    frame(SETTINGS, 0, 0),
    frame(HEADERS, END_HEADERS, 1, Buffer.concat([STATUS_200, literal('content-type', 'text/plain')])),
    frame(DATA, END_STREAM, 1, Buffer.from('upgraded:hello')),
  ]);
  const second = frame(
    HEADERS,
    END_HEADERS | END_STREAM,
    3,
    Buffer.concat([Buffer.from([0x82, 0x86]), literal(':path', '/next'), literal(':authority', '127.0.0.1:8080')]),
  );
  return [
    { side: 'client', bytes: Buffer.from(upgradeRequest, 'latin1') },
    ...(isOneSegment
      ? [{ side: 'server' as const, bytes: Buffer.concat([switching, serverFrames]) }]
      : [
          { side: 'server' as const, bytes: switching },
          { side: 'server' as const, bytes: serverFrames },
        ]),
    { side: 'client', bytes: Buffer.concat([PREFACE, frame(SETTINGS, 0, 0), second]) },
    { side: 'server', bytes: Buffer.concat([frame(HEADERS, END_HEADERS, 3, STATUS_200), frame(DATA, END_STREAM, 3, Buffer.from('next'))]) },
  ];
}
