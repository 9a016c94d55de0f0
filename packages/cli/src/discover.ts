/**
 * Finds plugin packages — the first-party ones this CLI depends on, and those installed or linked
 * with `reprise plugins` — by their package.json manifest, without importing any code. A package's
 * code is imported only when a pipeline uses one of its components (or for --help). A broken plugin
 * is reported and skipped: it never stops the others or `reprise --help`.
 */
import { existsSync, readFileSync, readlinkSync, realpathSync, symlinkSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  makeDirectoriesSync,
  RepriseError,
  readManifest,
  type AnyComponentDefinition,
  type ComponentDescription,
  type PluginManifest,
} from '@reprise/core';
import { ComponentCatalog } from '@reprise/engine';
import type { Comparator } from '@reprise/compare';

export interface PluginPackage {
  name: string;
  version: string;
  /** `built-in`, `installed` (by `reprise plugins install`) or `linked`. */
  source: 'built-in' | 'installed' | 'linked';
  root: string;
  /** For installed plugins: what was installed (an npm name, a tarball or folder URL). */
  origin?: string;
  manifest: PluginManifest;
}

export interface Discovery {
  packages: PluginPackage[];
  /** Plugins whose manifest is unusable (invalid, wrong core range). */
  problems: RepriseError[];
  /** Component names a package that is not usable says it provides (read leniently), with why it is not. */
  unusable: Array<{ components: string[]; problem: RepriseError }>;
}

/** The component names a package.json claims, read without trusting its manifest to be valid. */
// biome-ignore lint/suspicious/noExplicitAny: a package.json read as loose JSON, every field checked where used
function claimedComponents(json: Record<string, any>): string[] {
  const components: unknown = json.reprise?.components;
  if (!Array.isArray(components)) return [];
  return components
    .flatMap((c) => [c?.name, ...(Array.isArray(c?.flags) ? c.flags : [])])
    .filter((n): n is string => typeof n === 'string');
}

const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const coreRoot = resolve(dirname(createRequire(import.meta.url).resolve('@reprise/core/package.json')));

// biome-ignore lint/suspicious/noExplicitAny: a package.json read as loose JSON, every field checked where used
function readJson(path: string): Record<string, any> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Plugins installed by oclif's plugin manager are listed in the data dir's package.json. */
function userPluginRoots(dataDir: string): Array<{ root: string; source: 'installed' | 'linked'; origin?: string }> {
  const path = join(dataDir, 'package.json');
  if (!existsSync(path)) return [];
  const plugins: unknown[] = readJson(path).oclif?.plugins ?? [];
  return plugins.flatMap((p): Array<{ root: string; source: 'installed' | 'linked'; origin?: string }> => {
    if (typeof p === 'string') return [{ root: join(dataDir, 'node_modules', p), source: 'installed', origin: p }];
    const entry = p as { name: string; type?: string; root?: string; url?: string; tag?: string };
    if (entry.type === 'link' && entry.root) return [{ root: entry.root, source: 'linked', origin: entry.root }];
    const origin = entry.url ?? `npm ${entry.name}${entry.tag ? '@' + entry.tag : ''}`;
    return [{ root: join(dataDir, 'node_modules', entry.name), source: 'installed', origin }];
  });
}

/**
 * A plugin imports `@reprise/core` as a peer: the host provides it, by linking this CLI's core into
 * the node_modules that the plugin resolves from (the data directory's for installed plugins, the
 * plugin's own folder for linked ones and for `plugins validate` and `plugins manifest`), since npm
 * does not install optional peers.
 */
export function provideCorePeer(folder: string): void {
  const target = join(folder, 'node_modules', '@reprise', 'core');
  try {
    // The plugin must run against the host's core (one RepriseError class, one contract).
    if (existsSync(target) && realpathSync(target) === realpathSync(coreRoot)) return;
    readlinkSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EINVAL') return; // a real folder: someone installed core themselves; leave it
  }
  try {
    makeDirectoriesSync(dirname(target));
    if (existsSync(target) || isDanglingLink(target)) unlinkSync(target);
    symlinkSync(coreRoot, target, 'dir');
  } catch {
    // Not fatal: a plugin that imports core will then fail to load with a message naming it.
  }
}

