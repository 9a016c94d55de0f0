import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isImmediateMode, snaplenOf, timestampTypeOf } from '../src/capture-settings.js';
import { tcpdumpArguments } from '../src/tcpdump-capture.js';

const base = { device: 'lo', filter: 'tcp port 80', snaplenBytes: 262144, bufferSizeBytes: 16 << 20, promisc: false };

test('--input-raw-override-snaplen raises a smaller snaplen to 64 KiB + 200 and never lowers one', () => {
  assert.equal(snaplenOf(1024, true), 65736);
  assert.equal(snaplenOf(1024, false), 1024);
  assert.equal(snaplenOf(262144, true), 262144);
});

test("--input-raw-buffer-timeout under tcpdump's 1 s block timeout means immediate mode", () => {
  assert.equal(isImmediateMode(undefined), false);
  assert.equal(isImmediateMode(0), true);
  assert.equal(isImmediateMode(999), true);
  assert.equal(isImmediateMode(1000), false);
  assert.equal(isImmediateMode(2000), false);
  assert.ok(tcpdumpArguments({ ...base, immediateMode: true }).includes('--immediate-mode'));
  assert.ok(!tcpdumpArguments(base).includes('--immediate-mode'));
});

test("--input-raw-timestamp-type takes tcpdump's names and GoReplay's PCAP_TSTAMP_* names", () => {
  assert.equal(timestampTypeOf('host_hiprec'), 'host_hiprec');
  assert.equal(timestampTypeOf('PCAP_TSTAMP_ADAPTER_UNSYNCED'), 'adapter_unsynced');
  assert.equal(timestampTypeOf('PCAP_TSTAMP_HOST'), 'host');
  assert.equal(timestampTypeOf('go'), undefined);
  assert.equal(timestampTypeOf('sundial'), undefined);
  const args = tcpdumpArguments({ ...base, timestampType: 'adapter' });
  assert.deepEqual(args.slice(args.indexOf('-j'), args.indexOf('-j') + 2), ['-j', 'adapter']);
  assert.ok(!tcpdumpArguments(base).includes('-j'));
});

test('--input-raw-monitor is tcpdump -I; the filter stays last', () => {
  const args = tcpdumpArguments({ ...base, monitor: true, promisc: true });
  assert.ok(args.includes('-I'));
  assert.ok(!args.includes('-p'));
  assert.equal(args.at(-1), 'tcp port 80');
  assert.ok(!tcpdumpArguments(base).includes('-I'));
});
