#!/usr/bin/env node
// The build's last step, after tsc: writes each first-party plugin package's reprise.manifest.json
// (its components' summaries and option schemas) from its built code, so --help and listing never
// import plugin code; and copies the plugin catalog (plugins.json) into the CLI package, which ships it.
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeComponentManifest } from '../packages/cli/dist/component-manifest.js';

const root = resolve(import.meta.dirname, '..');
for (const workspace of JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces) {
  const dir = join(root, workspace);
  if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).reprise === undefined) continue;
  await writeComponentManifest(dir);
}
copyFileSync(join(root, 'plugins.json'), join(root, 'packages/cli/plugins.json'));
