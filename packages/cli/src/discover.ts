/**
 * Finds the plugin packages (first-party ones this CLI depends on, and those installed with
 * `reprise plugins install`), validates their manifests, and loads their components into a catalog.
 * A broken plugin is reported and skipped: it never stops the others or `reprise --help`.
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ComponentCatalog, RepriseError, readManifest, type AnyComponentDefinition } from '@reprise/core';

export interface PluginPackage {
  name: string;
  version: string;
  /** Where it came from: `built-in`, or the user plugin directory it was installed into. */
  source: string;
  root: string;
}

export interface Discovery {
  catalog: ComponentCatalog;
  packages: Array<PluginPackage & { components: string[] }>;
  /** One readable line per plugin that could not be loaded. */
  problems: RepriseError[];
}

const cliRoot = resolve(dirname(new URL(import.meta.url).pathname), '..');

function readJson(path: string): Record<string, any> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Packages that may be plugins: the CLI's own dependencies, then the user's installed plugins. */
export function candidatePackages(userPluginRoots: string[] = []): PluginPackage[] {
  const found: PluginPackage[] = [];
  const collect = (fromDir: string, names: string[], source: string) => {
    const require = createRequire(join(fromDir, 'package.json'));
    for (const name of names) {
      let packageJsonPath: string;
      try {
        packageJsonPath = require.resolve(`${name}/package.json`);
      } catch {
        continue;
      }
      const json = readJson(packageJsonPath);
      if (json.reprise === undefined) continue;
      found.push({ name, version: json.version ?? '0.0.0', source, root: dirname(packageJsonPath) });
    }
  };
  collect(cliRoot, Object.keys(readJson(join(cliRoot, 'package.json')).dependencies ?? {}), 'built-in');
  for (const root of userPluginRoots) {
    const manifestPath = join(root, 'package.json');
    if (!existsSync(manifestPath)) continue;
    collect(root, Object.keys(readJson(manifestPath).dependencies ?? {}), root);
  }
  return found;
}

export async function discoverPlugins(userPluginRoots: string[] = []): Promise<Discovery> {
  const catalog = new ComponentCatalog();
  const problems: RepriseError[] = [];
  const packages: Discovery['packages'] = [];
  for (const candidate of candidatePackages(userPluginRoots)) {
    try {
      const json = readJson(join(candidate.root, 'package.json'));
      const manifest = readManifest(json);
      let module: { default?: unknown };
      try {
        module = await import(pathToFileURL(join(candidate.root, manifest.entry)).href);
      } catch (error) {
        throw new RepriseError('RPR_PLUGIN_LOAD', `importing ${manifest.entry} failed: ${(error as Error).message}`, { plugin: candidate.name, cause: error });
      }
      const definitions = (Array.isArray(module.default) ? module.default : [module.default]) as AnyComponentDefinition[];
      const declared = new Set(manifest.components.map((c) => `${c.kind}:${c.name}`));
      const names: string[] = [];
      for (const definition of definitions) {
        if (!definition || typeof definition.create !== 'function' || !declared.has(`${definition.kind}:${definition.name}`)) {
          throw new RepriseError('RPR_PLUGIN_MANIFEST', `exports a component the manifest does not declare (${definition?.kind}:${definition?.name})`, { plugin: candidate.name });
        }
        catalog.add(definition, candidate.name);
        names.push(definition.name);
      }
      packages.push({ ...candidate, components: names });
    } catch (error) {
      problems.push(error instanceof RepriseError ? error : new RepriseError('RPR_PLUGIN_LOAD', String(error), { plugin: candidate.name }));
    }
  }
  return { catalog, packages, problems };
}
