/**
 * GoReplay 1.3 flags (and flag values) reprise refuses, each with the reason and what to use instead,
 * so a GoReplay command line never meets a bare "unknown flag". Every other `gor -h` flag is a
 * component option or a setting (docs/GOREPLAY.md has one row per flag).
 */
export interface RefusedFlag {
  reason: string;
  instead: string;
  /** Values that ask for what reprise does anyway: taken and ignored, so those command lines run unchanged. */
  harmlessValues?: readonly string[];
}

export const REFUSED_GOREPLAY_FLAGS: Readonly<Record<string, RefusedFlag>> = {
  'http-pprof': {
    reason: "it serves Go's pprof profiler, which a Node program does not have",
    instead: 'use --cpuprofile FILE, or run with NODE_OPTIONS=--inspect and attach Chrome DevTools',
  },
  'copy-buffer-size': {
    reason:
      'GoReplay cuts every message at this size (5mb by default); reprise never cuts one: capture reassembles whole messages and file records are read whole',
    instead: 'nothing to set; --output-http-response-buffer limits what is kept of replayed responses',
  },
  'output-http-workers-min': {
    reason: "reprise's connection pool opens connections on demand up to --output-http-workers, so there is no minimum to keep",
    instead: 'use --output-http-workers for the maximum and --output-http-worker-timeout for how long idle connections stay',
  },
  'output-file-buffer': {
    reason:
      'GoReplay keeps S3 chunks in a local folder before uploading them; reprise streams an s3:// --output-file to S3 as a multipart upload, so nothing waits on disk',
    instead: 'nothing to set: --output-file s3://bucket/key uploads as it writes',
  },
  'output-file-queue-limit': {
    reason: 'GoReplay starts a new numbered file (requests_0.gor, requests_1.gor…) every N records; reprise writes exactly the path given',
    instead:
      'rotate by size with --output-file-size-limit, or by time with a pattern like requests-%Y-%m-%d-%H.gor ' +
      "(0, GoReplay's no rotation by count, is taken: it is what reprise does)",
    harmlessValues: ['0'],
  },
};

/** Values of supported flags that reprise refuses (GoReplay's capture engines it has no use for). */
export const REFUSED_GOREPLAY_VALUES: Readonly<Record<string, Readonly<Record<string, RefusedFlag>>>> = {
  'input-raw-engine': {
    raw_socket: {
      reason:
        "GoReplay's own raw-socket capture exists to avoid libpcap; reprise captures through libpcap (tcpdump) without GoReplay's drops",
      instead: 'use the default engine (tcpdump), or --input-raw-engine libpcap',
    },
    af_packet: {
      reason: 'an AF_PACKET ring buffer is what libpcap already uses on Linux, under the default engine',
      instead: 'use the default engine (tcpdump); raise --input-raw-buffer-size if the kernel drops packets',
    },
  },
};

export function refusalMessage(flag: string, refusal: RefusedFlag, value?: string): string {
  const what = value === undefined ? `--${flag} is a GoReplay flag` : `--${flag} ${value} is a GoReplay setting`;
  return `${what} reprise does not take: ${refusal.reason}. Instead: ${refusal.instead}`;
}
