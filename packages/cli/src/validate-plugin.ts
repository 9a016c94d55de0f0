/**
 * `reprise plugins validate DIR`: everything reprise checks when it loads a plugin, on a working folder,
 * without installing it: the package.json manifest, its core range, the entry and what it exports, each
 * component's options schema (compiled, defaults valid), and that reprise.manifest.json matches the code.
 * Like `plugins link`, it links this reprise's @reprise/core into the folder's node_modules if needed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPONENT_MANIFEST_FILE, RepriseError, validateOptions, type AnyComponentDefinition, type ComponentManifest } from '@reprise/core';
import { buildComponentManifest } from './component-manifest.js';
import { provideCorePeer } from './discover.js';

export interface PluginValidation {
  name: string;
  version: string;
  components: string[];
  problems: RepriseError[];
  warnings: string[];
}

export async function validatePlugin(dir: string): Promise<PluginValidation> {
  const root = resolve(dir);
  const result: PluginValidation = { name: root, version: '', components: [], problems: [], warnings: [] };
  const packagePath = join(root, 'package.json');
  if (!existsSync(packagePath)) {
    result.problems.push(new RepriseError('RPR_PLUGIN_MANIFEST', 'no package.json here', { file: packagePath }));
    return result;
  }
  const json = JSON.parse(readFileSync(packagePath, 'utf8'));
  result.name = json.name ?? root;
  result.version = json.version ?? '';
  // As `plugins link` would: the entry imports the peer @reprise/core, which a hand-made folder need not have installed.
  provideCorePeer(root);
  let built: Awaited<ReturnType<typeof buildComponentManifest>>;
  try {
    built = await buildComponentManifest(root);
  } catch (error) {
    result.problems.push(
      error instanceof RepriseError ? error : new RepriseError('RPR_PLUGIN_LOAD', String(error), { plugin: result.name }),
    );
    return result;
  }
  const { pkg, manifest } = built;
  result.components = pkg.manifest.components.map((c) => c.name);
  for (const component of pkg.manifest.components.filter((c) => c.script)) {
    if (!existsSync(resolve(root, component.script!))) {
      result.problems.push(
        new RepriseError('RPR_PLUGIN_MANIFEST', `script ${component.script} of "${component.name}" does not exist`, { plugin: pkg.name }),
      );
    }
  }
  if (pkg.manifest.entry) {
    const definitions = (await import(pathToFileURL(join(root, pkg.manifest.entry)).href)).default as AnyComponentDefinition[];
    for (const definition of [definitions].flat().filter((d) => (d as { kind?: string })?.kind !== 'comparator'))
      checkDefinition(definition, pkg.name, result);
  }
  if (!json.oclif)
    result.problems.push(
      new RepriseError('RPR_PLUGIN_MANIFEST', 'package.json needs "oclif": {} so that "reprise plugins install" accepts it', {
        plugin: pkg.name,
      }),
    );
  if (!(json.keywords ?? []).includes('reprise-plugin')) result.warnings.push('add the npm keyword "reprise-plugin" so users can find it');
  checkComponentManifestFile(root, manifest, pkg.name, result);
  return result;
}

function checkDefinition(definition: AnyComponentDefinition, plugin: string, result: PluginValidation): void {
  try {
    // Compiles the schema and checks that the defaults alone make valid options.
    validateOptions(definition, {}, `${definition.name} options`);
  } catch (error) {
    const text = (error as Error).message;
    // A required option without a default is fine: only a broken schema is a problem.
    if (!(error instanceof RepriseError && /missing "/.test(text))) {
      result.problems.push(
        new RepriseError('RPR_PLUGIN_MANIFEST', `the options schema of "${definition.name}" is invalid: ${text}`, { plugin }),
      );
    }
  }
  for (const [option, schema] of Object.entries(definition.options?.properties ?? {})) {
    if (!schema.description)
      result.problems.push(
        new RepriseError('RPR_PLUGIN_MANIFEST', `option "${option}" of "${definition.name}" has no description (it is the --help text)`, {
          plugin,
        }),
      );
    if (schema.type !== 'boolean' && !schema.examples?.length)
      result.warnings.push(`option "${option}" of "${definition.name}" has no examples: --help shows none`);
  }
}

function checkComponentManifestFile(root: string, expected: ComponentManifest, plugin: string, result: PluginValidation): void {
  const path = join(root, COMPONENT_MANIFEST_FILE);
  const fix = `run "reprise plugins manifest ${root}" (e.g. in your prepack script)`;
  if (!existsSync(path)) {
    // Only code is described: a package of scripts alone is loaded without the file.
    if (expected.components.length === 0) return;
    result.warnings.push(
      `no ${COMPONENT_MANIFEST_FILE}: reprise writes it when the plugin is installed or linked; ship it to spare that step: ${fix}`,
    );
    return;
  }
  if (readFileSync(path, 'utf8') !== JSON.stringify(expected, null, 2) + '\n') {
    result.problems.push(new RepriseError('RPR_PLUGIN_MANIFEST', `${COMPONENT_MANIFEST_FILE} does not match the code: ${fix}`, { plugin }));
  }
}
