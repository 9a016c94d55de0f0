/**
 * Validation of component options and pipeline configs with ajv: defaults filled, unknown keys
 * refused, the result frozen; errors name the component and the option.
 */
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { parseDurationMs, parseSizeBytes } from './duration.js';
import { RepriseError } from './errors.js';
import type { AnyComponentDefinition, ComponentDefinition, ComponentKind } from './plugin.js';

function isParsable(parse: (text: string) => unknown) {
  return (text: string) => {
    try {
      parse(text);
      return true;
    } catch {
      return false;
    }
  };
}

// ajv is loaded on first use, not with core: a capture process or worker imports core for its message
// helpers and never validates, and loading ajv's modules cost it about 30 ms of start-up.
const requireLazily = createRequire(import.meta.url);

/** An ajv knowing reprise's formats and schema annotations. */
export function createAjv(): Ajv {
  const { Ajv } = requireLazily('ajv') as typeof import('ajv');
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  ajv.addFormat('duration', { type: 'string', validate: isParsable((t) => parseDurationMs(t)) });
  ajv.addFormat('size', { type: 'string', validate: isParsable((t) => parseSizeBytes(t)) });
  return ajv;
}

let sharedAjv: Ajv | undefined;

/** The process's one ajv, made on first use: each instance costs milliseconds of start-up. */
function getAjv(): Ajv {
  sharedAjv ??= createAjv();
  return sharedAjv;
}

/** A validator for a fixed schema, compiled on its first call. */
export function lazyValidator(schema: object): ValidateFunction {
  let validate: ValidateFunction | undefined;
  const lazy = ((data: unknown) => {
    validate ??= getAjv().compile(schema);
    const isValid = validate(data);
    lazy.errors = validate.errors;
    return isValid;
  }) as ValidateFunction;
  return lazy;
}

const compiled = new WeakMap<object, ValidateFunction>();

/** Validates and freezes one component's options; throws RPR_PLUGIN_OPTIONS naming component and option. */
export function validateOptions<O = Record<string, unknown>>(
  definition: ComponentDefinition<ComponentKind, O> | AnyComponentDefinition,
  options: Record<string, unknown>,
  where?: string,
): Readonly<O> {
  let validate = compiled.get(definition.options);
  if (!validate) {
    validate = getAjv().compile({ ...definition.options, additionalProperties: false });
    compiled.set(definition.options, validate);
  }
  const copy = structuredClone(options);
  if (!validate(copy)) {
    const first = validate.errors![0]!;
    throw new RepriseError('RPR_PLUGIN_OPTIONS', describeAjvError(first), {
      plugin: definition.name,
      option: optionOfError(first),
      file: where,
    });
  }
  return Object.freeze(copy) as Readonly<O>;
}

function optionOfError(error: ErrorObject): string | undefined {
  if (error.keyword === 'additionalProperties') return String(error.params.additionalProperty);
  const key = error.instancePath.split('/')[1];
  return key || undefined;
}

/** A sentence from an ajv error: what is wrong, in the user's terms. */
export function describeAjvError(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown key "${error.params.additionalProperty}"`;
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'format':
      return `is not a valid ${error.params.format}`;
    case 'required':
      return `missing "${error.params.missingProperty}"`;
    default:
      return error.message ?? 'is invalid';
  }
}
