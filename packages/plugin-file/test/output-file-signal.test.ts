import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GorDecoder } from '@reprise/core';
import { tempDir } from './context.js';

const CHILD = join(import.meta.dirname, 'write-until-signal.ts');

for (const name of ['signal.gor', 'signal.gor.gz']) {
  test(`SIGTERM while recording to ${name} leaves only whole records`, { timeout: 30_000 }, async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, name);
    const child = fork(CHILD, [path], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    await new Promise((r) => setTimeout(r, 400));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const report = new Promise<{ written: number }>((resolve) => child.once('message', (m) => resolve(m as { written: number })));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const { written } = await report;
    let bytes = await readFile(path);
    if (name.endsWith('.gz')) bytes = gunzipSync(bytes); // throws on a missing trailer
    const decoder = new GorDecoder();
    const decoded = decoder.end(decoder.push(bytes));
    assert.ok(decoded.length > 64, `${decoded.length} records written`);
    assert.deepEqual(
      decoded.filter((d) => d.type === 'corrupt'),
      [],
    );
    const ids = decoded.map((d) => (d.type === 'record' ? Number.parseInt(d.message.id, 16) : -1));
    assert.equal(ids.length, written, 'every record given to write() is in the file');
    assert.deepEqual(
      ids,
      ids.map((_, i) => i),
      'records are in order with none missing',
    );
  });
}
