/** The pipeline-wide flags (not owned by any component), GoReplay's where it has them. */
export interface SettingFlag {
  flag: string;
  /** Key in the config file's "settings" object. */
  key: string;
  type: 'boolean' | 'string' | 'integer';
  description: string;
  example: string;
  enum?: string[];
  format?: 'duration';
  /** Given several times, the values collect into a list. */
  isRepeatable?: boolean;
}

export const SETTINGS_FLAGS: SettingFlag[] = [
  { flag: 'split-output', key: 'splitOutput', type: 'boolean', description: 'Deal requests round-robin across outputs instead of sending every request to every output.', example: '--split-output' },
  { flag: 'exit-after', key: 'exitAfter', type: 'string', format: 'duration', description: 'Stop after this long, draining what was read.', example: '--exit-after 30s' },
  { flag: 'stats', key: 'stats', type: 'boolean', description: 'Print a line per component (in, out, dropped, failed, rate) periodically, and a detailed summary at exit.', example: '--stats' },
  { flag: 'stats-interval', key: 'statsInterval', type: 'string', format: 'duration', description: 'How often --stats prints (default 5s).', example: '--stats-interval 1s' },
  { flag: 'verbose', key: 'verbose', type: 'boolean', description: 'Log debug details.', example: '--verbose' },
  { flag: 'quiet', key: 'quiet', type: 'boolean', description: 'No progress line and no summary; errors only.', example: '--quiet' },
  { flag: 'output-queue-size', key: 'queueSize', type: 'integer', description: 'Messages each output may hold queued (default 16384).', example: '--output-queue-size 50000' },
  { flag: 'buffer-policy', key: 'bufferPolicy', type: 'string', enum: ['auto', 'block', 'drop'], description: 'When an output queue is full: drop and count (drop), or pause the inputs (block). auto: drop for live capture, block for recorded files.', example: '--buffer-policy drop' },
  { flag: 'fail-on', key: 'failOn', type: 'string', isRepeatable: true, description: 'Exit with code 5 when the expression holds at the end (repeatable). A replay knows error_rate (failed requests / requests sent); reprise compare knows more (see reprise compare --help).', example: '--fail-on "error_rate>1%"' },
  { flag: 'drain-timeout', key: 'drainTimeout', type: 'string', format: 'duration', description: 'After a stop (signal, --exit-after), how long outputs may take to deliver what was read (default 10s).', example: '--drain-timeout 30s' },
];

/** GoReplay flags that reprise deliberately does not have, with what to use instead. */
export const UNSUPPORTED_GOREPLAY_FLAGS: Record<string, string> = {
  cpuprofile: 'use node --cpu-prof',
  memprofile: 'use node --heap-prof',
  'http-pprof': 'not needed: use --stats',
  'copy-buffer-size': 'messages have no size limit in reprise',
  'recognize-tcp-sessions': 'a GoReplay Pro feature',
  'prettify-http': 'not supported yet',
  'output-file-queue-limit': 'reprise writes exactly the path given; rotate with --output-file-size-limit',
};
