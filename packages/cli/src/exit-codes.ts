/** The one place where error codes become exit codes (documented in the README). */
import type { ErrorCode } from '@reprise/core';

export const EXIT = {
  /** Inputs ended, --exit-after, or a stop by signal, with everything read delivered or counted. */
  ok: 0,
  /** A component failed while running. */
  failed: 1,
  /** Invalid flags or config. */
  usage: 2,
  /** A plugin could not be loaded (manifest, core range, import, conflict). */
  plugin: 3,
  /** The environment: a missing input file or S3 bucket, unreachable Kafka brokers or NATS, no permission to capture, an address in use. */
  environment: 4,
  /** The run completed but its verdict failed: a --fail-on threshold, or reprise compare found a regression. */
  verdictFailed: 5,
} as const;

export function exitCodeFor(code: ErrorCode | undefined): number {
  switch (code) {
    case 'RPR_CONFIG_INVALID':
    case 'RPR_CONFIG_UNKNOWN_FLAG':
    case 'RPR_CONFIG_REFUSED_FLAG':
    case 'RPR_PLUGIN_OPTIONS':
    case 'RPR_PLUGIN_CREATE':
      return EXIT.usage;
    case 'RPR_PLUGIN_MANIFEST':
    case 'RPR_PLUGIN_CORE_RANGE':
    case 'RPR_PLUGIN_LOAD':
    case 'RPR_PLUGIN_CONFLICT':
      return EXIT.plugin;
    case 'RPR_INPUT_NOT_FOUND':
    case 'RPR_CAPTURE_PERMISSION':
    case 'RPR_INPUT_LISTEN':
    case 'RPR_STORAGE_UNAVAILABLE':
      return EXIT.environment;
    default:
      return EXIT.failed;
  }
}
