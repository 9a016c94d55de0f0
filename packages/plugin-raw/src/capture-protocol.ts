/** Messages between the input-raw component (main thread) and its capture process. */

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
}

export type ToCapture = { type: 'start'; config: LiveCaptureConfig } | { type: 'stop' };


export type FromCapture =
  | { type: 'ready'; devices: Array<{ name: string; filter: string }>; pids: number[]; tempDirs: string[] }
  | { type: 'batch'; bytes: Uint8Array; counters: Record<string, number> }
  | { type: 'error'; kind: 'permission' | 'device' | 'filter' | 'tool' | 'other'; message: string }
  | { type: 'end'; counters: Record<string, number> };
