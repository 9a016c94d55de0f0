import { defineOutput, parseDurationMs, parseSizeBytes, RepriseError, type Message, type OutputInstance } from '@reprise/core';
import { GorFileWriter } from './gor-file-writer.js';
import { storageFor } from './storage.js';
import { TotalSizeLimit } from './total-size-limit.js';

export const outputFile = defineOutput({
  kind: 'output',
  name: 'output-file',
  summary: 'Record messages to a .gor file (GoReplay format; .gz names are gzip-compressed)',
  value: {
    placeholder: 'path',
    description:
      'The file to write, exactly as named, or s3://bucket/key (uploaded as it is written). %Y %m %d %H %M %S in the name ' +
      'are replaced by the local date and time, and a new file starts whenever the name changes',
    example: 'requests-%Y-%m-%d-%H.gor',
  },
  rate: 'core',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      append: {
        type: 'boolean',
        default: false,
        description: 'Add to an existing file instead of truncating it when recording starts',
        examples: [true],
      },
      sizeLimit: {
        type: 'string',
        format: 'size',
        description:
          'Start a new file when the current one would grow past this many bytes of records (before compression): ' +
          'requests.gor, then requests.1.gor, requests.2.gor… (x.gor.gz → x.1.gor.gz). A record is never split',
        examples: ['32mb', '1gb'],
      },
      maxSizeLimit: {
        type: 'string',
        format: 'size',
        description:
          'Stop recording once the records written (all files together, before compression) would pass this many bytes; ' +
          'what comes after is counted as skipped-size-limit. Default: no limit (GoReplay: 1tb)',
        examples: ['10gb'],
      },
      flushInterval: {
        type: 'string',
        format: 'duration',
        default: '1s',
        description: 'Write buffered records to disk at least this often (they are also written whenever 4 MiB are buffered)',
        examples: ['1s', '100ms'],
      },
    },
  },
  async create(value, options, ctx) {
    if (!value) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'needs a file path, e.g. --output-file requests.gor', {
        plugin: 'output-file',
        phase: 'create',
      });
    }
    const sizeLimitBytes = options.sizeLimit === undefined ? 0 : parseSizeBytes(options.sizeLimit, 'output-file-size-limit');
    const flushIntervalMs = parseDurationMs(options.flushInterval, 'output-file-flush-interval');
    if (!(flushIntervalMs > 0)) {
      throw new RepriseError('RPR_PLUGIN_OPTIONS', 'must be a positive duration (examples: 1s, 100ms)', {
        plugin: 'output-file',
        option: 'flushInterval',
        phase: 'create',
      });
    }
    let isOpen = false;
    const writer = new GorFileWriter({
      path: value,
      storage: await storageFor(value, 'output-file'),
      isAppend: options.append,
      sizeLimitBytes: sizeLimitBytes > 0 ? sizeLimitBytes : Infinity,
      flushIntervalMs,
      // A background write failure is logged at once; a failure to open is thrown from create instead.
      onError: (error) => {
        if (isOpen) ctx.logger.error(`output-file ${value}: ${(error as Error)?.message ?? error}`);
      },
    });
    try {
      await writer.open();
      isOpen = true;
    } catch (error) {
      if (error instanceof RepriseError) throw error; // from the storage, already saying what and where
      throw new RepriseError('RPR_PLUGIN_FAILED', `cannot open ${value}: ${(error as Error)?.message ?? error}`, {
        plugin: 'output-file',
        phase: 'create',
        file: value,
        cause: error,
      });
    }
    const total =
      options.maxSizeLimit === undefined
        ? undefined
        : new TotalSizeLimit(parseSizeBytes(options.maxSizeLimit, 'output-file-max-size-limit'));
    let isWarned = false;
    const writeWithin = (batch: readonly Message[]) => {
      const taken = total!.take(batch);
      if (taken.length < batch.length) {
        ctx.stats.add('skipped-size-limit', batch.length - taken.length);
        if (!isWarned) ctx.logger.warn(`${value}: --output-file-max-size-limit ${options.maxSizeLimit} reached; nothing more is recorded`);
        isWarned = true;
      }
      return taken.length > 0 ? writer.write(taken) : undefined;
    };
    const instance: OutputInstance & { readonly writer: GorFileWriter } = {
      writer,
      write: total ? writeWithin : (batch) => writer.write(batch),
      flush: () => writer.flush(),
      close: () => writer.close(),
    };
    return instance;
  },
});
