import { hostname } from 'node:os';

/** A name for this process, usable as a KV key part and a consumer-visible label: `<host>-<pid>`. */
export function defaultAgentName(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '_');
}
