import { GorDecoder } from '@reprise/core';
import { createReadStream } from 'node:fs';
import { writeGetRecording } from '/work/main/bench/replay-http.js';
import defs from '@reprise/plugin-middleware';
const file = '/tmp/h4/r.gor';
await writeGetRecording(file, 300000);
let got = 0; const counters = {};
const ctx = { component: 'm', instance: 'm', logger: { debug() {}, info: console.error, warn: console.error, error: console.error }, stats: { add(k, n = 1) { counters[k] = (counters[k] ?? 0) + n; } }, signal: new AbortController().signal, emit(b) { got += b.length; } };
const inst = await defs[2].create('node /work/main/packages/plugin-middleware/test/fixtures/echo-middleware.js', { flushTimeout: '5s' }, ctx);
const decoder = new GorDecoder(); let batch = []; let sent = 0; const ids = new Set();
for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
  for (const rec of decoder.push(chunk)) { if (rec.type !== 'record') { console.log(rec.type); continue; } batch.push(rec.message); ids.add(rec.message.id); if (batch.length === 256) { sent += 256; await inst.process(batch); batch = []; } }
}
if (batch.length) { sent += batch.length; await inst.process(batch); }
console.log('sent', sent, 'unique ids', ids.size, 'got before flush', got);
await inst.flush();
console.log('got', got, counters);
await inst.close();
