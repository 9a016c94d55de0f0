/** Number formats shared by every renderer, so the terminal, Markdown, JUnit and HTML agree. */
import type { EndpointReport } from '../report.js';

/** 0.1234 → `12.3%`; small non-zero rates keep two significant digits (`0.031%`). */
export function percent(rate: number): string {
  if (rate === 0) return '0%';
  const value = rate * 100;
  if (Math.abs(value) >= 10) return `${value.toFixed(1)}%`;
  return `${Number(value.toPrecision(2))}%`;
}

/** A relative delta with its sign: `+12.0%`, `-3.1%`. */
export function signedPercent(delta: number): string {
  return `${delta > 0 ? '+' : ''}${percent(delta)}`;
}

/** Milliseconds with a precision that suits the size: `0.42 ms`, `12.3 ms`, `1,204 ms`. */
export function ms(value: number): string {
  if (value >= 100) return `${Math.round(value).toLocaleString('en-US')} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

/** gRPC status codes by number (gRPC's status codes table). */
const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** `grpc-status: baseline 0 OK ×40 · candidate 0 OK ×36, 14 UNAVAILABLE ×4`; '' for an endpoint without gRPC. */
export function grpcStatusLine(endpoint: EndpointReport): string {
  if (!endpoint.grpcStatus) return '';
  const counts = (side: Record<string, number>) =>
    Object.entries(side)
      .map(([code, n]) => `${code}${GRPC_STATUS_NAMES[Number(code)] ? ` ${GRPC_STATUS_NAMES[Number(code)]}` : ''} ×${n}`)
      .join(', ') || 'none';
  return `grpc-status: baseline ${counts(endpoint.grpcStatus.baseline)} · candidate ${counts(endpoint.grpcStatus.candidate)}`;
}
