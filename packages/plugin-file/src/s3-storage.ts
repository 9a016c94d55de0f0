/**
 * S3 as a FileStorage, on the AWS SDK configured the SDK's standard way: credentials and region from
 * the environment or ~/.aws, and `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) for an S3-compatible
 * server such as MinIO, which then gets path-style addressing. Objects are written as multipart
 * upload streams and read as streams. Imported only for s3:// paths (see storage.ts).
 */
import { PassThrough, Readable } from 'node:stream';
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { RepriseError, type ErrorCode } from '@reprise/core';
import { globMatcher, hasGlobMagic } from './glob-pattern.js';
import { listingPrefix, parseS3Url, s3Url, type S3Location } from './s3-url.js';
import type { FileStorage, WritableFile } from './storage.js';

/** Errors S3 gives for a bucket or key that does not exist. */
const NOT_FOUND = new Set(['NoSuchBucket', 'NoSuchKey', 'NotFound']);

export class S3Storage implements FileStorage {
  private readonly client: S3Client;
  private readonly checkedBuckets = new Set<string>();

  constructor(private readonly plugin: string) {
    // reprise runs on Node 20 on purpose; the SDK's notice about future versions is not the user's to act on.
    process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
    const endpoint = process.env['AWS_ENDPOINT_URL_S3'] || process.env['AWS_ENDPOINT_URL'];
    this.client = new S3Client({ forcePathStyle: Boolean(endpoint) });
  }

  /**
   * A glob matches whole keys. A key without wildcards names that object if it exists, else every key
   * starting with it, as GoReplay reads `s3://logs/2016-05` (its input_file.go lists the prefix).
   */
  async expand(pattern: string): Promise<string[]> {
    const { bucket, key } = this.locate(pattern);
    const listed = await this.list(bucket, listingPrefix(key), pattern);
    const matches = globMatcher(key);
    const keys = hasGlobMagic(key) ? listed.filter((k) => matches(k)) : listed.includes(key) ? [key] : listed;
    // Sorted as the local input sorts the files a glob names.
    return keys.sort().map((k) => s3Url(bucket, k));
  }

  /** Every key starting with `prefix`. */
  private async list(bucket: string, prefix: string, pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.failure(error, pattern, 'create', 'RPR_INPUT_NOT_FOUND', 'cannot list the bucket');
    }
    return keys;
  }

  openRead(url: string): Readable {
    const { bucket, key } = this.locate(url);
    const { client } = this;
    const failure = (error: unknown) => this.failure(error, url, 'read', 'RPR_INPUT_NOT_FOUND', 'cannot read the object');
    async function* chunks(): AsyncGenerator<Buffer> {
      let body: Readable;
      try {
        body = (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable;
      } catch (error) {
        throw failure(error);
      }
      try {
        for await (const chunk of body) yield chunk as Buffer;
      } finally {
        body.destroy();
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async openWrite(url: string, isAppend: boolean): Promise<WritableFile> {
    const location = this.locate(url);
    if (isAppend) {
      throw new RepriseError(
        'RPR_CONFIG_INVALID',
        'an S3 object cannot be appended to; rotate with --output-file-size-limit or a time pattern instead',
        {
          plugin: this.plugin,
          option: 'append',
          phase: 'create',
          file: url,
        },
      );
    }
    if (!this.checkedBuckets.has(location.bucket)) {
      // An upload only reaches S3 once a part is full or the file ends: find a missing bucket now.
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: location.bucket }));
      } catch (error) {
        throw this.failure(error, url, 'create', 'RPR_STORAGE_UNAVAILABLE', 'cannot write to the bucket');
      }
      this.checkedBuckets.add(location.bucket);
    }
    return new S3UploadFile(this.client, location, (error) => this.failure(error, url, 'write', 'RPR_PLUGIN_FAILED', 'upload failed'));
  }

  private locate(url: string): S3Location {
    const location = parseS3Url(url);
    if (!location) {
      throw new RepriseError('RPR_CONFIG_INVALID', 'not an S3 address: use s3://bucket/key', {
        plugin: this.plugin,
        phase: 'create',
        file: url,
      });
    }
    return location;
  }

  /** A RepriseError naming the plugin and the URL; a missing bucket or key is `notFoundCode`. */
  private failure(error: unknown, url: string, phase: string, notFoundCode: ErrorCode, verb: string): RepriseError {
    if (error instanceof RepriseError) return error;
    const name = (error as Error)?.name ?? '';
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    const isMissing = NOT_FOUND.has(name) || status === 404;
    const code = isMissing ? notFoundCode : phase === 'create' ? 'RPR_STORAGE_UNAVAILABLE' : 'RPR_PLUGIN_FAILED';
    return new RepriseError(code, `${verb}: ${isMissing ? (name === 'NoSuchKey' ? 'no such key' : 'no such bucket') : describe(error)}`, {
      plugin: this.plugin,
      phase,
      file: url,
      cause: error,
    });
  }
}

/** The SDK's error in a line, with the setting to look at when it is one users meet first. */
function describe(error: unknown): string {
  const name = (error as Error)?.name;
  const message = (error as Error)?.message ?? String(error);
  const text = name && name !== 'Error' ? `${name}: ${message}` : message;
  if (/region is missing/i.test(message)) return `${text} (set AWS_REGION)`;
  if (/could not load credentials/i.test(message)) return `${text} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)`;
  return text;
}

/** One object written as a multipart upload fed by a stream; the object exists once close() resolves. */
class S3UploadFile implements WritableFile {
  readonly initialSizeBytes = 0;
  private readonly body = new PassThrough();
  private readonly done: Promise<unknown>;
  private error: RepriseError | undefined;

  constructor(client: S3Client, location: S3Location, wrap: (error: unknown) => RepriseError) {
    const upload = new Upload({ client, params: { Bucket: location.bucket, Key: location.key, Body: this.body } });
    this.done = upload.done().catch((error: unknown) => {
      this.error = wrap(error);
      this.body.destroy();
    });
  }

  async write(buffers: Buffer[]): Promise<void> {
    this.throwIfFailed();
    // The upload holds what it is given until a part is full, and the writer reuses its chunks: copy.
    const isBelowHighWater = this.body.write(Buffer.concat(buffers));
    if (!isBelowHighWater) {
      await new Promise<void>((resolve) => {
        const settle = () => {
          this.body.off('drain', settle);
          this.body.off('close', settle);
          resolve();
        };
        this.body.on('drain', settle).on('close', settle);
      });
    }
    this.throwIfFailed();
  }

  async sync(): Promise<void> {
    this.throwIfFailed();
  }

  async close(): Promise<void> {
    this.body.end();
    await this.done;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }
}
