// Run by input-raw.live.test.ts as an unprivileged user: tries to capture and prints the error.
import { inputRaw } from '../src/input-raw.js';
import { makeContext } from './helpers.js';

try {
  const instance = await inputRaw.create(
    'lo:8080',
    { snaplen: '256kb', bufferSize: '1mb', promisc: false, trackResponse: false, expire: '2s', engine: 'libpcap' },
    makeContext(),
  );
  await instance.close?.();
  console.log(JSON.stringify({ code: 'none' }));
} catch (error) {
  const e = error as { code?: string; message?: string };
  console.log(JSON.stringify({ code: e.code, message: e.message }));
}
