import { readFileSync } from 'node:fs';
import { Client, type BaseConnection } from '@elastic/elasticsearch';
import { hidePassword, RepriseError, type Message, type OutputInstance, type PluginContext } from '@reprise/core';
import { resolveCredentials } from './credentials.js';
import { exchangeToDocument, type DocumentOptions, type EsDocument } from './document.js';
import { DocumentQueue } from './document-queue.js';
import { parseIndexAddress, validateIndexPattern } from './index-address.js';
import { IndexNamer } from './index-name.js';
import { ExchangeJoin, type Exchange } from './join.js';
import type { ElasticsearchSettings } from './options.js';
import { REQUEST_FAILED_ERROR_TYPE, retryingTransportClass } from './retrying-transport.js';
import { indexTemplateFor, type IndexTemplate } from './template.js';

/**
 * What an embedder may supply instead of the defaults: the client's connection class (a proxying one,
 * or @elastic/elasticsearch-mock's, the client's own way to be tested without a cluster) and the
 * environment the credentials are read from (process.env by default).
 */
export interface OutputDependencies {
  Connection?: typeof BaseConnection;
  env?: Readonly<Record<string, string | undefined>>;
}

// The index of a document rides on it under a symbol: JSON.stringify skips symbol keys, so it is
// never indexed, and no wrapper object is allocated per document.
const INDEX = Symbol('index');
type QueuedDocument = EsDocument & { [INDEX]?: string };

const MAX_BACKOFF_MS = 30_000;
const MAX_REASON_COUNTERS = 10;

interface Session {
  queue: DocumentQueue<QueuedDocument>;
  done: Promise<void>;
  helper?: { abort(): unknown; readonly stats: { successful: number; failed: number } };
  reportedSuccessful: number;
}

/**
 * The Elasticsearch output: joins each request with its responses (join.ts), turns the exchange into
 * a document (document.ts) and feeds the client's bulk helper through a bounded queue.
 * Elasticsearch being slow holds the pipeline back; Elasticsearch being down never stops it: once the
 * queue is full, documents are dropped and counted until Elasticsearch answers again.
 */
export class ElasticsearchOutput implements OutputInstance {
  private readonly client: Client;
  private readonly join: ExchangeJoin;
  private readonly namer: IndexNamer;
  private readonly documentOptions: DocumentOptions;
  private readonly template: IndexTemplate;
  private readonly closing = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly scratch: Exchange[] = [];
  private readonly actions = new Map<string, { index: { _index: string } }>();
  private readonly reasonCounts = new Map<string, { count: number; example: string }>();
  private session: Session | undefined;
  /** `failed`: Elasticsearch was unreachable, try again when it answers; `refused`: it said no, do not insist. */
  private templateState: 'pending' | 'ready' | 'failed' | 'refused' = 'pending';
  private templateReady: Promise<void>;
  private isUnavailable = false;
  private hasSeenReplayed = false;
  private hasWarnedNoReplayed = false;
  private isClosed = false;
  private lastUnavailableReason = '';
  readonly indexPattern: string;
  readonly node: string;