function isDanglingLink(path: string): boolean {
  try {
    readlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

export function discoverPackages(dataDir?: string): Discovery {
  const packages: PluginPackage[] = [];
  const problems: RepriseError[] = [];
  const unusable: Discovery['unusable'] = [];
  const consider = (root: string, source: PluginPackage['source'], origin?: string) => {
    const path = join(root, 'package.json');
    if (!existsSync(path)) {
      problems.push(new RepriseError('RPR_PLUGIN_LOAD', `no package.json in ${root}`, { plugin: root }));
      return;
    }
    const json = readJson(path);
    if (json.reprise === undefined) {
      if (source !== 'built-in')
        problems.push(
          new RepriseError('RPR_PLUGIN_MANIFEST', 'package.json has no "reprise" manifest: not a reprise plugin', {
            plugin: json.name ?? root,
          }),
        );
      return;
    }
    try {
      const manifest = readManifest(json);
      for (const component of manifest.components) {
        const other = packages.find((p) => p.manifest.components.some((c) => c.name === component.name));
        if (other) {
          throw new RepriseError(
            'RPR_PLUGIN_CONFLICT',
            `component "${component.name}" is provided by both ${other.name} (${other.source}) and ${json.name} (${source}); ${json.name} is not loaded`,
            { plugin: json.name },
          );
        }
      }
      packages.push({ name: json.name, version: json.version ?? '0.0.0', source, root, origin, manifest });
    } catch (error) {
      problems.push(error as RepriseError);
      unusable.push({ components: claimedComponents(json), problem: error as RepriseError });
    }
  };
  const require = createRequire(join(cliRoot, 'package.json'));
  for (const name of Object.keys(readJson(join(cliRoot, 'package.json')).dependencies ?? {})) {
    try {
      consider(dirname(require.resolve(`${name}/package.json`)), 'built-in');
    } catch {
      // not resolvable as a package with a package.json export: not a plugin
    }
  }
  if (dataDir) {
    const roots = userPluginRoots(dataDir);
    if (roots.some((r) => r.source === 'installed')) provideCorePeer(dataDir);
    for (const { root, source, origin } of roots) {
      if (source === 'linked' && existsSync(root)) provideCorePeer(root);
      consider(root, source, origin);
    }
  }
  return { packages, problems, unusable };
}

/** Which packages own the given flags (by component name prefix, or a manifest's extra `flags`). */
export function packagesForFlags(packages: PluginPackage[], flags: string[]): Set<PluginPackage> | 'all' {
  const needed = new Set<PluginPackage>();
  for (const flag of flags) {
    let owner: PluginPackage | undefined;
    let ownerLength = 0;
    for (const pkg of packages) {
      for (const component of pkg.manifest.components) {
        if (component.flags?.includes(flag)) {
          owner = pkg;
          ownerLength = Infinity;
        } else if ((flag === component.name || flag.startsWith(component.name + '-')) && component.name.length > ownerLength) {
          owner = pkg;
          ownerLength = component.name.length;
        }
      }
    }
    if (owner) needed.add(owner);
  }
  return needed;
}

/** Imports packages and adds their components to a catalog; a package that fails is reported and skipped. */
export async function loadPackages(
  packages: Iterable<PluginPackage>,
): Promise<{ catalog: ComponentCatalog; problems: RepriseError[]; loaded: Map<PluginPackage, string[]> }> {
  const catalog = new ComponentCatalog();
  const problems: RepriseError[] = [];
  const loaded = new Map<PluginPackage, string[]>();
  // Packages with code first: script components are built on the `middleware-script` component.
  const ordered = [...packages].sort((a, b) => Number(hasOnlyScripts(a)) - Number(hasOnlyScripts(b)));
  for (const pkg of ordered) {
    try {
      const definitions = [...(pkg.manifest.entry ? await importDefinitions(pkg) : []), ...scriptDefinitions(pkg, catalog)];
      const staged = new ComponentCatalog();
      for (const definition of definitions) staged.add(definition, pkg.name);
      for (const definition of definitions) catalog.add(definition, pkg.name);
      loaded.set(
        pkg,
        definitions.map((d) => d.name),
      );
    } catch (error) {
      problems.push(error instanceof RepriseError ? error : new RepriseError('RPR_PLUGIN_LOAD', String(error), { plugin: pkg.name }));
    }
  }
  return { catalog, problems, loaded };
}

/**
 * The comparator components (kind `comparator`) of the given packages, for `reprise compare` and
 * `reprise report`; a package that fails is reported and skipped.
 */
export async function importComparators(
  packages: Iterable<PluginPackage>,
): Promise<{ comparators: Comparator[]; problems: RepriseError[] }> {
  const comparators: Comparator[] = [];
  const problems: RepriseError[] = [];
  // Imported here, not at the top: only compare and report need the comparison stage.
  const { comparatorsFromExports } = await import('@reprise/compare');
  for (const pkg of packages) {
    const names = pkg.manifest.components.filter((c) => c.kind === 'comparator').map((c) => c.name);
    if (names.length === 0) continue;
    try {
      const module = await importEntry(pkg);
      comparators.push(...comparatorsFromExports(module.default, names, pkg.name));
    } catch (error) {
      problems.push(error instanceof RepriseError ? error : new RepriseError('RPR_PLUGIN_LOAD', String(error), { plugin: pkg.name }));
    }
  }
  return { comparators, problems };
}

function hasOnlyScripts(pkg: PluginPackage): boolean {
  return pkg.manifest.components.every((c) => c.script);
}

/** A script shipped in a package runs exactly as `--middleware-script <that file>` would, in its own isolate. */
function scriptDefinitions(pkg: PluginPackage, catalog: ComponentCatalog): AnyComponentDefinition[] {
  const scripted = pkg.manifest.components.filter((c) => c.script);
  if (scripted.length === 0) return [];
  const runner = catalog.get('middleware-script');
  if (!runner)
    throw new RepriseError('RPR_PLUGIN_LOAD', 'ships middleware scripts, but no plugin provides middleware-script to run them', {
      plugin: pkg.name,
    });
  return scripted.map((component) => {
    const scriptPath = resolve(pkg.root, component.script!);
    if (!existsSync(scriptPath))
      throw new RepriseError('RPR_PLUGIN_MANIFEST', `script ${component.script} of "${component.name}" does not exist`, {
        plugin: pkg.name,
      });
    return {
      ...describeScript(pkg, component, runner),
      create: (
        _value: string | undefined,
        options: Readonly<Record<string, unknown>>,
        ctx: Parameters<AnyComponentDefinition['create']>[2],
      ) => runner.create(scriptPath, options, ctx),
    } satisfies AnyComponentDefinition;
  });
}

/** A script component is the middleware-script runner with the package's script as its value. */
export function describeScript(
  pkg: PluginPackage,
  component: PluginManifest['components'][number],
  runner: ComponentDescription,
): ComponentDescription {
  return {
    kind: 'middleware',
    name: component.name,
    summary: `Sandboxed middleware script ${component.script} from ${pkg.name}.`,
    rate: 'none',
    order: runner.order,
    options: runner.options,
  };
}

async function importEntry(pkg: PluginPackage): Promise<{ default?: unknown }> {
  try {
    return await import(pathToFileURL(join(pkg.root, pkg.manifest.entry!)).href);
  } catch (error) {
    throw new RepriseError('RPR_PLUGIN_LOAD', `importing ${pkg.manifest.entry} failed: ${(error as Error).message}`, {
      plugin: pkg.name,
      cause: error,
    });
  }
}

export async function importDefinitions(pkg: PluginPackage): Promise<AnyComponentDefinition[]> {
  const module = await importEntry(pkg);
  // Comparators are not pipeline components: `reprise compare` imports them (importComparators).
  const exported = (Array.isArray(module.default) ? module.default : [module.default]) as Array<
    AnyComponentDefinition | { kind: 'comparator'; name: string }
  >;
  const definitions = exported.filter((d): d is AnyComponentDefinition => d?.kind !== 'comparator');
  for (const declared of pkg.manifest.components.filter((c) => !c.script && c.kind !== 'comparator')) {
    const definition = definitions.find((d) => d?.name === declared.name);
    if (!definition || definition.kind !== declared.kind || typeof definition.create !== 'function') {
      throw new RepriseError(
        'RPR_PLUGIN_MANIFEST',
        `the manifest declares ${declared.kind} "${declared.name}" but ${pkg.manifest.entry} does not export it`,
        { plugin: pkg.name },
      );
    }
    for (const option of Object.values(definition.options?.properties ?? {})) {
      const flag = option['x-flag'];
      if (flag && !flag.startsWith(declared.name + '-') && !declared.flags?.includes(flag)) {
        throw new RepriseError(
          'RPR_PLUGIN_MANIFEST',
          `option flag --${flag} of "${declared.name}" must be listed in the manifest's "flags"`,
          { plugin: pkg.name },
        );
      }
    }
  }
  const undeclared = definitions.filter(
    (d) => !pkg.manifest.components.some((c) => c.name === d?.name && !c.script && c.kind !== 'comparator'),
  );
  if (undeclared.length) {
    throw new RepriseError(
      'RPR_PLUGIN_MANIFEST',
      `exports components the manifest does not declare: ${undeclared.map((d) => d?.name).join(', ')}`,
      { plugin: pkg.name },
    );
  }
  return definitions;
}
