/**
 * A plugin package's manifest: the `"reprise"` key of its package.json, read and validated
 * before any of its code is imported.
 */
import { createRequire } from 'node:module';
import { RepriseError } from './errors.js';
import { describeAjvError, lazyValidator } from './options.js';
import type { AnyComponentDefinition, ComponentDescription, ComponentKind } from './plugin.js';

/** The version of the plugin API this core implements; plugins declare a semver range of it. */
export const CORE_API_VERSION = '0.1.0';

// semver is loaded on first use: processes that import core without reading manifests skip it.
const requireLazily = createRequire(import.meta.url);

/** Pipeline components, plus `comparator`: a response comparator for `reprise compare` (@reprise/compare). */
export type ManifestComponentKind = ComponentKind | 'comparator';

export interface PluginManifest {
  /** Semver range of the core API the plugin supports, e.g. `^0.1.0`. */
  coreVersion: string;
  /** Module (relative to the package) whose default export is the array of component definitions. */
  entry?: string;
  /**
   * `flags`: flags the component owns beyond `--<name>` and `--<name>-*` (GoReplay names such as
   * `http-original-host`), so a flag can be routed to its package without importing any code.
   * `script`: a middleware that is a sandboxed script shipped in the package (run like
   * --middleware-script, never in the main process); such components need no `entry`.
   */
  components: Array<{ kind: ManifestComponentKind; name: string; flags?: string[]; script?: string }>;
}

export const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['coreVersion', 'components'],
  properties: {
    coreVersion: { type: 'string', minLength: 1 },
    entry: { type: 'string', minLength: 1 },
    components: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'name'],
        properties: {
          kind: { enum: ['input', 'output', 'middleware', 'comparator'] },
          name: { type: 'string', pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' },
          flags: { type: 'array', items: { type: 'string', pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' } },
          script: { type: 'string', minLength: 1 },
        },
      },
    },
  },
};

const validateManifest = lazyValidator(manifestSchema);

/** Checks a package.json's manifest and core range; throws naming the package and the problem. */
export function readManifest(packageJson: { name?: string; reprise?: unknown }): PluginManifest {
  const name = packageJson.name ?? '(unnamed package)';
  if (!validateManifest(packageJson.reprise)) {
    const error = validateManifest.errors![0]!;
    throw new RepriseError('RPR_PLUGIN_MANIFEST', `package.json "reprise"${error.instancePath} ${describeAjvError(error)}`, {
      plugin: name,
    });
  }
  const manifest = packageJson.reprise as unknown as PluginManifest;
  const coded = manifest.components.filter((c) => !c.script);
  if (coded.length > 0 && !manifest.entry) {
    throw new RepriseError('RPR_PLUGIN_MANIFEST', `package.json "reprise" needs "entry" for ${coded.map((c) => c.name).join(', ')}`, {
      plugin: name,
    });
  }
  const misplaced = manifest.components.find((c) => c.script && c.kind !== 'middleware');
  if (misplaced) {
    throw new RepriseError('RPR_PLUGIN_MANIFEST', `"script" is for middleware components only, not ${misplaced.kind} "${misplaced.name}"`, {
      plugin: name,
    });
  }
  const semver = requireLazily('semver') as typeof import('semver');
  if (!semver.validRange(manifest.coreVersion) || !semver.satisfies(CORE_API_VERSION, manifest.coreVersion)) {
    throw new RepriseError(
      'RPR_PLUGIN_CORE_RANGE',
      `supports core ${manifest.coreVersion}, but this reprise has core ${CORE_API_VERSION}`,
      { plugin: name },
    );
  }
  return manifest;
}

/**
 * The file, beside a plugin's package.json, that describes its components (summaries, values, option
 * schemas) so listing, --help and flag routing never import plugin code. Generated from the code by
 * `reprise plugins manifest` (and at build, install and link time).
 */
export const COMPONENT_MANIFEST_FILE = 'reprise.manifest.json';
export const COMPONENT_MANIFEST_VERSION = 1;

export interface ComponentManifest {
  manifestVersion: typeof COMPONENT_MANIFEST_VERSION;
  /** The package version it was generated from: a different version means it is stale. */
  packageVersion: string;
  components: ComponentDescription[];
}

const optionSchemaSchema = {
  type: 'object',
  required: ['type', 'description'],
  properties: {
    type: { enum: ['string', 'integer', 'number', 'boolean', 'array'] },
    description: { type: 'string' },
  },
};

export const componentManifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['manifestVersion', 'packageVersion', 'components'],
  properties: {
    manifestVersion: { const: COMPONENT_MANIFEST_VERSION },
    packageVersion: { type: 'string' },
    components: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'name', 'summary', 'options'],
        properties: {
          kind: { enum: ['input', 'output', 'middleware'] },
          name: { type: 'string', pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' },
          summary: { type: 'string' },
          value: { type: 'object', required: ['description', 'example'] },
          enabledBy: { enum: ['flag', 'options'] },
          rate: { enum: ['core', 'plugin', 'none'] },
          order: { type: 'number' },
          implies: { type: 'array' },
          options: {
            type: 'object',
            required: ['type', 'properties'],
            properties: { type: { const: 'object' }, properties: { type: 'object', additionalProperties: optionSchemaSchema } },
          },
        },
      },
    },
  },
};

const validateComponentManifest = lazyValidator(componentManifestSchema);

/** The serialisable part of a definition: what its manifest file records. */
export function describeComponent(definition: AnyComponentDefinition): ComponentDescription {
  const { create: _create, ...description } = definition;
  return JSON.parse(JSON.stringify(description)) as ComponentDescription;
}

/** Checks a parsed reprise.manifest.json; throws naming the package and the problem. */
export function readComponentManifest(json: unknown, packageName: string): ComponentManifest {
  if (!validateComponentManifest(json)) {
    const error = validateComponentManifest.errors![0]!;
    throw new RepriseError('RPR_PLUGIN_MANIFEST', `${COMPONENT_MANIFEST_FILE}${error.instancePath} ${describeAjvError(error)}`, {
      plugin: packageName,
    });
  }
  return json as unknown as ComponentManifest;
}
