import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { connectionIdOf, messageIdOf, sessionKeyOf } from '../src/index.js';

const goreplayFile = new URL('../../../test/fixtures/goreplay/goreplay-with-responses.gor', import.meta.url);

test('connection ids follow the layout of the ids GoReplay wrote', () => {
  // GoReplay captured 127.0.0.1:59408 → :8081; its ids start with that connection.
  const ids = [...readFileSync(goreplayFile, 'latin1').matchAll(/^[12] ([0-9a-f]{24}) /gm)].map((m) => m[1]!);
  assert.ok(ids.includes('e8101f917f0000010af2ec4a'));
  assert.equal(connectionIdOf(59408, 8081, '127.0.0.1'), 'e8101f917f000001');
  assert.equal(connectionIdOf(59408, 8081, 0x7f000001), 'e8101f917f000001');
  assert.equal(messageIdOf('e8101f917f000001', 0x0af2ec4a), 'e8101f917f0000010af2ec4a');
  // Two exchanges on one keep-alive connection share the session key.
  assert.equal(sessionKeyOf('e8101f917f0000010af2ec4a'), sessionKeyOf('e8101f917f0000010af2ecfd'));
  assert.equal(sessionKeyOf('e8101f917f0000010af2ec4a'), 'e8101f917f000001');
});

test('ids are 24 hex digits at the edges of each field', () => {
  assert.equal(messageIdOf(connectionIdOf(65535, 1, 0xffffffff), 0xffffffff), 'ffff0001ffffffffffffffff');
  assert.equal(messageIdOf(connectionIdOf(0, 0, 0), -1), '0000000000000000ffffffff');
  assert.equal(messageIdOf(connectionIdOf(1, 2, '10.0.0.255'), 0), '000100020a0000ff00000000');
});

test('an IPv6 client address is hashed the same from text and from its 32 hex digits', () => {
  const loopback = '00000000000000000000000000000001';
  const fromText = connectionIdOf(40000, 8080, '::1');
  assert.equal(fromText, connectionIdOf(40000, 8080, loopback));
  assert.equal(fromText, connectionIdOf(40000, 8080, '0:0:0:0:0:0:0:1'));
  assert.match(fromText, /^9c401f90[0-9a-f]{8}$/);
  assert.notEqual(fromText, connectionIdOf(40000, 8080, '::2'));
  assert.equal(connectionIdOf(1, 1, '::ffff:1.2.3.4'), connectionIdOf(1, 1, '00000000000000000000ffff01020304'));
  assert.notEqual(connectionIdOf(1, 1, 'fe80::1'), connectionIdOf(1, 1, 'fe80::1:0'));
});