  constructor(
    value: string,
    private readonly settings: ElasticsearchSettings,
    private readonly ctx: PluginContext,
    deps: OutputDependencies = {},
    /** `replayed-only` (output-http-elasticsearch): original responses are ignored. */
    private readonly accepts: 'all' | 'replayed-only' = 'all',
  ) {
    const component = ctx.component;
    const address = parseIndexAddress(value, component);
    if (settings.indexPattern !== undefined) validateIndexPattern(settings.indexPattern, component);
    this.indexPattern = settings.indexPattern ?? address.index;
    this.node = address.node;
    const { credentials, source } = resolveCredentials({
      credentialsFile: settings.credentialsFile,
      env: deps.env ?? process.env,
      address,
      component,
    });
    const tls: { ca?: Buffer; rejectUnauthorized?: boolean } = {};
    if (settings.caFile !== undefined) {
      try {
        tls.ca = readFileSync(settings.caFile);
      } catch (error) {
        throw new RepriseError('RPR_CONFIG_INVALID', `CA file ${settings.caFile} cannot be read`, {
          plugin: component,
          option: 'caFile',
          cause: error,
        });
      }
    }
    if (settings.skipVerify) tls.rejectUnauthorized = false;
    try {
      this.client = new Client({
        node: address.node,
        auth: credentials,
        tls: tls.ca !== undefined || tls.rejectUnauthorized === false ? tls : undefined,
        maxRetries: 0,
        requestTimeout: settings.timeoutMs,
        Transport: retryingTransportClass(
          { retries: settings.retries, backoffMs: settings.retryBackoffMs, maxBackoffMs: MAX_BACKOFF_MS },
          {
            signal: this.closing.signal,
            onOutcome: (isAvailable, reason) => this.onOutcome(isAvailable, reason),
            onRetry: () => ctx.stats.add('es-retried'),
          },
        ),
        ...(deps.Connection ? { Connection: deps.Connection } : {}),
      });
    } catch (error) {
      throw new RepriseError('RPR_CONFIG_INVALID', `cannot create the Elasticsearch client: ${(error as Error).message}`, {
        plugin: component,
        cause: error,
      });
    }
    this.join = new ExchangeJoin({
      windowMs: settings.joinWindowMs,
      maxPending: settings.joinMaxPending,
      responses: settings.responses,
    });
    this.namer = new IndexNamer(this.indexPattern);
    this.documentOptions = {
      includeBodies: settings.includeBodies,
      bodyLimitBytes: settings.bodyLimitBytes,
      keepSensitiveHeaders: settings.keepSensitiveHeaders,
    };
    this.template = indexTemplateFor(this.indexPattern);
    ctx.logger.info(
      `indexing into ${hidePassword(address.node)} index ${this.indexPattern} (credentials: ${source === 'none' ? 'none' : `from ${source}`})`,
    );
    this.templateReady = this.ensureTemplate();
    // Requests whose responses never come are released by time, even when no batch arrives.
    const tickMs = Math.min(1000, Math.max(20, Math.floor(settings.joinWindowMs / 4)));
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  write(batch: readonly Message[]): void | Promise<void> {
    const out = this.scratch;
    out.length = 0;
    const now = Date.now();
    const isReplayedOnly = this.accepts === 'replayed-only';
    for (let i = 0; i < batch.length; i++) {
      const message = batch[i]!;
      if (message.kind === 'replayed-response') this.hasSeenReplayed = true;
      else if (isReplayedOnly && message.kind === 'response') continue;
      this.join.add(message, now, out);
    }
    this.join.expire(now, out);
    const session = this.currentSession();
    this.enqueue(out, session, true);
    out.length = 0;
    if (session.queue.isFull && !this.isUnavailable) return session.queue.whenSpace();
  }

  async flush(): Promise<void> {
    const out: Exchange[] = [];
    this.join.drain(out);
    const session = this.session;
    if (session === undefined && out.length === 0) return;
    const current = session ?? this.currentSession();
    this.enqueue(out, current, false);
    this.session = undefined;
    current.queue.end();
    await current.done;
    this.reportSummary();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.timer);
    // close after flush is the normal case; close without flush (or during one) abandons what is left
    this.closing.abort();
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) {
      const out: Exchange[] = [];
      this.join.drain(out);
      this.enqueue(out, session, false);
      session.queue.end();
      session.helper?.abort();
      await session.done;
      this.reportSummary();
    }
    await this.client.close();
  }

  private currentSession(): Session {
    if (this.session !== undefined) return this.session;
    const queue = new DocumentQueue<QueuedDocument>(this.settings.queueLimit);
    const session: Session = { queue, done: Promise.resolve(), reportedSuccessful: 0 };
    // The first bulk waits for the template, so the index is created with its mappings.
    session.done = this.templateReady.then(() => this.runHelper(session));
    this.session = session;
    return session;
  }

  private async runHelper(session: Session): Promise<void> {
    const { settings } = this;
    if (this.isClosed && session.queue.length === 0) return;
    const helper = this.client.helpers.bulk<QueuedDocument>({
      datasource: session.queue,
      onDocument: (doc) => this.actionFor(doc[INDEX]!),
      flushBytes: settings.flushBytes,
      flushInterval: settings.flushIntervalMs,
      concurrency: settings.concurrency,
      retries: settings.retries,
      wait: settings.retryBackoffMs,
      onDrop: (dropped) => this.onDrop(dropped.status, dropped.error, dropped.retried),
    });
    session.helper = helper;
    let failure: unknown;
    try {
      await helper;
    } catch (error) {
      failure = error;
    }
    this.reportIndexed(session);
    // Documents the helper took but neither indexed nor dropped (it aborted), and those it never took.
    const unfinished = session.queue.takenCount - helper.stats.successful - helper.stats.failed;
    const untaken = session.queue.takeAll().length;
    const lost = unfinished + untaken;
    if (lost > 0) {
      if (failure === undefined) this.countFailed('es-not-sent', 'closed', 'the output was closed before they were sent', lost);
      else this.countFailed('es-unavailable', 'helper_failed', `bulk indexing failed: ${(failure as Error).message}`, lost);
    }
    if (failure !== undefined) this.ctx.logger.error(`bulk indexing stopped: ${(failure as Error).message}`);
  }

  private enqueue(exchanges: readonly Exchange[], session: Session, mayDrop: boolean): void {
    const queue = session.queue;
    for (let i = 0; i < exchanges.length; i++) {
      const exchange = exchanges[i]!;
      if (exchange.request === undefined) {
        this.ctx.stats.add('es-orphan-responses');
        continue;
      }
      if (this.accepts === 'replayed-only' && !this.hasSeenReplayed && !this.hasWarnedNoReplayed) {
        this.hasWarnedNoReplayed = true;
        this.ctx.logger.warn(
          'no replayed response has arrived: requests are indexed without one (does output-http track responses? --output-http-track-response)',
        );
      }
      const doc = exchangeToDocument(exchange, this.documentOptions) as QueuedDocument | undefined;
      if (doc === undefined) {
        this.countFailed('es-unparsable', 'unparsable_request', 'the request has no readable HTTP head', 1);
        continue;
      }
      if (mayDrop && this.isUnavailable && queue.isFull) {
        this.countFailed(
          'es-unavailable',
          'queue_full',
          `Elasticsearch unreachable and the queue is full (${this.lastUnavailableReason})`,
          1,
        );
        continue;
      }
      doc[INDEX] = this.namer.nameAt(Number(exchange.request.timestamp / 1_000_000n));
      queue.push(doc);
    }
  }

  private actionFor(index: string): { index: { _index: string } } {
    let action = this.actions.get(index);
    if (action === undefined) {
      action = { index: { _index: index } };
      this.actions.set(index, action);
    }
    return action;
  }

  private tick(): void {
    const out = this.scratch;
    out.length = 0;
    this.join.expire(Date.now(), out);
    if (out.length > 0) this.enqueue(out, this.currentSession(), true);
    out.length = 0;
    if (this.session !== undefined) this.reportIndexed(this.session);
    if (this.join.evictedCount > 0) {
      this.ctx.stats.add('es-join-evicted', this.join.evictedCount);
      this.join.evictedCount = 0;
    }
  }

  private reportIndexed(session: Session): void {
    const successful = session.helper?.stats.successful ?? 0;
    if (successful > session.reportedSuccessful) {
      this.ctx.stats.add('es-indexed', successful - session.reportedSuccessful);
      session.reportedSuccessful = successful;
    }
  }

  private onDrop(status: number, error: { type?: string; reason?: string | null } | null, isRetried: boolean): void {
    if (error?.type === REQUEST_FAILED_ERROR_TYPE) {
      const counter = status >= 500 ? 'es-unavailable' : 'es-rejected';
      const reason = error.reason ?? `HTTP ${status}`;
      // the transport writes `HTTP <status>: …` when Elasticsearch answered, `<ErrorName>: …` when not
      this.countFailed(counter, reason.startsWith('HTTP ') ? `http_${status}` : 'unreachable', reason, 1);
    } else if (status === 429) {
      this.countFailed('es-rejected', 'too_many_requests', `429 Too Many Requests${isRetried ? ' after retries' : ''}`, 1);
    } else {
      const type = error?.type ?? `status_${status}`;
      this.countFailed('es-rejected', type, `${status} ${type}: ${error?.reason ?? ''}`.trim(), 1);
    }
  }

  /** Counts failed documents under `failed`, their kind and their reason; logs each new reason once. */
  private countFailed(counter: string, reasonType: string, reason: string, n: number): void {
    this.ctx.stats.add('failed', n);
    this.ctx.stats.add(counter, n);
    let entry = this.reasonCounts.get(reasonType);
    if (entry === undefined) {
      entry = { count: 0, example: reason };
      this.reasonCounts.set(reasonType, entry);
      this.ctx.logger.warn(`documents not indexed (${counter}): ${reason}`);
    }
    entry.count += n;
    const reasonCounter = this.reasonCounts.size <= MAX_REASON_COUNTERS ? `es-failed:${reasonType}` : 'es-failed:other';
    this.ctx.stats.add(reasonCounter, n);
  }

  private reportSummary(): void {
    if (this.reasonCounts.size === 0) return;
    const parts = [...this.reasonCounts].map(([type, { count }]) => `${count} ${type}`);
    this.ctx.logger.warn(`documents not indexed: ${parts.join(', ')}`);
    this.reasonCounts.clear();
  }

  private onOutcome(isAvailable: boolean, reason?: string): void {
    if (isAvailable) {
      if (this.isUnavailable) this.ctx.logger.info('Elasticsearch answers again');
      this.isUnavailable = false;
      if (this.templateState === 'failed') this.templateReady = this.ensureTemplate();
      return;
    }
    if (reason?.startsWith('HTTP 4') && !reason.startsWith('HTTP 429')) return;
    if (!this.isUnavailable) this.ctx.logger.warn(`Elasticsearch unreachable: ${reason ?? 'unknown reason'}`);
    this.isUnavailable = true;
    this.lastUnavailableReason = reason ?? 'unknown reason';
    // writers waiting for space would wait for retries to time out: let them drop instead
    this.session?.queue.wakeWriters();
  }

  /** Creates the index template when it is missing. Never throws: indexing goes on without it. */
  private async ensureTemplate(): Promise<void> {
    this.templateState = 'pending';
    const { name, body } = this.template;
    try {
      const exists = await this.client.indices.existsIndexTemplate({ name });
      if (!exists) {
        await this.client.indices.putIndexTemplate({ name, ...body });
        this.ctx.logger.info(`created index template ${name} for ${body.index_patterns.join(', ')}`);
      }
      this.templateState = 'ready';
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      const isRefused = (error as Error).name === 'ResponseError' && status !== undefined && status < 500 && status !== 429;
      this.templateState = isRefused ? 'refused' : 'failed';
      this.ctx.stats.add('es-template-failed');
      this.ctx.logger.warn(
        `index template ${name} could not be checked or created (${(error as Error).message}); indices created meanwhile get dynamic mappings`,
      );
    }
  }
}
