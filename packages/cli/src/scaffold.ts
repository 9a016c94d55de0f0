/**
 * `reprise plugins init DIR --kind …`: a TypeScript plugin package that builds and tests outside this
 * repository. It depends on this CLI's own @reprise/core by a file: reference (core is provided to
 * plugins by the host at run time, so it is also a peer), and tests with the @reprise/core/testing kit.
 * It also depends on this CLI by a file: reference, so that its build can write reprise.manifest.json
 * with `reprise plugins manifest` (and `npx reprise` in its folder is this reprise).
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_API_VERSION, makeDirectoriesSync, RepriseError } from '@reprise/core';

export type ScaffoldKind = 'input' | 'output' | 'middleware' | 'script';

const require = createRequire(import.meta.url);
const packageRoot = (name: string) => dirname(require.resolve(`${name}/package.json`));
const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The component name for a plugin folder: `input-<name>`, `output-<name>`, or the name for middleware. */
export function componentNameFor(kind: ScaffoldKind, dir: string): string {
  const base =
    basename(resolve(dir))
      .toLowerCase()
      .replace(/^reprise-plugin-/, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'example';
  if (!/^[a-z]/.test(base))
    throw new RepriseError(
      'RPR_CONFIG_INVALID',
      `the folder name "${basename(resolve(dir))}" must start with a letter: it names the component`,
    );
  if (kind === 'input' || kind === 'output') return base.startsWith(`${kind}-`) ? base : `${kind}-${base}`;
  return base.startsWith('middleware-') ? base : `middleware-${base}`;
}

export function scaffoldPlugin(dir: string, kind: ScaffoldKind): { root: string; component: string; files: string[] } {
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new RepriseError('RPR_CONFIG_INVALID', `${root} is not empty: init writes a new plugin into an empty or new folder`);
  }
  const component = componentNameFor(kind, dir);
  const files = kind === 'script' ? scriptFiles(component) : codeFiles(kind, component);
  files['package.json'] = JSON.stringify(packageJson(kind, component, basename(root)), null, 2) + '\n';
  files['README.md'] = readme(kind, component, basename(root));
  files['.gitignore'] = 'node_modules/\ndist/\n*.tgz\n';
  for (const [path, text] of Object.entries(files)) {
    makeDirectoriesSync(dirname(join(root, path)));
    writeFileSync(join(root, path), text);
  }
  return { root, component, files: Object.keys(files).sort() };
}

function packageJson(kind: ScaffoldKind, component: string, folder: string): object {
  const name = folder.startsWith('reprise-plugin-') ? folder : `reprise-plugin-${component.replace(/^(input|output|middleware)-/, '')}`;
  const isScript = kind === 'script';
  return {
    name,
    version: '0.1.0',
    description: `A reprise ${kind} plugin (${component}).`,
    type: 'module',
    keywords: ['reprise-plugin'],
    license: 'MIT',
    engines: { node: '>=20.18.1' },
    ...(isScript ? {} : { main: './dist/src/index.js', exports: { '.': './dist/src/index.js', './package.json': './package.json' } }),
    // A script-only plugin has no code to describe: reprise needs no reprise.manifest.json for it.
    files: isScript ? ['script.js'] : ['dist/src', 'reprise.manifest.json'],
    reprise: {
      coreVersion: `^${CORE_API_VERSION}`,
      ...(isScript ? {} : { entry: './dist/src/index.js' }),
      components: [isScript ? { kind: 'middleware', name: component, script: './script.js' } : { kind, name: component }],
    },
    oclif: {},
    // The build writes reprise.manifest.json (listed in "files"), so a packed plugin ships it.
    scripts: isScript
      ? { test: 'node --no-node-snapshot --test test/' }
      : { build: 'tsc && reprise plugins manifest .', test: 'npm run build && node --test dist/test/', prepack: 'npm run build' },
    peerDependencies: { '@reprise/core': `^${CORE_API_VERSION}` },
    peerDependenciesMeta: { '@reprise/core': { optional: true } },
    devDependencies: {
      '@reprise/core': `file:${packageRoot('@reprise/core')}`,
      '@reprise/cli': `file:${cliRoot}`,
      ...(isScript
        ? { '@reprise/plugin-middleware': `file:${packageRoot('@reprise/plugin-middleware')}` }
        : { typescript: '~5.9.3', '@types/node': '^20.19.0' }),
    },
  };
}

const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "skipLibCheck": true,
    "outDir": "dist",
    "rootDir": ".",
    "types": ["node"]
  },
  "include": ["src", "test"]
}
`;

function codeFiles(kind: 'input' | 'output' | 'middleware', component: string): Record<string, string> {
  const sources = { input: inputSource, output: outputSource, middleware: middlewareSource };
  const tests = { input: inputTest, output: outputTest, middleware: middlewareTest };
  return { 'tsconfig.json': TSCONFIG, 'src/index.ts': sources[kind](component), [`test/${component}.test.ts`]: tests[kind](component) };
}

const inputSource = (name: string) => `import { defineInput, newMessageId, nowNanoseconds, type Message } from '@reprise/core';

