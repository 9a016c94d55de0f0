/**
 * `reprise compare --candidate-from-input`: nothing is replayed; the input already holds the
 * candidate's responses (type 3: a `.gor` recorded with --output-http-track-response, or the results
 * stream of `reprise cluster run`) beside the recorded ones (type 2), the baseline.
 *
 * Each request has one candidate response, so no noise can be learnt: the differences are judged
 * against a saved profile (--noise) if given, else against no noise at all (every difference that is
 * not ignored and above the absolute margin is reported). The report's run line says which.
 */
import { RepriseError } from '@reprise/core';
import type { ComponentUse } from '@reprise/engine';
import type { CompareFlags } from './compare-flags.js';

const NATS_INPUT = 'input-nats';

/** The flags that only make sense when compare replays: refused with this mode, naming the flag. */
export function checkFromInputFlags(flags: CompareFlags): void {
  for (const [option, flag] of [
    ['candidate', 'candidate'],
    ['baseline', 'baseline'],
  ] as const) {
    if (flags[option] !== undefined) {
      throw new RepriseError(
        'RPR_CONFIG_INVALID',
        `--${flag} replays to a target, --candidate-from-input replays nothing: give one of them`,
        { plugin: 'compare', option },
      );
    }
  }
}

/**
 * A NATS service's replayed responses are in its results stream, beside the traffic: each
 * `--input-nats` reading the traffic gets a twin reading the results of the same service.
 */
export function withResultsStreams(inputs: readonly ComponentUse[]): ComponentUse[] {
  const twins = inputs
    .filter((use) => use.definition.name === NATS_INPUT && use.options.stream === 'traffic')
    .map((use) => ({ ...use, options: { ...use.options, stream: 'results' } }));
  return [...inputs, ...twins];
}

/** What the report says about the noise in this mode. */
export function fromInputNoiseNote(noiseProfile: string | undefined): string {
  return noiseProfile === undefined
    ? 'not learnt (one candidate response per request): every difference is reported; give --noise to cancel known noise'
    : `not learnt (one candidate response per request): from the saved profile ${noiseProfile}`;
}
