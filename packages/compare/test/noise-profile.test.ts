import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepriseError } from '@reprise/core';
import { Analyzer } from '../src/analyzer.js';
import { parseNoiseProfile } from '../src/noise-profile.js';
import { exchange } from './helpers.js';

function run(noisy: boolean, rounds = 100): Analyzer {
  const analyzer = new Analyzer();
  for (let i = 0; i < rounds; i++) {
    // When noisy, the baseline's `token` differs between its two replays half the time.
    analyzer.add(
      exchange(
        'GET',
        `/s/${i}`,
        [{ body: { token: 'a', v: 1 } }, { body: { token: noisy && i % 2 ? 'b' : 'a', v: 1 } }],
        [{ body: { token: i % 2 ? 'c' : 'a', v: 1 } }],
      ),
    );
  }
  return analyzer;
}

test('a saved profile round-trips through JSON and cancels the same noise in a run without noise pairs', () => {
  const learnt = run(true);
  const profile = parseNoiseProfile(JSON.stringify(learnt.noiseProfile()), 'noise.json');
  assert.deepEqual(profile.endpoints, [
    { endpoint: 'GET /s/:id', samples: 100, fields: [{ field: 'body.token', kind: 'changed', rate: 0.5 }] },
  ]);
  assert.equal(learnt.result().verdict, 'pass');

  const quiet = run(false);
  assert.deepEqual(
    quiet.result().endpoints[0]!.differences.map((d) => d.field),
    ['body.token'],
    'without the profile, token looks like a regression',
  );
  const withProfile = quiet.result({ noise: profile, noiseLabel: 'noise.json' });
  assert.equal(withProfile.verdict, 'pass');
  assert.deepEqual(
    withProfile.endpoints[0]!.noise.map((d) => `${d.field} ${d.noiseRate}`),
    ['body.token 0.5'],
  );
  assert.equal(withProfile.settings.noiseProfile, 'noise.json');
});

test('an invalid profile is RPR_CONFIG_INVALID naming --noise, the file and the bad key', () => {
  const good = {
    format: 'reprise-noise',
    version: 1,
    createdAt: 'x',
    endpoints: [{ endpoint: 'GET /a', samples: 1, fields: [{ field: 'body', kind: 'changed', rate: 0.5 }] }],
  };
  const cases: Array<[string, RegExp]> = [
    ['{not json', /not JSON/],
    [JSON.stringify({ ...good, version: 2 }), /\/version must be 1/],
    [JSON.stringify({ ...good, format: 'other' }), /\/format must be "reprise-noise"/],
    [
      JSON.stringify({ ...good, endpoints: [{ ...good.endpoints[0], fields: [{ field: 'body', kind: 'changed', rate: 2 }] }] }),
      /\/endpoints\/0\/fields\/0\/rate must be <= 1/,
    ],
    [
      JSON.stringify({ ...good, endpoints: [{ ...good.endpoints[0], fields: [{ field: 'body', kind: 'moved', rate: 0 }] }] }),
      /kind must be one of/,
    ],
    [JSON.stringify({ format: 'reprise-noise', version: 1 }), /missing "endpoints"/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => parseNoiseProfile(text, 'noise.json'),
      (e: unknown) =>
        e instanceof RepriseError &&
        e.code === 'RPR_CONFIG_INVALID' &&
        e.option === 'noise' &&
        e.message.includes('noise.json') &&
        why.test(e.message),
      text,
    );
  }
  assert.equal(parseNoiseProfile(JSON.stringify(good)).endpoints.length, 1);
});
