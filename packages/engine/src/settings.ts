import { parseDurationMs } from '@reprise/core';

/**
 * The pipeline-wide flags (not owned by any component), GoReplay's where it has them. This list is
 * the one source of their defaults: the help shows `default`, and the pipeline and the reporter
 * take theirs from it (settingDefault).
 */
export interface SettingFlag {
  flag: string;
  /** Key in the config file's "settings" object. */
  key: string;
  type: 'boolean' | 'string' | 'integer';
  description: string;
  example: string;
  enum?: string[];
  format?: 'duration';
  /** The value when the flag is not given, written as a user would write it (`2s`, 16384). */
  default?: string | number;
  /** A boolean that GoReplay gave a level: `--verbose 2` is taken as on, `--verbose 0` as off. */
  takesLevel?: boolean;
  /** Given several times, the values collect into a list. */
  isRepeatable?: boolean;
}

export const SETTINGS_FLAGS: SettingFlag[] = [
  {
    flag: 'split-output',
    key: 'splitOutput',
    type: 'boolean',
    description:
      'Deal requests round-robin across outputs instead of sending every request to every output (whole TCP sessions with --recognize-tcp-sessions).',
    example: '--split-output',
  },
  {
    flag: 'recognize-tcp-sessions',
    key: 'recognizeTcpSessions',
    type: 'boolean',
    description:
      "Keep TCP sessions (ids sharing their first 16 hex digits) together: --split-output deals whole sessions, output-http sends a session's requests in order on one connection, and a session's next request waits before the middleware until the previous one's replayed response has been through it (with --output-http-track-response).",
    example: '--recognize-tcp-sessions',
  },
  {
    flag: 'session-response-timeout',
    key: 'sessionResponseTimeout',
    type: 'string',
    format: 'duration',
    description: "With --recognize-tcp-sessions: how long a session's next request waits for the previous one's replayed response.",
    default: '2s',
    example: '--session-response-timeout 5s',
  },
  {
    flag: 'exit-after',
    key: 'exitAfter',
    type: 'string',
    format: 'duration',
    description: 'Stop after this long, draining what was read.',
    example: '--exit-after 30s',
  },
  {
    flag: 'stats',
    key: 'stats',
    type: 'boolean',
    description: 'Print a line per component (in, out, dropped, failed, rate) periodically, and a detailed summary at exit.',
    example: '--stats',
  },
  {
    flag: 'stats-interval',
    key: 'statsInterval',
    type: 'string',
    format: 'duration',
    description: 'How often --stats prints.',
    default: '5s',
    example: '--stats-interval 1s',
  },
  {
    flag: 'verbose',
    key: 'verbose',
    type: 'boolean',
    takesLevel: true,
    description: "Log debug details (GoReplay's level, --verbose 1, is accepted: any level above 0 turns it on).",
    example: '--verbose',
  },
  { flag: 'quiet', key: 'quiet', type: 'boolean', description: 'No progress line and no summary; errors only.', example: '--quiet' },
  {
    flag: 'output-queue-size',
    key: 'queueSize',
    type: 'integer',
    description: 'Messages each output may hold queued.',
    default: 16_384,
    example: '--output-queue-size 50000',
  },
  {
    flag: 'buffer-policy',
    key: 'bufferPolicy',
    type: 'string',
    enum: ['auto', 'block', 'drop'],
    description:
      'When an output queue is full: drop and count (drop), or pause the inputs (block). auto: drop for live capture, block for recorded files.',
    default: 'auto',
    example: '--buffer-policy drop',
  },
  {
    flag: 'cpuprofile',
    key: 'cpuProfile',
    type: 'string',
    description: "Write a CPU profile of the whole run to this file when it ends (V8's .cpuprofile format: open it in Chrome DevTools).",
    example: '--cpuprofile run.cpuprofile',
  },
  {
    flag: 'memprofile',
    key: 'memProfile',
    type: 'string',
    description: "Write a heap snapshot to this file when the run ends (V8's .heapsnapshot format: open it in Chrome DevTools).",
    example: '--memprofile run.heapsnapshot',
  },
  {
    flag: 'fail-on',
    key: 'failOn',
    type: 'string',
    isRepeatable: true,
    description:
      'Exit with code 5 when the expression holds at the end (repeatable). A replay knows error_rate (failed requests / requests sent); reprise compare knows more (see reprise compare --help).',
    example: '--fail-on "error_rate>1%"',
  },
  {
    flag: 'drain-timeout',
    key: 'drainTimeout',
    type: 'string',
    format: 'duration',
    description: 'After a stop (signal, --exit-after), how long outputs may take to deliver what was read.',
    default: '10s',
    example: '--drain-timeout 30s',
  },
];

/** A setting's default as SETTINGS_FLAGS writes it; a duration in milliseconds. */
export function settingDefault(key: string): string | number {
  const setting = SETTINGS_FLAGS.find((s) => s.key === key);
  if (setting?.default === undefined) throw new Error(`setting ${key} has no default`);
  return setting.format === 'duration' ? parseDurationMs(setting.default, setting.flag) : setting.default;
}
