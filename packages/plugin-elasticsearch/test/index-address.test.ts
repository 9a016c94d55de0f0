import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepriseError } from '@reprise/core';
import { hidePassword } from '@reprise/core';
import { parseIndexAddress } from '../src/index-address.js';

test('an address without a scheme is http on port 9200 when no port is given', { timeout: 5000 }, () => {
  assert.deepEqual(parseIndexAddress('localhost/gor'), {
    node: 'http://localhost:9200',
    index: 'gor',
    username: undefined,
    password: undefined,
  });
  assert.equal(parseIndexAddress('localhost:9201/gor').node, 'http://localhost:9201');
});

test("GoReplay's form and the full URL form name the same node and index", { timeout: 5000 }, () => {
  const goreplay = parseIndexAddress('localhost:9200/gor');
  const url = parseIndexAddress('http://localhost:9200/gor');
  assert.equal(goreplay.node, url.node);
  assert.equal(goreplay.index, url.index);
});

test('with a scheme and no port the scheme decides the port, and a path prefix stays on the node', { timeout: 5000 }, () => {
  const address = parseIndexAddress('https://es.example.com/proxy/es/gor-%Y.%m.%d/');
  assert.equal(address.node, 'https://es.example.com/proxy/es');
  assert.equal(address.index, 'gor-%Y.%m.%d');
});

test('credentials in the address are taken apart from the node URL', { timeout: 5000 }, () => {
  const address = parseIndexAddress('http://elastic:s%40cret@127.0.0.1:9200/gor');
  assert.equal(address.node, 'http://127.0.0.1:9200');
  assert.equal(address.username, 'elastic');
  assert.equal(address.password, 's@cret');
});

test('addresses without an index, with a bad scheme or a bad index name are refused without echoing a password', { timeout: 5000 }, () => {
  for (const bad of [
    'localhost:9200',
    'localhost:9200/',
    'ftp://localhost/gor',
    'localhost:9200/GOR',
    'localhost:9200/a*b',
    'localhost:9200/_gor',
    'localhost:9200/gor-%Q',
    ':9200/gor',
  ]) {
    assert.throws(
      () => parseIndexAddress(bad),
      (error: unknown) => error instanceof RepriseError && error.code === 'RPR_CONFIG_INVALID',
      bad,
    );
  }
  assert.throws(
    () => parseIndexAddress('http://user:hunter2@localhost:9200/'),
    (error: unknown) => error instanceof RepriseError && !error.message.includes('hunter2'),
  );
});

test('an address is shown with its password hidden, with or without a scheme', { timeout: 5000 }, () => {
  assert.equal(hidePassword('http://user:hunter2@host:9200/gor'), 'http://user:***@host:9200/gor');
  assert.equal(hidePassword('user:hunter2@host:9200/gor'), 'user:***@host:9200/gor');
  assert.equal(hidePassword('http://host:9200/gor'), 'http://host:9200/gor');
});
