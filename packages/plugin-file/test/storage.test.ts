import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SRC = join(import.meta.dirname, '../src');

test('only s3-storage.ts imports the AWS SDK, and it is itself imported lazily: local files never load the SDK', { timeout: 5000 }, () => {
  for (const file of readdirSync(SRC)) {
    const text = readFileSync(join(SRC, file), 'utf8');
    const importsSdk = /from '@aws-sdk\//.test(text);
    assert.equal(importsSdk, file === 's3-storage.ts', file);
    if (file !== 'storage.ts') assert.doesNotMatch(text, /from '\.\/s3-storage\.js'/, `${file} imports s3-storage statically`);
  }
  assert.match(readFileSync(join(SRC, 'storage.ts'), 'utf8'), /await import\('\.\/s3-storage\.js'\)/);
});