/** Generates GET requests; replace with your source (a queue, a log, an API). */
export const input = defineInput({
  kind: 'input',
  name: '${name}',
  summary: 'Generate GET requests (a starting point: replace with your source).',
  value: { placeholder: 'count', description: 'how many requests to generate', example: '10' },
  options: {
    type: 'object',
    properties: {
      path: { type: 'string', default: '/', description: 'Path of the generated requests', examples: ['/health'] },
    },
  },
  create(value, options, ctx) {
    const count = Number(value);
    if (!Number.isInteger(count) || count < 0) throw new Error(\`the count must be a whole number, not "\${value}"\`);
    const encoder = new TextEncoder();
    return {
      async *read(): AsyncIterable<Message[]> {
        for (let i = 0; i < count && !ctx.signal.aborted; i++) {
          const payload = encoder.encode(\`GET \${options.path} HTTP/1.1\\r\\nHost: localhost\\r\\nX-Sequence: \${i}\\r\\n\\r\\n\`);
          yield [{ kind: 'request', id: newMessageId(), timestamp: nowNanoseconds(), latency: 0n, payload }];
        }
      },
    };
  },
});

export default [input];
`;

const inputTest = (name: string) => `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHttpHead } from '@reprise/core';
import { createRecordingContext, validatedOptions } from '@reprise/core/testing';
import { input } from '../src/index.js';

test('${name} generates the requested number of requests on the configured path', async () => {
  const ctx = createRecordingContext('${name}');
  const instance = await input.create('3', validatedOptions(input, { path: '/health' }), ctx);
  const paths: string[] = [];
  for await (const batch of instance.read()) for (const message of batch) paths.push(parseHttpHead(message.payload)!.startLine[1]);
  assert.deepEqual(paths, ['/health', '/health', '/health']);
});

test('${name} refuses a count that is not a whole number', () => {
  assert.throws(() => input.create('many', validatedOptions(input), createRecordingContext('${name}')), /whole number/);
});
`;

const outputSource = (name: string) => `import { appendFile } from 'node:fs/promises';
import { defineOutput, parseHttpHead, type Message } from '@reprise/core';

/** Appends one line per message (kind, id, start line) to a file. */
export const output = defineOutput({
  kind: 'output',
  name: '${name}',
  summary: 'Append one line per message to a file (a starting point).',
  value: { placeholder: 'path', description: 'the file to append to', example: 'messages.txt' },
  rate: 'core',
  options: {
    type: 'object',
    properties: {
      requestsOnly: { type: 'boolean', default: false, description: 'Only requests, not responses', examples: [true] },
    },
  },
  create(value, options, ctx) {
    const path = value!;
    let pending: Promise<void> = Promise.resolve();
    const line = (m: Message) => \`\${m.kind} \${m.id} \${parseHttpHead(m.payload)?.startLine.join(' ') ?? '(no HTTP head)'}\\n\`;
    return {
      write(batch) {
        const chosen = options.requestsOnly ? batch.filter((m) => m.kind === 'request') : batch;
        // A failed write is counted, not thrown: one bad batch must not stop the pipeline.
        pending = pending.then(() => appendFile(path, chosen.map(line).join(''))).catch((error) => {
          ctx.stats.add('failed', chosen.length);
          ctx.logger.warn(\`cannot append to \${path}: \${(error as Error).message}\`);
        });
      },
      flush: () => pending,
    };
  },
});

export default [output];
`;

const outputTest = (name: string) => `import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { newMessageId, type Message } from '@reprise/core';
import { createRecordingContext, validatedOptions } from '@reprise/core/testing';
import { output } from '../src/index.js';

const message = (kind: Message['kind'], text: string): Message => ({ kind, id: newMessageId(), timestamp: 1n, latency: 0n, payload: new TextEncoder().encode(text) });

test('${name} appends one line per request when requestsOnly is set', async () => {
  const path = join(mkdtempSync(join(tmpdir(), '${name}-')), 'out.txt');
  const ctx = createRecordingContext('${name}');
  const instance = await output.create(path, validatedOptions(output, { requestsOnly: true }), ctx);
  await instance.write([message('request', 'GET /a HTTP/1.1\\r\\n\\r\\n'), message('response', 'HTTP/1.1 200 OK\\r\\n\\r\\n')]);
  await instance.flush!();
  assert.match(readFileSync(path, 'utf8'), /^request [0-9a-f]{24} GET \\/a HTTP\\/1\\.1\\n$/);
});

test('${name} counts a failed write instead of throwing', async () => {
  const ctx = createRecordingContext('${name}');
  const instance = await output.create('/nonexistent-folder/out.txt', validatedOptions(output), ctx);
  await instance.write([message('request', 'GET / HTTP/1.1\\r\\n\\r\\n')]);
  await instance.flush!();
  assert.equal(ctx.counters.get('failed'), 1);
});
`;

const middlewareSource = (name: string) => `import { defineMiddleware, parseHttpHead, type Message } from '@reprise/core';

/** Adds a header to every request (a starting point for a rewrite). */
export const middleware = defineMiddleware({
  kind: 'middleware',
  name: '${name}',
  summary: 'Add a header to every request (a starting point).',
  enabledBy: 'options',
  rate: 'none',
  options: {
    type: 'object',
    properties: {
      header: { type: 'string', pattern: '^[!#$%&*+.^_|~0-9A-Za-z-]+: [^\\\\r\\\\n]*$', default: 'X-Replayed: true', description: 'The header line to add', examples: ['X-Env: staging'] },
    },
  },
  create(_value, options) {
    const encoder = new TextEncoder();
    const line = encoder.encode(\`\${options.header}\\r\\n\`);
    const withHeader = (m: Message): Message => {
      const head = parseHttpHead(m.payload);
      if (m.kind !== 'request' || !head) return m;
      // The blank line ends the head: insert the header just before it.
      const blank = m.payload[head.bodyOffset - 2] === 13 ? head.bodyOffset - 2 : head.bodyOffset - 1;
      const payload = new Uint8Array(m.payload.length + line.length);
      payload.set(m.payload.subarray(0, blank));
      payload.set(line, blank);
      payload.set(m.payload.subarray(blank), blank + line.length);
      return { ...m, payload };
    };
    return { process: (batch) => batch.map(withHeader) };
  },
});

export default [middleware];
`;

const middlewareTest = (name: string) => `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerValue, newMessageId, parseHttpHead, validateOptions } from '@reprise/core';
import { createRecordingContext, validatedOptions } from '@reprise/core/testing';
import { middleware } from '../src/index.js';

test('${name} adds its header to requests and keeps the body', async () => {
  const instance = await middleware.create(undefined, validatedOptions(middleware, { header: 'X-Env: staging' }), createRecordingContext('${name}'));
  const payload = new TextEncoder().encode('POST /a HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2\\r\\n\\r\\nhi');
  const [out] = await instance.process([{ kind: 'request', id: newMessageId(), timestamp: 1n, latency: 0n, payload }]);
  const head = parseHttpHead(out!.payload)!;
  assert.equal(headerValue(head.headers, 'x-env'), 'staging');
  assert.equal(new TextDecoder().decode(out!.payload.subarray(head.bodyOffset)), 'hi');
});

test('${name} refuses a header line with a line break', () => {
  assert.throws(() => validateOptions(middleware, { header: 'X-A: 1\\r\\nX-B: 2' }), /must match pattern/);
});
`;

function scriptFiles(component: string): Record<string, string> {
  return {
    'script.js': `// A sandboxed middleware script: runs in its own isolate (see reprise's SCRIPTS.md for the API).
export function request(req) {
  if (req.path.startsWith('/admin')) return null;  // never replay admin calls
  req.headers.set('X-Env', 'staging');
  return req;
}
`,
    [`test/${component}.test.js`]: `import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { newMessageId } from '@reprise/core';
import { runMiddlewareTest } from '@reprise/plugin-middleware';

const script = fileURLToPath(new URL('../script.js', import.meta.url));
const request = (text) => ({ kind: 'request', id: newMessageId(), timestamp: 1n, latency: 0n, payload: new TextEncoder().encode(text) });

test('the script drops /admin and marks the rest for staging, in the real sandbox', () => {
  const report = runMiddlewareTest(script, [request('GET /admin/users HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'), request('GET /a HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')], {});
  assert.deepEqual(report.results.map((r) => r.outcome), ['dropped', 'changed']);
});
`,
  };
}

function readme(kind: ScaffoldKind, component: string, folder: string): string {
  const run = {
    input: `reprise --${component} 10 --output-stdout`,
    output: `reprise --input-dummy 5 --${component} messages.txt`,
    middleware: `reprise --input-dummy 5 --${component}-header "X-Env: staging" --output-stdout`,
    script: `reprise --input-dummy 5 --${component} --output-stdout`,
  }[kind];
  return `# ${folder}

A reprise ${kind} plugin providing \`${component}\`, made by \`reprise plugins init\`.

\`\`\`sh
npm install
npm test                          # ${kind === 'script' ? 'the script in the real sandbox' : 'builds (dist/ and reprise.manifest.json), then runs the unit tests on @reprise/core/testing'}
npx reprise plugins validate .    # what reprise checks when it loads the plugin
npx reprise plugins link .        # use it from this folder
${run}
\`\`\`

\`npx reprise\` here is the reprise that made this folder (a devDependency by a \`file:\` reference, like
\`@reprise/core\`). Publish with \`npm publish\`${kind === 'script' ? '' : ' (its prepack script runs the build, which writes reprise.manifest.json)'}; users install it with
\`reprise plugins install ${folder}\`. See reprise's docs/PLUGINS.md for the contract.
`;
}
