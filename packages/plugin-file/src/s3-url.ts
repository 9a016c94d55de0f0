/** `s3://bucket/key` addresses and the listing prefix of a key glob. Pure. */
import { hasGlobMagic } from './glob-pattern.js';

export interface S3Location {
  bucket: string;
  key: string;
}

/** Splits `s3://bucket/key`; undefined when the bucket or the key is missing. */
export function parseS3Url(url: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) return undefined;
  return { bucket: match[1]!, key: match[2]! };
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/**
 * The literal start of a key pattern, to list only the keys that may match: `logs/2024-*.gor` →
 * `logs/2024-`. A pattern without wildcards is its own prefix.
 */
export function listingPrefix(keyPattern: string): string {
  if (!hasGlobMagic(keyPattern)) return keyPattern;
  return keyPattern.slice(0, keyPattern.search(/[*?[\\]/));
}
