/**
 * Bytes start..end of any Uint8Array as a latin1 string (one char per byte), by Buffer's own decoder: no Buffer
 * view to make first (`Buffer.from(…).toString('latin1')`), no spread of the bytes (`String.fromCharCode`).
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

export function latin1Text(bytes: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(bytes, start, end);
}
