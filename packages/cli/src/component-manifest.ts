/**
 * A plugin package's reprise.manifest.json: its components described (summaries, values, option
 * schemas) so that listing, --help and flag routing read files, never import code. Written from the
 * code at build time (first-party packages), by `reprise plugins manifest`, and when a plugin is
 * installed or linked without one.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  COMPONENT_MANIFEST_FILE,
  COMPONENT_MANIFEST_VERSION,
  RepriseError,
  describeComponent,
  readComponentManifest,
  readManifest,
  type ComponentDescription,
  type ComponentManifest,
} from '@reprise/core';
import { importDefinitions, type PluginPackage } from './discover.js';

/** The described components of a package's code (not its scripts), or why they cannot be read. */
export function readComponentDescriptions(pkg: PluginPackage): ComponentDescription[] {
  // Scripts run on middleware-script and comparators are not pipeline components: neither is described here.
  const coded = pkg.manifest.components.filter((c) => !c.script && c.kind !== 'comparator');
  if (coded.length === 0) return [];
  const path = join(pkg.root, COMPONENT_MANIFEST_FILE);
  if (!existsSync(path)) {
    throw new RepriseError(
      'RPR_PLUGIN_MANIFEST',
      `has no ${COMPONENT_MANIFEST_FILE}, so its flags cannot be described without running its code: run "reprise plugins manifest ${pkg.root}"`,
      { plugin: pkg.name },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RepriseError('RPR_PLUGIN_MANIFEST', `${COMPONENT_MANIFEST_FILE} is not JSON: ${(error as Error).message}`, {
      plugin: pkg.name,
    });
  }
  const manifest = readComponentManifest(json, pkg.name);
  if (manifest.packageVersion !== pkg.version) {
    throw new RepriseError(
      'RPR_PLUGIN_MANIFEST',
      `${COMPONENT_MANIFEST_FILE} was made for version ${manifest.packageVersion}, not ${pkg.version}: run "reprise plugins manifest ${pkg.root}"`,
      { plugin: pkg.name },
    );
  }
  for (const declared of coded) {
    const described = manifest.components.find((c) => c.name === declared.name);
    if (!described || described.kind !== declared.kind) {
      throw new RepriseError(
        'RPR_PLUGIN_MANIFEST',
        `${COMPONENT_MANIFEST_FILE} does not describe ${declared.kind} "${declared.name}": run "reprise plugins manifest ${pkg.root}"`,
        { plugin: pkg.name },
      );
    }
  }
  return manifest.components;
}

/** Imports the package's entry (checking it against its package.json manifest) and describes it. */
export async function buildComponentManifest(root: string): Promise<{ pkg: PluginPackage; manifest: ComponentManifest }> {
  const json = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const pkg: PluginPackage = { name: json.name, version: json.version ?? '0.0.0', source: 'linked', root, manifest: readManifest(json) };
  const definitions = pkg.manifest.entry ? await importDefinitions(pkg) : [];
  return {
    pkg,
    manifest: { manifestVersion: COMPONENT_MANIFEST_VERSION, packageVersion: pkg.version, components: definitions.map(describeComponent) },
  };
}

export async function writeComponentManifest(root: string): Promise<ComponentManifest> {
  const { manifest } = await buildComponentManifest(root);
  writeFileSync(join(root, COMPONENT_MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
