/**
 * A real S3-compatible server (s3rver) on 127.0.0.1, port 0, with its data in a temporary folder.
 * The CLI reaches it as `localhost`, as a MinIO user would: for an IP address the SDK picks path-style
 * addressing by itself, for a host name it would ask for `bucket.localhost` unless reprise forces path
 * style. s3rver is told not to serve such virtual-hosted requests either, so they fail even where
 * `*.localhost` resolves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';

export interface TestS3 {
  /** What the CLI needs to reach it the SDK's standard way (endpoint, region, s3rver's fixed keys). */
  env: Record<string, string>;
  client: S3Client;
  /** Every request the server received, as `METHOD /path?query`, in order. */
  requests: string[];
  put(bucket: string, key: string, body: Uint8Array): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer>;
  keys(bucket: string): Promise<string[]>;
}

export async function startS3(t: { after(fn: () => Promise<void> | void): void }, buckets: string[]): Promise<TestS3> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'; // the test's own client runs on Node 20 too
  const directory = mkdtempSync(join(tmpdir(), 'reprise-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    vhostBuckets: false,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = (await server.run()) as { port: number };
  const requests: string[] = [];
  (server.httpServer as Server).on('request', (request: IncomingMessage) => requests.push(`${request.method} ${request.url}`));
  const env = {
    AWS_ENDPOINT_URL_S3: `http://localhost:${port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  t.after(async () => {
    client.destroy();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return {
    env,
    client,
    requests,
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async get(bucket, key) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await response.Body!.transformToByteArray());
    },
    async keys(bucket) {
      const response = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (response.Contents ?? []).map((o) => o.Key!).sort();
    },
  };
}
