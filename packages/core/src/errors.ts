/**
 * One error class, one table of codes. The CLI maps codes to exit codes in one place
 * (packages/cli/src/exit-codes.ts).
 */
export const ERROR_CODES = {
  RPR_CONFIG_INVALID: 'the pipeline configuration or a flag is invalid',
  RPR_CONFIG_UNKNOWN_FLAG: 'a flag that no component provides',
  RPR_CONFIG_REFUSED_FLAG: 'a GoReplay flag reprise refuses (the message says why and what to use instead)',
  RPR_PLUGIN_MANIFEST: 'a plugin manifest is invalid',
  RPR_PLUGIN_CORE_RANGE: 'a plugin does not support this core version',
  RPR_PLUGIN_LOAD: 'a plugin could not be imported',
  RPR_PLUGIN_CONFLICT: 'two plugins provide the same component',
  RPR_PLUGIN_OPTIONS: 'a component was given invalid options',
  RPR_PLUGIN_CREATE: 'a component refused its value or options when it was created',
  RPR_PLUGIN_FAILED: 'a plugin failed while running',
  RPR_GOR_CORRUPT: 'a .gor record is corrupt or truncated',
  RPR_INPUT_NOT_FOUND: 'an input file or device does not exist',
  RPR_CAPTURE_PERMISSION: 'packet capture needs root or CAP_NET_RAW',
  RPR_INPUT_LISTEN: 'an input cannot listen on its address (in use, not local, no permission)',
  RPR_STORAGE_UNAVAILABLE: 'a storage or broker (an S3 bucket, Kafka brokers) is missing, unreachable or refuses access',
  RPR_SCRIPT_FAILED: 'a middleware script failed',
  RPR_GRPC_FRAMING: 'a gRPC body is not whole length-prefixed messages (truncated, oversized, an unknown grpc-encoding)',
  RPR_INTERNAL: 'a bug in reprise',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface RepriseErrorDetails {
  /** The component that raised it, e.g. `output-http`. */
  plugin?: string;
  /** The option or flag concerned, e.g. `workers`. */
  option?: string;
  /** create | start | read | transform | write | flush | close */
  phase?: string;
  messageId?: string;
  /** File path and byte offset, for codecs. */
  file?: string;
  offset?: number;
  cause?: unknown;
}

export class RepriseError extends Error {
  readonly code: ErrorCode;
  readonly plugin?: string;
  readonly option?: string;
  readonly phase?: string;
  readonly messageId?: string;
  readonly file?: string;
  readonly offset?: number;
  /** The message without the "where" prefix. */
  readonly detail: string;

  constructor(code: ErrorCode, message: string, details: RepriseErrorDetails = {}) {
    super(formatMessage(message, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RepriseError';
    this.code = code;
    this.detail = message;
    this.plugin = details.plugin;
    this.option = details.option;
    this.phase = details.phase;
    this.messageId = details.messageId;
    this.file = details.file;
    this.offset = details.offset;
  }
}

function formatMessage(message: string, d: RepriseErrorDetails): string {
  const where: string[] = [];
  if (d.plugin) where.push(d.option ? `${d.plugin} (option ${d.option})` : d.plugin);
  else if (d.option) where.push(`option ${d.option}`);
  if (d.phase) where.push(`during ${d.phase}`);
  if (d.file) where.push(d.offset === undefined ? d.file : `${d.file} at byte ${d.offset}`);
  if (d.messageId) where.push(`message ${d.messageId}`);
  return where.length ? `${where.join(', ')}: ${message}` : message;
}

/**
 * Wraps anything a plugin threw with the plugin's name and the phase, keeping RepriseErrors as they are.
 * A plain error thrown by `create` is the component refusing its value or options (a usage error);
 * anywhere else it is a failure while running.
 */
export function wrapPluginError(error: unknown, plugin: string, phase: string): RepriseError {
  if (error instanceof RepriseError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new RepriseError(phase === 'create' ? 'RPR_PLUGIN_CREATE' : 'RPR_PLUGIN_FAILED', text, { plugin, phase, cause: error });
}
