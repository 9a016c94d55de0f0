/**
 * A saved noise profile (--save-noise / --noise): per endpoint, the rate at which each field
 * differed between two responses of the same side. Versioned JSON, validated with ajv on load.
 */
import { RepriseError, describeAjvError, lazyValidator } from '@reprise/core';
import type { DifferenceKind } from './comparator.js';

export const NOISE_PROFILE_VERSION = 1;

export interface NoiseProfile {
  format: 'reprise-noise';
  version: number;
  createdAt: string;
  endpoints: Array<{
    endpoint: string;
    /** Pairs of same-side responses compared. */
    samples: number;
    fields: Array<{ field: string; kind: DifferenceKind; rate: number }>;
  }>;
}

export const noiseProfileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'version', 'endpoints'],
  properties: {
    format: { const: 'reprise-noise' },
    version: { const: NOISE_PROFILE_VERSION },
    createdAt: { type: 'string' },
    endpoints: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['endpoint', 'samples', 'fields'],
        properties: {
          endpoint: { type: 'string', minLength: 3 },
          samples: { type: 'integer', minimum: 0 },
          fields: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['field', 'kind', 'rate'],
              properties: {
                field: { type: 'string', minLength: 1 },
                kind: { enum: ['changed', 'missing', 'extra', 'type'] },
                rate: { type: 'number', minimum: 0, maximum: 1 },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validateProfile = lazyValidator(noiseProfileSchema);

/** Parses and validates a profile's text; errors name the option, the file and the bad key. */
export function parseNoiseProfile(text: string, file?: string): NoiseProfile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RepriseError('RPR_CONFIG_INVALID', `not JSON: ${(error as Error).message}`, { option: 'noise', file });
  }
  if (!validateProfile(data)) {
    const error = validateProfile.errors![0]!;
    const where = error.instancePath || '/';
    const what = error.keyword === 'const' ? `must be ${JSON.stringify(error.params.allowedValue)}` : describeAjvError(error);
    throw new RepriseError('RPR_CONFIG_INVALID', `noise profile ${where} ${what}`, { option: 'noise', file });
  }
  return data as NoiseProfile;
}

/** `endpoint field kind` → rate, for lookups while building a report. */
export function noiseProfileRates(profile: NoiseProfile | undefined): Map<string, number> {
  const rates = new Map<string, number>();
  for (const e of profile?.endpoints ?? []) for (const f of e.fields) rates.set(noiseKey(e.endpoint, f.field, f.kind), f.rate);
  return rates;
}

export function noiseKey(endpoint: string, field: string, kind: DifferenceKind): string {
  return `${endpoint}\u0000${field}\u0000${kind}`;
}
