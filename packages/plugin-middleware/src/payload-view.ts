/**
 * A Buffer over part of an ArrayBuffer, made cheaply: the sandbox makes one per changed message.
 * `buffer.subarray` goes through Node's argument checks and the species constructor (about 40 ns a view,
 * measured); constructing a subclass of Uint8Array whose prototype chain holds Buffer.prototype, as
 * Node's own Buffer class does, takes about 16. The result is a Buffer in every way that shows:
 * `Buffer.isBuffer`, its methods, `constructor`, `subarray` and `slice` (which return Node's Buffers).
 */
class PayloadView extends Uint8Array {}
Object.setPrototypeOf(PayloadView.prototype, Buffer.prototype);
Object.defineProperty(PayloadView.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });

/** The caller checks the range: out of bounds throws a RangeError, as the Uint8Array constructor does. */
export function payloadView(buffer: ArrayBuffer, byteOffset: number, length: number): Buffer {
  return new PayloadView(buffer, byteOffset, length) as unknown as Buffer;
}
