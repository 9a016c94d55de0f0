/**
 * Types of the middleware script API (`--middleware-script FILE`), for editors and type checking.
 * The reference is SCRIPTS.md beside this file. In a JavaScript script:
 *
 *   /// <reference types="@reprise/plugin-middleware/script-api" />
 *   // @ts-check
 *   /** @param {reprise.Request} req *\/
 *   export function request(req) { req.headers.set('X-Env', 'staging'); return req; }
 *
 * or in TypeScript: `export function request(req: reprise.Request): reprise.HookResult { … }`.
 * The globals a script has besides JavaScript's built-ins: `store` and `console` (no timers, no I/O).
 */
declare namespace reprise {
  /** What `store` keeps: JSON values (copied in and out, never shared). */
  type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

  /**
   * A key-value store kept by reprise for this script. It survives a rebuild of the script's isolate
   * (after a timeout or an exhausted heap), which resets module state. Bounded: 10,000 keys and
   * 1,000,000 characters of keys and JSON; a `set` past a bound throws a RangeError and writes nothing.
   */
  interface Store {
    get(key: string): Json | undefined;
    /** Throws a TypeError for a value JSON cannot hold (undefined, a function, a symbol, a BigInt). */
    set(key: string, value: Json): void;
    has(key: string): boolean;
    /** True when the key was there. */
    delete(key: string): boolean;
  }

  /** Header names are case-insensitive; order is kept. Setting a name that is not a token, or a value with a control character other than tab (CR, LF, NUL, ...), throws an InvalidFieldError. */
  interface Headers extends Iterable<[string, string]> {
    /** The first value, or null. Values read as UTF-8 text; one whose bytes are not UTF-8 reads one char per byte (Latin-1), and set back goes out as UTF-8. */
    get(name: string): string | null;
    getAll(name: string): string[];
    has(name: string): boolean;
    /** Replaces every header of that name (keeping the first one's place) or appends it. */
    set(name: string, value: string | number): void;
    append(name: string, value: string | number): void;
    /** True when a header was removed. */
    delete(name: string): boolean;
    keys(): string[];
    entries(): Array<[string, string]>;
  }

  /** The query string of a request, decoded. Changing it rewrites `url`. */
  interface Query {
    get(name: string): string | null;
    getAll(name: string): string[];
    has(name: string): boolean;
    set(name: string, value: string | number): void;
    delete(name: string): void;
    entries(): Array<[string, string]>;
    /** The raw query string, without `?`. */
    toString(): string;
  }

  interface HttpMessage {
    readonly kind: 'request' | 'response' | 'replayed-response';
    /** 24 lowercase hex digits shared by a request and its responses; anything else throws an InvalidFieldError. */
    id: string;
    /** Nanoseconds since the epoch. */
    readonly timestamp: bigint;
    readonly headers: Headers;
    /** The body as UTF-8 text; setting it sets Content-Length and removes Transfer-Encoding. */
    body: string;
    get bytes(): Uint8Array;
    set bytes(value: Uint8Array | ArrayBuffer);
    /** The whole message as text. */
    toString(): string;
  }

  interface Request extends HttpMessage {
    readonly kind: 'request';
    /** A token, e.g. `GET`. */
    method: string;
    /** The request target (path and query), as bytes (one char per byte); not empty, no spaces, control characters or characters above U+00FF (`query.set` encodes for you). */
    url: string;
    /** The path without the query; setting it keeps the query. */
    path: string;
    readonly query: Query;
    readonly version: string;
    clone(): Request;
  }

  interface Response extends HttpMessage {
    readonly kind: 'response' | 'replayed-response';
    readonly version: string;
    /** An integer from 100 to 999. */
    get status(): number;
    set status(value: number | string);
    /** As bytes (one char per byte): no control characters other than tab, no characters above U+00FF. */
    statusText: string;
    clone(): Response;
  }

  /** A hook returns the message (changed or not), null to drop it, several to amplify, or nothing to keep it. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that ends without a return statement returns void, which undefined does not accept
  type HookResult = HttpMessage | HttpMessage[] | null | undefined | void;

  /** `export function request(req)`: every request, before it is sent. */
  type RequestHook = (req: Request) => HookResult;
  /** `export function response(res, req)`: original responses (GoReplay type 2); `req` when the script saw it. */
  type ResponseHook = (res: Response, req: Request | null) => HookResult;
  /** `export function replayedResponse(res, req, original)`: responses from the target (type 3); needs an output that tracks responses. */
  type ReplayedResponseHook = (res: Response, req: Request | null, original: Response | null) => HookResult;
}

/** The script's key-value store, kept by reprise across isolate rebuilds. */
declare var store: reprise.Store;

/**
 * Lines go to reprise's log (shown even with --quiet), rate-limited by --middleware-script-log-rate.
 * Declared as an interface, as the DOM and Node types declare it, so it merges with theirs.
 */
interface Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
}
declare var console: Console;
