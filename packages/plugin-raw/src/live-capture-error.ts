/** Why a live capture could not start, classified so the component can give the right advice. */
/** `monitor` and `timestamp`: the device does not support --input-raw-monitor / --input-raw-timestamp-type. */
export type CaptureErrorKind = 'permission' | 'device' | 'filter' | 'tool' | 'monitor' | 'timestamp' | 'other';

export class CaptureOpenError extends Error {
  constructor(
    message: string,
    readonly kind: CaptureErrorKind,
  ) {
    super(message);
  }
}
