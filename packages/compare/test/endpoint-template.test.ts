import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepriseError } from '@reprise/core';
import { EndpointNamer, pathTemplate } from '../src/endpoint-template.js';

test('identifier-like segments become parameters, words stay, the query string is dropped', () => {
  assert.equal(pathTemplate('/users/123'), '/users/:id');
  assert.equal(pathTemplate('/users/456/posts/7?page=2'), '/users/:id/posts/:id');
  assert.equal(pathTemplate('/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301'), '/orders/:uuid');
  assert.equal(pathTemplate('/objects/507f1f77bcf86cd799439011'), '/objects/:hex');
  assert.equal(pathTemplate('/blobs/deadbeef42'), '/blobs/:hex');
  assert.equal(pathTemplate('/s/aGVsbG8gd29ybGQxMjM0NTY3OA'), '/s/:token');
  assert.equal(pathTemplate('/v1/items/featured'), '/v1/items/featured');
  assert.equal(pathTemplate('/api/v2/health-check'), '/api/v2/health-check');
  assert.equal(pathTemplate('/decade'), '/decade', 'a short word of hex letters is a word');
  assert.equal(pathTemplate('/js/jquery-3.6.0.min.js'), '/js/jquery-3.6.0.min.js', 'file names stay');
  assert.equal(pathTemplate('/blog/release-notes-2024-final'), '/blog/release-notes-2024-final', 'lower-case slugs stay');
  assert.equal(pathTemplate('/'), '/');
  assert.equal(pathTemplate('http://host:8080/users/9?x=1'), '/users/:id', 'absolute-form targets keep their path');
});

test('requests are named METHOD /template; --endpoint patterns win, in order, matching one segment per :name', () => {
  const namer = new EndpointNamer(['GET /v1/items/:sku', '* /static/*']);
  assert.equal(namer.name('GET', '/v1/items/red-shoe-42?ref=x'), 'GET /v1/items/:sku');
  assert.equal(namer.name('POST', '/v1/items/red-shoe-42'), 'POST /v1/items/red-shoe-42', 'the method must match');
  assert.equal(namer.name('GET', '/v1/items/a/b'), 'GET /v1/items/a/b', ':sku is one segment');
  assert.equal(namer.name('HEAD', '/static/css/site.css'), '* /static/*');
  assert.equal(namer.name('DELETE', '/users/12'), 'DELETE /users/:id');
});

test('a malformed --endpoint pattern is a config error naming the option', () => {
  for (const bad of ['/no/method', 'GET users', 'GET /a/:', 'GET /a/:9x']) {
    assert.throws(
      () => new EndpointNamer([bad]),
      (e: unknown) => e instanceof RepriseError && e.code === 'RPR_CONFIG_INVALID' && e.option === 'endpoint' && e.message.includes(bad),
      bad,
    );
  }
});
