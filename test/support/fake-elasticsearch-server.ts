import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP server on 127.0.0.1 that answers as Elasticsearch 8 does for what the output uses
 * (`GET /`, index templates, `_bulk`) and records what it receives. No Elasticsearch can be installed
 * on the project's machines: the tests and the benchmark index into this instead.
 */
export interface BulkItemError {
  status: number;
  error: { type: string; reason: string };
}

/** What the server answers one `_bulk` request: a whole-request status, or per-document outcomes. */
export type BulkReply =
  | { status: number; body?: unknown }
  | { itemError: (document: Record<string, unknown>, position: number) => BulkItemError | undefined };

export interface FakeElasticsearchOptions {
  /** Decides the answer to each `_bulk` request (numbered from 0); undefined: everything indexed. */
  onBulk?: (requestNumber: number, documents: Array<Record<string, unknown>>) => BulkReply | undefined;
  /** When set, requests without exactly this Authorization header get 401. */
  requiredAuthorization?: string;
  /** Answers `_bulk` requests this much later (a slow cluster). */
  bulkDelayMs?: number;
  /** Parse and keep every document (tests); off, only lines are counted (benchmark). */
  keepDocuments?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface IndexedDocument {
  index: string;
  document: Record<string, unknown>;
}

const PRODUCT_HEADERS = { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json' };

export class FakeElasticsearch {
  readonly requests: RecordedRequest[] = [];
  /** Documents answered as indexed (not those answered with an error). */
  readonly documents: IndexedDocument[] = [];
  readonly templates = new Map<string, Record<string, unknown>>();
  /** `_bulk` requests received, including those answered with an error. */
  bulkRequestCount = 0;
  /** Documents answered as indexed, counted even when not kept. */
  indexedCount = 0;
  private nextId = 0;
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: FakeElasticsearchOptions,
  ) {}

  static async start(options: FakeElasticsearchOptions = {}): Promise<FakeElasticsearch> {
    let fake: FakeElasticsearch | undefined;
    const server = createServer((req, res) => fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeElasticsearch(server, `http://127.0.0.1:${port}`, { keepDocuments: true, ...options });
    return fake;
  }

  /** The `_bulk` requests received, with their raw ndjson bodies. */
  get bulkRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/_bulk') || r.path.startsWith('/_bulk'));
  }

  async close(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      const method = req.method ?? 'GET';
      const isBulk = path === '/_bulk' || path.endsWith('/_bulk');
      // bulk bodies are recorded only when documents are kept (the benchmark sends megabytes)
      this.requests.push({ method, path, headers: req.headers, body: isBulk && !this.options.keepDocuments ? '' : body });
      const required = this.options.requiredAuthorization;
      if (required !== undefined && req.headers.authorization !== required) {
        return this.reply(res, 401, {
          error: { type: 'security_exception', reason: 'missing authentication credentials' },
          status: 401,
        });
      }
      if (isBulk && method === 'POST') {
        const delayMs = this.options.bulkDelayMs ?? 0;
        if (delayMs > 0) {
          const timer = setTimeout(() => {
            this.delayed.delete(timer);
            this.bulk(res, path, body);
          }, delayMs);
          this.delayed.add(timer);
        } else this.bulk(res, path, body);
        return;
      }
      const template = /^\/_index_template\/([^/]+)$/.exec(path);
      if (template) {
        const name = decodeURIComponent(template[1]!);
        if (method === 'HEAD') return this.reply(res, this.templates.has(name) ? 200 : 404, undefined);
        if (method === 'PUT') {
          this.templates.set(name, JSON.parse(body) as Record<string, unknown>);
          return this.reply(res, 200, { acknowledged: true });
        }
      }
      if (path === '/' && (method === 'GET' || method === 'HEAD')) {
        return this.reply(res, 200, {
          name: 'fake',
          cluster_name: 'reprise-test',
          version: { number: '8.19.0', build_flavor: 'default' },
          tagline: 'You Know, for Search',
        });
      }
      this.reply(res, 404, { error: { type: 'resource_not_found_exception', reason: `${method} ${path}` }, status: 404 });
    });
  }

  private bulk(res: ServerResponse, path: string, body: string): void {
    const number = this.bulkRequestCount++;
    const defaultIndex = path === '/_bulk' ? undefined : decodeURIComponent(path.slice(1, -'/_bulk'.length));
    if (!this.options.keepDocuments && this.options.onBulk === undefined) {
      // benchmark path: count the pairs of lines, answer every one indexed
      let lines = 0;
      for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) lines++;
      const count = Math.floor(lines / 2);
      this.indexedCount += count;
      const item = { index: { _index: defaultIndex ?? 'index', _id: 'x', status: 201, result: 'created' } };
      this.reply(res, 200, { took: 1, errors: false, items: Array.from({ length: count }, () => item) });
      return;
    }
    const lines = body.split('\n').filter((line) => line !== '');
    const pairs: Array<{ index: string; document: Record<string, unknown> }> = [];
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as { index?: { _index?: string } };
      pairs.push({ index: action.index?._index ?? defaultIndex ?? '', document: JSON.parse(lines[i + 1]!) });
    }
    const reply = this.options.onBulk?.(
      number,
      pairs.map((p) => p.document),
    );
    if (reply !== undefined && 'status' in reply) {
      this.reply(res, reply.status, reply.body ?? { error: { type: 'fake_error', reason: `HTTP ${reply.status}` }, status: reply.status });
      return;
    }
    let hasErrors = false;
    const items = pairs.map((pair, position) => {
      const failure = reply?.itemError(pair.document, position);
      if (failure !== undefined) {
        hasErrors = true;
        return { index: { _index: pair.index, _id: null, status: failure.status, error: failure.error } };
      }
      this.indexedCount++;
      if (this.options.keepDocuments) this.documents.push(pair);
      return { index: { _index: pair.index, _id: String(this.nextId++), _version: 1, result: 'created', status: 201 } };
    });
    this.reply(res, 200, { took: 1, errors: hasErrors, items });
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...PRODUCT_HEADERS, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}
