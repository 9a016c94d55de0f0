/** Why a live capture could not start, classified so the component can give the right advice. */
export type CaptureErrorKind = 'permission' | 'device' | 'filter' | 'tool' | 'other';

export class CaptureOpenError extends Error {
  constructor(
    message: string,
    readonly kind: CaptureErrorKind,
  ) {
    super(message);
  }
}
