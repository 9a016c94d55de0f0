#!/usr/bin/env node
// Runs benchmark scenarios and writes each one's results into docs/BENCHMARKS.md.
//
//   node bench/run.js                  every scenario: each bench/*.js file (this one excepted)
//   node bench/run.js replay-http ...  only the scenarios named (by `name` or by file name)
//
// A scenario is a module whose default export is { name, title?, run() }, run() resolving to markdown.
// Each scenario owns one section of docs/BENCHMARKS.md, between
//   <!-- bench:NAME:start -->  and  <!-- bench:NAME:end -->
// A run replaces that section in place (or appends it); every other section is left as it was.
// A scenario that fails leaves its previous section untouched and makes the exit code 1.
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = import.meta.dirname;
const resultsFile = resolve(benchDir, '..', 'docs', 'BENCHMARKS.md');
const HEADER = `# Benchmarks

Written by \`node bench/run.js [scenario…]\` (\`npm run bench\` builds first). Each section is replaced
when its scenario runs again; numbers come from one run on the machine named in the section.
`;

/** Replaces (or appends) the section of scenario `name` in `document`. Pure, exported for tests. */
export function putSection(document, name, markdown) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from >= 0 && to > from) return document.slice(0, from) + block + document.slice(to + end.length);
  return `${document.trimEnd()}\n\n${block}\n`;
}

async function loadScenarios() {
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.js') && f !== 'run.js')
    .sort();
  const scenarios = [];
  for (const file of files) {
    const module = await import(pathToFileURL(join(benchDir, file)).href);
    const scenario = module.default;
    if (!scenario || typeof scenario.run !== 'function' || typeof scenario.name !== 'string') {
      console.error(`bench: ${file} has no default export { name, run() }; skipped`);
      continue;
    }
    scenarios.push({ ...scenario, file: basename(file, '.js') });
  }
  return scenarios;
}

async function main(requested) {
  const all = await loadScenarios();
  const chosen = requested.length ? all.filter((s) => requested.includes(s.name) || requested.includes(s.file)) : all;
  const unknown = requested.filter((r) => !all.some((s) => s.name === r || s.file === r));
  if (unknown.length) {
    console.error(`bench: no scenario named ${unknown.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`);
    process.exitCode = 1;
  }
  let failed = 0;
  for (const scenario of chosen) {
    console.error(`bench: running ${scenario.name}…`);
    try {
      const markdown = await scenario.run();
      const section = `## ${scenario.title ?? scenario.name}\n\n${markdown.trim()}`;
      console.log(`${section}\n`);
      mkdirSync(dirname(resultsFile), { recursive: true });
      const document = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : HEADER;
      writeFileSync(resultsFile, putSection(document, scenario.name, section));
    } catch (error) {
      failed++;
      console.error(`bench: ${scenario.name} failed: ${error?.stack ?? error}`);
    }
  }
  if (failed) process.exitCode = 1;
}

// Only as the entry point: importing this file (for putSection) must not start benchmarks.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
