/** Messages between the input-raw component (main thread) and its capture process. */
import type { CaptureErrorKind } from './live-capture-error.js';

export type LiveEngine = 'libpcap' | 'tcpdump';

export interface LiveCaptureConfig {
  engine: LiveEngine;
  promisc: boolean;
  host?: string;
  device?: string;
  port: number;
  bpfFilter: string;
  snaplenBytes: number;
  bufferSizeBytes: number;
  trackResponse: boolean;
  realipHeader: string;
  expireMs: number;
  protocol: 'http' | 'binary';
  allowIncomplete: boolean;
  /** libpcap hands each packet over at once (tcpdump --immediate-mode) instead of in blocks. */
  immediateMode: boolean;
  /** tcpdump -j; '' for the device's default. */
  timestampType: string;
  /** tcpdump -I. */
  monitor: boolean;
}

export type ToCapture = { type: 'start'; config: LiveCaptureConfig } | { type: 'stop' };

export type FromCapture =
  | { type: 'ready'; devices: Array<{ name: string; filter: string }>; pids: number[]; tempDirs: string[] }
  | { type: 'batch'; bytes: Uint8Array; counters: Record<string, number> }
  | { type: 'error'; kind: CaptureErrorKind; message: string }
  | { type: 'end'; counters: Record<string, number> };
