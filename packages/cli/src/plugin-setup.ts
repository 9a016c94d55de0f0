/**
 * What `reprise plugins install` and `link` do around oclif's installer: refuse dependencies' install
 * scripts unless allowed, and, once a plugin is in place, give it core and a reprise.manifest.json.
 */
import { Flags } from '@oclif/core';
import { userDataDir } from './data-dir.js';
import { readComponentDescriptions, writeComponentManifest } from './component-manifest.js';
import { discoverPackages } from './discover.js';

export const allowScriptsFlag = Flags.boolean({
  summary: "Run the install scripts of the plugin's dependencies (npm's preinstall/install/postinstall).",
  description:
    'Off by default: a native dependency that needs a build step then fails to load, and says so. Allow only for plugins you trust.',
  default: false,
});

/**
 * Removes --allow-scripts from the arguments (oclif's command parses them with its own flags, which
 * do not have it) and says whether it was there.
 */
export function takeAllowScripts(argv: string[]): boolean {
  const index = argv.indexOf('--allow-scripts');
  if (index < 0) return false;
  argv.splice(index, 1);
  return true;
}

/** npm reads its config from the environment of the process oclif spawns it from. */
export function applyScriptPolicy(isAllowed: boolean): void {
  if (isAllowed) delete process.env.npm_config_ignore_scripts;
  else process.env.npm_config_ignore_scripts = 'true';
}

/** Writes the manifest file of every installed or linked plugin that lacks a current one; returns what failed. */
export async function describeUserPlugins(): Promise<string[]> {
  const failures: string[] = [];
  for (const pkg of discoverPackages(userDataDir()).packages.filter((p) => p.source !== 'built-in')) {
    try {
      readComponentDescriptions(pkg);
    } catch {
      try {
        await writeComponentManifest(pkg.root);
      } catch (error) {
        failures.push(`${pkg.name}: ${(error as Error).message}`);
      }
    }
  }
  return failures;
}

/**
 * Runs oclif's install or link with reprise's additions: the script policy from --allow-scripts before,
 * the manifest files of new plugins after (a plugin that cannot be described is a warning).
 */
export async function installWithPolicy<T>(argv: string[], warn: (message: string) => void, install: () => Promise<T>): Promise<T> {
  applyScriptPolicy(takeAllowScripts(argv));
  const result = await install();
  for (const failure of await describeUserPlugins()) warn(`cannot describe ${failure}`);
  return result;
}
