/**
 * Copies bytes out of a view. `Buffer#slice` returns a view, not a copy, so `view.slice()` on a
 * Buffer would keep pointing into the capture buffer that libpcap overwrites: always copy with this.
 */
export function copyBytes(view: Uint8Array, from = 0): Uint8Array {
  return Uint8Array.prototype.slice.call(view, from);
}
