/** Builds the component catalog a command needs, importing only the plugin packages it uses. */
import type { ComponentDescription, RepriseError } from '@reprise/core';
import { ComponentCatalog, SETTINGS_FLAGS } from '@reprise/engine';
import { readComponentDescriptions } from './component-manifest.js';
import { userDataDir } from './data-dir.js';
import { describeScript, discoverPackages, loadPackages, packagesForFlags, type PluginPackage } from './discover.js';

const SETTING_NAMES = new Set(SETTINGS_FLAGS.map((s) => s.flag));

export type Need = { all: true } | { flags: string[] } | { components: string[] };

export interface LoadedCatalog {
  catalog: ComponentCatalog;
  packages: PluginPackage[];
  loaded: Map<PluginPackage, string[]>;
  problems: RepriseError[];
  /** Components (and extra flags) of packages that could not be used, with the reason. */
  unusable: Array<{ components: string[]; problem: RepriseError }>;
}

export async function loadCatalog(need: Need, warn = true): Promise<LoadedCatalog> {
  const discovery = discoverPackages(userDataDir());
  let chosen: Iterable<PluginPackage> = discovery.packages;
  if ('flags' in need) {
    const flags = need.flags.filter((f) => !SETTING_NAMES.has(f));
    const owners = packagesForFlags(discovery.packages, flags);
    // A flag nobody owns needs every package loaded, for an accurate "did you mean".
    const isComplete = owners !== 'all' && flags.every((f) => [...owners].some((p) => ownsFlag(p, f)));
    if (isComplete) chosen = owners;
  } else if ('components' in need) {
    chosen = discovery.packages.filter((p) => p.manifest.components.some((c) => need.components.includes(c.name)));
  }
  // Script middleware from a package runs on the middleware-script component: load its provider too.
  const chosenList = [...chosen];
  if (chosenList.some((p) => p.manifest.components.some((c) => c.script))) {
    const runner = discovery.packages.find((p) => p.manifest.components.some((c) => c.name === 'middleware-script'));
    if (runner && !chosenList.includes(runner)) chosenList.push(runner);
  }
  const { catalog, problems, loaded } = await loadPackages(chosenList);
  const all = [...discovery.problems, ...problems];
  if (warn) for (const problem of all) process.stderr.write(`[reprise] warn: plugin not loaded: ${problem.message}\n`);
  const failedImports = problems.map((problem) => {
    const pkg = chosenList.find((p) => p.name === problem.plugin);
    return { components: pkg ? pkg.manifest.components.flatMap((c) => [c.name, ...(c.flags ?? [])]) : [], problem };
  });
  return { catalog, packages: discovery.packages, loaded, problems: all, unusable: [...discovery.unusable, ...failedImports] };
}

/**
 * Why a flag that no loaded component provides is missing, when a plugin that claims it could not be
 * used: that plugin's problem (exit 3), rather than "unknown flag" (exit 2).
 */
export function unusableOwnerOf(flag: string, unusable: LoadedCatalog['unusable']): RepriseError | undefined {
  const name = flag.startsWith('no-') ? flag.slice(3) : flag;
  return unusable.find((u) => u.components.some((c) => name === c || name.startsWith(c + '-')))?.problem;
}

function ownsFlag(pkg: PluginPackage, flag: string): boolean {
  return pkg.manifest.components.some((c) => c.flags?.includes(flag) || flag === c.name || flag.startsWith(c.name + '-'));
}

/** The flag names in an argv (`--a=b`, `--a b`, `-a`), without values. */
export function flagNames(argv: readonly string[]): string[] {
  return argv.flatMap((token) => {
    const match = /^--?([a-zA-Z0-9][\w-]*)(?:=|$)/.exec(token);
    return match ? [match[1]!] : [];
  });
}

export interface DescribedCatalog {
  catalog: ComponentCatalog<ComponentDescription>;
  packages: PluginPackage[];
  problems: RepriseError[];
}

/**
 * Every usable component, described from the packages' manifest files alone: for --help and listing,
 * which never import plugin code. A package that cannot be described is reported and skipped.
 */
export function describeCatalog(warn = true): DescribedCatalog {
  const discovery = discoverPackages(userDataDir());
  const catalog = new ComponentCatalog<ComponentDescription>();
  const problems: RepriseError[] = [...discovery.problems];
  const described = new Map<PluginPackage, ComponentDescription[]>();
  for (const pkg of discovery.packages) {
    try {
      described.set(pkg, readComponentDescriptions(pkg));
    } catch (error) {
      problems.push(error as RepriseError);
    }
  }
  const runner = [...described.values()].flat().find((d) => d.name === 'middleware-script');
  for (const [pkg, descriptions] of described) {
    const scripts = pkg.manifest.components.filter((c) => c.script);
    if (scripts.length && !runner) continue;
    const all = [...descriptions, ...scripts.map((c) => describeScript(pkg, c, runner!))];
    try {
      const staged = new ComponentCatalog<ComponentDescription>();
      for (const description of all) staged.add(description, pkg.name);
      for (const description of all) catalog.add(description, pkg.name);
    } catch (error) {
      problems.push(error as RepriseError);
    }
  }
  if (warn) for (const problem of problems) process.stderr.write(`[reprise] warn: plugin not loaded: ${problem.message}\n`);
  return { catalog, packages: discovery.packages, problems };
}
