// Run by input-raw.live.test.ts as an unprivileged user: tries to capture with each live engine
// and prints the errors as one JSON line.
import { validateOptions } from '@reprise/core';
import { inputRaw } from '../src/input-raw.js';
import { makeContext } from './helpers.js';

const results: Record<string, { code?: string; message?: string }> = {};
for (const engine of ['tcpdump', 'libpcap'] as const) {
  try {
    const instance = await inputRaw.create(
      'lo:8080',
      validateOptions(inputRaw, { snaplen: '256kb', bufferSize: '1mb', promisc: false, trackResponse: false, expire: '2s', engine }),
      makeContext(),
    );
    await instance.close?.();
    results[engine] = { code: 'none' };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    results[engine] = { code: e.code, message: e.message };
  }
}
console.log(JSON.stringify(results));
