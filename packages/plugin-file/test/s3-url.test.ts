import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listingPrefix, parseS3Url, s3Url } from '../src/s3-url.js';
import { isS3Url } from '../src/storage.js';

test('s3://bucket/key splits into bucket and key; a missing bucket or key is not an S3 address', { timeout: 5000 }, () => {
  assert.deepEqual(parseS3Url('s3://recordings/runs/2026/requests.gor.gz'), { bucket: 'recordings', key: 'runs/2026/requests.gor.gz' });
  assert.deepEqual(parseS3Url('s3://b/*.gor'), { bucket: 'b', key: '*.gor' });
  for (const bad of ['s3://bucket', 's3://bucket/', 's3:///key', 's3:/bucket/key', 'requests.gor'])
    assert.equal(parseS3Url(bad), undefined, bad);
  assert.equal(s3Url('b', 'a/c.gor'), 's3://b/a/c.gor');
  assert.equal(isS3Url('s3://b/k'), true);
  assert.equal(isS3Url('./s3/k'), false);
});

test('the listing prefix of a key glob is its literal start', { timeout: 5000 }, () => {
  assert.equal(listingPrefix('logs/2026-*/requests.gor'), 'logs/2026-');
  assert.equal(listingPrefix('logs/**/x.gor'), 'logs/');
  assert.equal(listingPrefix('day-?.gor'), 'day-');
  assert.equal(listingPrefix('[ab]/x.gor'), '');
  assert.equal(listingPrefix('a\\*b.gor'), 'a');
  assert.equal(listingPrefix('plain/key.gor'), 'plain/key.gor');
});
