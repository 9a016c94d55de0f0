// Run by input-raw.live.test.ts: starts a live capture and exits without closing it, as a crash would.
import { validateOptions } from '@reprise/core';
import { inputRaw } from '../src/input-raw.js';
import { makeContext } from './helpers.js';

const port = Number(process.argv[2]);
await inputRaw.create(
  `127.0.0.1:${port}`,
  validateOptions(inputRaw, { snaplen: '256kb', bufferSize: '1mb', promisc: false, trackResponse: false, expire: '2s', engine: 'tcpdump' }),
  makeContext(),
);
console.log('capturing');
process.exit(3);
