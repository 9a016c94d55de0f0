/** Builds the component catalog a command needs, importing only the plugin packages it uses. */
import { SETTINGS_FLAGS, type ComponentCatalog, type RepriseError } from '@reprise/core';
import { userDataDir } from './data-dir.js';
import { discoverPackages, loadPackages, packagesForFlags, type PluginPackage } from './discover.js';

const SETTING_NAMES = new Set(SETTINGS_FLAGS.map((s) => s.flag));

export type Need = { all: true } | { flags: string[] } | { components: string[] };

export interface LoadedCatalog {
  catalog: ComponentCatalog;
  packages: PluginPackage[];
  loaded: Map<PluginPackage, string[]>;
  problems: RepriseError[];
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
  return { catalog, packages: discovery.packages, loaded, problems: all };
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
