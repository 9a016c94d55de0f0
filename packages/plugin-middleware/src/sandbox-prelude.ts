/**
 * The code that runs inside each script's isolate before the script: the lazy message views and the
 * batch runner. It is plain JavaScript evaluated in the isolate (no host objects reach it).
 *
 * Wire format, host → isolate, one call per batch:
 *   run(kinds, ids, timestamps, payloads, offsets, start)
 *   kinds: one character per message ('1' request, '2' response, '3' replayed response);
 *   ids: joined with '\n'; timestamps: a BigUint64Array; payloads: all payloads as one latin1 string (one char per byte),
 *   message i spans offsets[i]..offsets[i+1]; start: the first message to process (to resume a batch).
 * Isolate → host, the returned (copied) object:
 *   o: [source index, keep, start, end, resumeAt] per output message: the new payload is the original's
 *      bytes 0..keep, then s[start..end], then the original's bytes from resumeAt; keep -1 when unchanged;
 *   s: the new parts joined;
 *   ids: pairs [output position, new id]; e: failures [source index, hook, kind ('error' | 'invalid'), message, stack];
 *   l: console lines; ld: console lines left out; p: messages done.
 * The views parse nothing until asked: reading `path` parses the request line only, `headers` the head,
 * `body` decodes the body.
 * Every field a script sets is checked where it is set (InvalidFieldError, which drops the message);
 * the host checks the ids again, since they end up in .gor record headers.
 * `store` calls back into the host synchronously: bindStore(call) with call(op, key, json).
 */
export const SANDBOX_PRELUDE = String.raw`
(function () {
  'use strict';
  const MAX_LOG_LINES = 100;
  const CORRELATION_CAPACITY = 10000;
  let logs = [];
  let logsLeftOut = 0;

  function show(value) {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return value.stack || String(value);
    try { const json = JSON.stringify(value, (k, v) => typeof v === 'bigint' ? v.toString() : v); return json === undefined ? String(value) : json; }
    catch (e) { return String(value); }
  }
  function logger(level) {
    return function () {
      if (logs.length >= MAX_LOG_LINES) { logsLeftOut++; return; }
      let line = '';
      for (let i = 0; i < arguments.length; i++) line += (i ? ' ' : '') + show(arguments[i]);
      logs.push(level + ' ' + line);
    };
  }
  const sandboxConsole = { log: logger('info'), info: logger('info'), debug: logger('debug'), warn: logger('warn'), error: logger('error') };
  Object.freeze(sandboxConsole);
  Object.defineProperty(globalThis, 'console', { value: sandboxConsole, writable: false, configurable: false });

  // latin1 "byte strings" <-> text: the payload travels as one char per byte.
  function bytesToText(b) {
    if (!/[\x80-\xff]/.test(b)) return b;
    try { return decodeURIComponent(escape(b)); } catch (e) { return b; }
  }
  function textToBytes(t) {
    if (!/[^\x00-\x7f]/.test(t)) return t;
    return unescape(encodeURIComponent(t));
  }
  function byteStringToArray(b) {
    const a = new Uint8Array(b.length);
    for (let i = 0; i < b.length; i++) a[i] = b.charCodeAt(i);
    return a;
  }
  function arrayToByteString(a) {
    if (a instanceof ArrayBuffer) a = new Uint8Array(a);
    if (!(a instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array or an ArrayBuffer');
    let s = '';
    for (let i = 0; i < a.length; i += 8192) s += String.fromCharCode.apply(null, a.subarray(i, i + 8192));
    return s;
  }

  // A field a script set to a value that would corrupt the message: the message is dropped and counted.
  class InvalidFieldError extends TypeError {
    constructor(field, value, rule) {
      const text = JSON.stringify(String(value));
      super('invalid ' + field + ' ' + (text.length > 60 ? text.slice(0, 59) + '…"' : text) + ': ' + rule);
      // Error.prototype is frozen: an own property, not an assignment.
      Object.defineProperty(this, 'name', { value: 'InvalidFieldError' });
    }
  }
  const TOKEN = /^[!#$%&'*+.^_\x60|~0-9A-Za-z-]+$/;
  const ID = /^[0-9a-f]{24}$/;
  // \n🐵🙈🙉\n as a byte string (one char per UTF-8 byte), the way payloads travel here.
  const GOR_SEPARATOR = '\n\xf0\x9f\x90\xb5\xf0\x9f\x99\x88\xf0\x9f\x99\x89\n';
  function checkHeader(name, value) {
    if (!TOKEN.test(name)) throw new InvalidFieldError('header name', name, 'a header name is a token (letters, digits and !#$%&\'*+-.^_\x60|~)');
    if (/[\r\n\0]/.test(value)) throw new InvalidFieldError('value of header ' + name, value, 'a header value cannot contain CR, LF or NUL');
  }

  // Header names compared case-insensitively; lowercased names are computed once, on first search.
  class Headers {
    constructor(owner, raw, offs) {
      // Until a script needs the whole list, headers stay offsets into the raw head:
      // [nameStart, nameEnd, valueStart, valueEnd] per header, plus the pairs it appended.
      this._owner = owner; this._raw = raw; this._offs = offs; this._pairs = null; this._added = [];
      this._lower = null;
      // List entries below originalCount are the ones in the raw head; _isEdited once one of them changed.
      this._originalCount = offs.length / 2; this._isEdited = false;
    }
    get _list() {
      if (this._pairs === null) {
        const raw = this._raw; const offs = this._offs; const list = [];
        for (let k = 0; k < offs.length; k += 4) list.push(raw.slice(offs[k], offs[k + 1]), raw.slice(offs[k + 2], offs[k + 3]));
        for (let i = 0; i < this._added.length; i++) list.push(this._added[i]);
        this._pairs = list;
      }
      return this._pairs;
    }
    _findRaw(lower) {
      const raw = this._raw; const offs = this._offs; const len = lower.length;
      for (let k = 0; k < offs.length; k += 4) if (offs[k + 1] - offs[k] === len && raw.slice(offs[k], offs[k + 1]).toLowerCase() === lower) return k;
      return -1;
    }
    _findAdded(lower) {
      const added = this._added;
      for (let i = 0; i < added.length; i += 2) if (added[i].length === lower.length && added[i].toLowerCase() === lower) return i;
      return -1;
    }
    _lowerAt(i) {
      let lower = this._lower;
      if (lower === null) lower = this._lower = [];
      let v = lower[i];
      if (v === undefined) v = lower[i] = this._list[i].toLowerCase();
      return v;
    }
    _find(lower, from) {
      const list = this._list; const len = lower.length;
      for (let i = from; i < list.length; i += 2) if (list[i].length === len && this._lowerAt(i) === lower) return i;
      return -1;
    }
    _removeAt(i) {
      this._list.splice(i, 2);
      if (this._lower !== null) this._lower.splice(i, 2);
      if (i < this._originalCount) { this._originalCount -= 2; this._isEdited = true; }
    }
    get(name) {
      const lower = String(name).toLowerCase();
      if (this._pairs === null) {
        const k = this._findRaw(lower);
        if (k >= 0) return bytesToText(this._raw.slice(this._offs[k + 2], this._offs[k + 3]));
        const i = this._findAdded(lower);
        return i < 0 ? null : bytesToText(this._added[i + 1]);
      }
      const i = this._find(lower, 0); return i < 0 ? null : bytesToText(this._list[i + 1]);
    }
    getAll(name) {
      const lower = String(name).toLowerCase(); const out = [];
      for (let i = this._find(lower, 0); i >= 0; i = this._find(lower, i + 2)) out.push(bytesToText(this._list[i + 1]));
      return out;
    }
    has(name) {
      const lower = String(name).toLowerCase();
      if (this._pairs === null) return this._findRaw(lower) >= 0 || this._findAdded(lower) >= 0;
      return this._find(lower, 0) >= 0;
    }
    set(name, value) {
      name = String(name); value = textToBytes(String(value));
      checkHeader(name, value);
      const lower = name.toLowerCase();
      if (this._pairs === null && this._findRaw(lower) < 0 && this._findAdded(lower) < 0) {
        // The common case, a new header: no need to build the list.
        this._added.push(name, value); this._owner._dirty = true; return;
      }
      const i = this._find(lower, 0);
      if (i < 0) { this._list.push(name, value); }
      else {
        if (this._list[i + 1] !== value) { this._list[i + 1] = value; if (i < this._originalCount) this._isEdited = true; }
        for (let j = this._find(lower, i + 2); j >= 0; j = this._find(lower, j)) this._removeAt(j);
      }
      this._owner._dirty = true;
    }
    append(name, value) {
      name = String(name); value = textToBytes(String(value));
      checkHeader(name, value);
      if (this._pairs === null) this._added.push(name, value); else this._list.push(name, value);
      this._owner._dirty = true;
    }
    delete(name) {
      const lower = String(name).toLowerCase(); let removed = false;
      for (let j = this._find(lower, 0); j >= 0; j = this._find(lower, j)) { this._removeAt(j); removed = true; }
      if (removed) this._owner._dirty = true;
      return removed;
    }
    keys() { const out = []; for (let i = 0; i < this._list.length; i += 2) out.push(this._list[i]); return out; }
    entries() { const out = []; for (let i = 0; i < this._list.length; i += 2) out.push([this._list[i], bytesToText(this._list[i + 1])]); return out; }
    [Symbol.iterator]() { return this.entries()[Symbol.iterator](); }
    toJSON() { return this.entries(); }
  }

  class HttpMessage {
    constructor(kind, id, timestamp, raw, source) {
      this._kind = kind; this._id = id; this._ts = timestamp; this._raw = raw; this._source = source;
      this._dirty = false; this._idChanged = false; this._lineChanged = false; this._headLinesEnd = -1;
      this._lineEnd = -1; this._line = null; this._headers = null; this._headEnd = -1; this._body = null;
    }
    get kind() { return this._kind; }
    get id() { return this._id; }
    set id(value) {
      value = String(value);
      if (!ID.test(value)) throw new InvalidFieldError(this._kind === 'request' ? 'req.id' : 'res.id', value, 'an id is 24 lowercase hex digits');
      if (value !== this._id) { this._id = value; this._idChanged = true; }
    }
    get timestamp() { return typeof this._ts === 'bigint' ? this._ts : (this._ts = BigInt(this._ts)); }
    _findLineEnd() {
      if (this._lineEnd >= 0) return;
      const raw = this._raw;
      const end = raw.indexOf('\n');
      this._lineEnd = end < 0 ? raw.length : end + 1;
    }
    _parseLine() {
      if (this._line) return;
      this._findLineEnd();
      const raw = this._raw;
      const end = this._lineEnd < raw.length || raw.charCodeAt(raw.length - 1) === 10 ? this._lineEnd - 1 : raw.length;
      const stop = end > 0 && raw.charCodeAt(end - 1) === 13 ? end - 1 : end;
      const line = raw.slice(0, stop);
      const sp1 = line.indexOf(' ');
      const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
      this._line = sp1 < 0 ? [line, '', ''] : sp2 < 0 ? [line.slice(0, sp1), line.slice(sp1 + 1), ''] : [line.slice(0, sp1), line.slice(sp1 + 1, sp2), line.slice(sp2 + 1)];
    }
    _parseHead() {
      if (this._headers) return;
      // The headers need only where the start line ends, not its parts.
      this._findLineEnd();
      const raw = this._raw;
      let headEnd = raw.indexOf('\r\n\r\n', this._lineEnd - 2);
      let bodyStart;
      if (headEnd >= 0) bodyStart = headEnd + 4;
      else {
        headEnd = raw.indexOf('\n\n', this._lineEnd - 1);
        bodyStart = headEnd >= 0 ? headEnd + 2 : raw.length;
      }
      const offs = [];
      let pos = this._lineEnd;
      const stop = headEnd >= 0 ? headEnd : raw.length;
      while (pos < stop) {
        let nl = raw.indexOf('\n', pos);
        if (nl < 0 || nl > stop) nl = stop;
        const colon = raw.indexOf(':', pos);
        if (colon > pos && colon < nl) {
          let v = colon + 1; let e = nl;
          while (v < e && (raw.charCodeAt(v) === 32 || raw.charCodeAt(v) === 9)) v++;
          while (e > v && (raw.charCodeAt(e - 1) === 13 || raw.charCodeAt(e - 1) === 32 || raw.charCodeAt(e - 1) === 9)) e--;
          offs.push(pos, colon, v, e);
        }
        pos = nl + 1;
      }
      // Where the header lines end (the blank line starts): appended headers go here.
      this._headLinesEnd = headEnd >= 0 ? (raw.charCodeAt(headEnd) === 13 ? headEnd + 2 : headEnd + 1) : raw.length;
      this._headEnd = bodyStart;
      this._headers = new Headers(this, raw, offs);
    }
    get headers() { this._parseHead(); return this._headers; }
    _bodyBytes() {
      if (this._body !== null) return this._body;
      this._parseHead();
      return this._raw.slice(this._headEnd);
    }
    get body() { return bytesToText(this._bodyBytes()); }
    set body(text) { this._setBody(textToBytes(String(text))); }
    get bytes() { return byteStringToArray(this._bodyBytes()); }
    set bytes(value) { this._setBody(arrayToByteString(value)); }
    _setBody(b) {
      if (b.indexOf(GOR_SEPARATOR) >= 0) throw new InvalidFieldError(this._kind === 'request' ? 'req.body' : 'res.body', b.slice(Math.max(0, b.indexOf(GOR_SEPARATOR) - 20)), 'a body cannot hold the .gor record separator (a newline, three monkeys, a newline)');
      this._parseHead();
      this._body = b;
      const headers = this._headers;
      // A new body is sent whole: its length is known, so it is no longer chunked.
      if (headers.has('transfer-encoding')) headers.delete('transfer-encoding');
      if (headers.has('content-length') || b.length > 0) headers.set('Content-Length', String(b.length));
      this._dirty = true;
    }
    _startLine() { this._parseLine(); return this._line[0] + ' ' + this._line[1] + (this._line[2] === '' ? '' : ' ' + this._line[2]); }
    /** The payload as a byte string, rebuilt only when something changed. */
    /**
     * What changed, relative to the raw bytes: [keep, middle, resumeAt] means
     * raw[0..keep] + middle + raw[resumeAt..]; null when nothing changed. Only the middle crosses back
     * to the host, so adding a header to a large request does not copy the request out.
     */
    _parts() {
      if (!this._dirty) return null;
      const h = this._headers;
      const raw = this._raw;
      if (h === null) return [0, this._startLine() + '\r\n', this._lineEnd];
      if (!h._isEdited && this._body === null && !this._lineChanged) {
        // Only headers were added: they go in before the blank line.
        let added = '';
        const list = h._pairs === null ? h._added : h._pairs;
        for (let i = h._pairs === null ? 0 : h._originalCount; i < list.length; i += 2) added += list[i] + ': ' + list[i + 1] + '\r\n';
        const at = this._headLinesEnd;
        if (at === raw.length) {
          // A head without its blank line (truncated capture): finish it.
          return [at, (raw.charCodeAt(raw.length - 1) === 10 ? '' : '\r\n') + added + '\r\n', at];
        }
        return added === '' ? null : [at, added, at];
      }
      const list = h._list;
      let out = this._startLine() + '\r\n';
      for (let i = 0; i < list.length; i += 2) out += list[i] + ': ' + list[i + 1] + '\r\n';
      return [0, out + '\r\n' + this._bodyBytes(), raw.length];
    }
    _serialize() {
      const p = this._parts();
      return p === null ? this._raw : this._raw.slice(0, p[0]) + p[1] + this._raw.slice(p[2]);
    }
    toString() { return bytesToText(this._serialize()); }
    toJSON() { return { kind: this.kind, id: this.id, text: this.toString() }; }
  }

  class Query {
    constructor(req) { this._req = req; }
    _pairs() {
      const url = this._req.url; const q = url.indexOf('?');
      if (q < 0 || q === url.length - 1) return [];
      return url.slice(q + 1).split('&').map((p) => { const eq = p.indexOf('='); return eq < 0 ? [p, null] : [p.slice(0, eq), p.slice(eq + 1)]; });
    }
    _write(pairs) {
      const url = this._req.url; const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      this._req.url = pairs.length ? path + '?' + pairs.map((p) => p[1] === null ? p[0] : p[0] + '=' + p[1]).join('&') : path;
    }
    get(name) {
      for (const [k, v] of this._pairs()) if (decode(k) === name) return v === null ? '' : decode(v);
      return null;
    }
    getAll(name) { const out = []; for (const [k, v] of this._pairs()) if (decode(k) === name) out.push(v === null ? '' : decode(v)); return out; }
    has(name) { return this._pairs().some((p) => decode(p[0]) === name); }
    set(name, value) {
      const pairs = this._pairs(); const encoded = [encodeURIComponent(name), encodeURIComponent(String(value))];
      const i = pairs.findIndex((p) => decode(p[0]) === name);
      if (i < 0) pairs.push(encoded); else { pairs[i] = encoded; for (let j = pairs.length - 1; j > i; j--) if (decode(pairs[j][0]) === name) pairs.splice(j, 1); }
      this._write(pairs);
    }
    delete(name) { const pairs = this._pairs(); const kept = pairs.filter((p) => decode(p[0]) !== name); if (kept.length !== pairs.length) this._write(kept); }
    entries() { return this._pairs().map(([k, v]) => [decode(k), v === null ? '' : decode(v)]); }
    toString() { const url = this._req.url; const q = url.indexOf('?'); return q < 0 ? '' : url.slice(q + 1); }
  }
  function decode(s) { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (e) { return s; } }

  class Request extends HttpMessage {
    get method() { this._parseLine(); return this._line[0]; }
    set method(v) { this._parseLine(); v = String(v); if (!TOKEN.test(v)) throw new InvalidFieldError('req.method', v, 'a method is a token, e.g. GET'); if (v !== this._line[0]) { this._line[0] = v; this._dirty = true; this._lineChanged = true; } }
    get url() { this._parseLine(); return this._line[1]; }
    set url(v) { this._parseLine(); v = String(v); if (v === '' || /[\x00-\x20\x7f]/.test(v)) throw new InvalidFieldError('req.url', v, 'a url is not empty and has no spaces or control characters'); if (v !== this._line[1]) { this._line[1] = v; this._dirty = true; this._lineChanged = true; } }
    get path() { const url = this.url; const q = url.indexOf('?'); return q < 0 ? url : url.slice(0, q); }
    set path(v) { const url = this.url; const q = url.indexOf('?'); this.url = String(v) + (q < 0 ? '' : url.slice(q)); }
    get query() { return new Query(this); }
    get version() { this._parseLine(); return this._line[2]; }
    clone() {
      const copy = new Request(this._kind, this._id, this._ts, this._serialize(), this._source);
      copy._clone = true;
      return copy;
    }
  }

  class Response extends HttpMessage {
    get version() { this._parseLine(); return this._line[0]; }
    get status() { this._parseLine(); return Number(this._line[1]); }
    set status(v) { this._parseLine(); const n = Number(v); if (!Number.isInteger(n) || n < 100 || n > 999) throw new InvalidFieldError('res.status', v, 'a status is an integer from 100 to 999'); v = String(n); if (v !== this._line[1]) { this._line[1] = v; this._dirty = true; this._lineChanged = true; } }
    get statusText() { this._parseLine(); return this._line[2]; }
    set statusText(v) { this._parseLine(); v = String(v); if (/[\r\n\0]/.test(v)) throw new InvalidFieldError('res.statusText', v, 'a status text cannot contain CR, LF or NUL'); if (v !== this._line[2]) { this._line[2] = v; this._dirty = true; this._lineChanged = true; } }
    clone() {
      const copy = new Response(this._kind, this._id, this._ts, this._serialize(), this._source);
      copy._clone = true;
      return copy;
    }
  }

  function boundedSet(map, key, value) {
    map.delete(key);
    map.set(key, value);
    if (map.size > CORRELATION_CAPACITY) map.delete(map.keys().next().value);
  }

  // The script's store lives on the host (it outlives this isolate); values cross as JSON text.
  // Only this isolate writes this script's store, so what it read or wrote stays true: reads are
  // mirrored here (misses too) and cost no call after the first. The mirror is bounded; it starts
  // empty in a rebuilt isolate.
  const MIRROR_CAPACITY = 20000;
  const mirror = new Map();
  function storeKey(key, op) {
    if (typeof key !== 'string') throw new TypeError('store.' + op + '(): a key is a string, not ' + typeof key);
    return key;
  }
  function remember(key, json) {
    if (mirror.size >= MIRROR_CAPACITY && !mirror.has(key)) mirror.clear();
    mirror.set(key, json);
  }
  function bindStore(call) {
    function lookup(key) {
      if (mirror.has(key)) return mirror.get(key);
      const json = call('get', key);
      remember(key, json);
      return json;
    }
    const store = {
      get(key) { const json = lookup(storeKey(key, 'get')); return json === undefined ? undefined : JSON.parse(json); },
      has(key) { return lookup(storeKey(key, 'has')) !== undefined; },
      set(key, value) {
        const k = storeKey(key, 'set');
        const json = JSON.stringify(value);
        if (json === undefined) throw new TypeError('store.set("' + k + '"): the value must be JSON (not undefined, a function or a symbol)');
        mirror.delete(k);   // so a call cut short by a timeout leaves no stale copy
        const refused = call('set', k, json);
        if (refused !== undefined) throw new RangeError(refused);
        remember(k, json);
      },
      delete(key) { const k = storeKey(key, 'delete'); mirror.delete(k); const removed = call('delete', k); remember(k, undefined); return removed; },
    };
    Object.freeze(store);
    Object.defineProperty(globalThis, 'store', { value: store, writable: false, configurable: false });
  }

  let hooks = null;
  const requestsById = new Map();
  const responsesById = new Map();
  let state = null;

  function install(ns) {
    const pick = (name) => typeof ns[name] === 'function' ? ns[name] : null;
    hooks = { request: pick('request'), response: pick('response'), replayedResponse: pick('replayedResponse') };
    return Object.keys(hooks).filter((k) => hooks[k]);
  }

  // Outputs are quintuples [source, keep, middleStart, middleEnd, resumeAt] over the original payload
  // (keep -1: unchanged, the host reuses the original message).
  function emit(st, view, original, source) {
    const o = st.o;
    let keep; let middle; let resumeAt;
    if (view._raw === original && view._source === source && !view._clone) {
      const p = view._parts();
      if (p === null) { keep = -1; middle = ''; resumeAt = 0; }
      else { keep = p[0]; middle = p[1]; resumeAt = p[2]; }
    } else {
      // A clone or a message from elsewhere: sent whole.
      keep = 0; middle = view._serialize(); resumeAt = original.length;
    }
    o.push(source, keep, st.sLength, st.sLength + middle.length, resumeAt);
    if (middle !== '') { st.s.push(middle); st.sLength += middle.length; }
    if (view._idChanged) st.ids.push(o.length / 5 - 1, view._id);
    return view;
  }

  function run(kinds, ids, timestamps, payloads, offsets, start) {
    const idList = ids.split('\n');
    const tsList = timestamps;
    const st = state = { o: [], s: [], sLength: 0, ids: [], e: [], p: start };
    logs = []; logsLeftOut = 0;
    const n = kinds.length;
    const remember = hooks.response !== null || hooks.replayedResponse !== null;
    for (let i = start; i < n; i++) {
      st.p = i;
      const kind = kinds.charCodeAt(i);
      const raw = payloads.slice(offsets[i], offsets[i + 1]);
      const id = idList[i];
      let view; let hook; let result;
      try {
        if (kind === 49) {
          view = new Request('request', id, tsList[i], raw, i);
          hook = 'request';
          result = hooks.request === null ? view : hooks.request(view);
        } else {
          view = new Response(kind === 50 ? 'response' : 'replayed-response', id, tsList[i], raw, i);
          if (kind === 50) {
            hook = 'response';
            if (hooks.response === null) result = view;
            else {
              const req = requestsById.get(id);
              result = hooks.response(view, req === undefined ? null : new Request('request', id, req[1], req[0], -1));
            }
          } else {
            hook = 'replayedResponse';
            if (hooks.replayedResponse === null) result = view;
            else {
              const req = requestsById.get(id);
              const original = responsesById.get(id);
              result = hooks.replayedResponse(view,
                req === undefined ? null : new Request('request', id, req[1], req[0], -1),
                original === undefined ? null : new Response('response', id, original[1], original[0], -1));
            }
          }
        }
        if (result === undefined) result = view;
        let first;
        if (result === null) { /* dropped */ }
        else if (Array.isArray(result)) {
          for (const item of result) {
            if (!(item instanceof HttpMessage)) throw new TypeError(hook + '() returned an array holding something other than a message (use msg.clone())');
            const out = emit(st, item, raw, i);
            if (first === undefined) first = out;
          }
        } else if (result instanceof HttpMessage) first = emit(st, result, raw, i);
        else if (result !== null && typeof result === 'object' && typeof result.then === 'function') throw new TypeError(hook + '() must be synchronous: it returned a promise (is it an async function?)');
        else throw new TypeError(hook + '() must return the message, null (drop) or an array of messages, not ' + typeof result);
        if (remember) {
          // Kept as sent on (what staging saw), with their own timestamps.
          if (kind === 49) { if (first !== undefined) boundedSet(requestsById, id, [first._serialize(), tsList[i]]); }
          else if (kind === 50) boundedSet(responsesById, id, [first === undefined ? raw : first._serialize(), tsList[i]]);
          else { requestsById.delete(id); responsesById.delete(id); }
        }
      } catch (error) {
        // Outputs already pushed for this message are withdrawn: the host applies the error policy.
        while (st.o.length > 0 && st.o[st.o.length - 5] === i) st.o.length -= 5;
        while (st.ids.length > 0 && st.ids[st.ids.length - 2] >= st.o.length / 5) st.ids.length -= 2;
        const message = error instanceof Error ? error.name + ': ' + error.message : 'thrown: ' + show(error);
        const kind = error instanceof InvalidFieldError ? 'invalid' : 'error';
        st.e.push(i, hook || 'request', kind, message, error instanceof Error && typeof error.stack === 'string' ? error.stack : '');
      }
    }
    st.p = n;
    return finish(st);
  }

  function finish(st) {
    return { o: new Int32Array(st.o), s: st.s.join(''), ids: st.ids, e: st.e, l: logs, ld: logsLeftOut, p: st.p };
  }

  /** After a timeout: what the interrupted batch had produced, and the message in hand. */
  function partial() {
    if (state === null) return null;
    const st = state;
    // The message in hand produced nothing usable: withdraw its outputs.
    while (st.o.length > 0 && st.o[st.o.length - 5] === st.p) st.o.length -= 5;
    while (st.ids.length > 0 && st.ids[st.ids.length - 2] >= st.o.length / 5) st.ids.length -= 2;
    return finish(st);
  }

  // The runner relies on these built-ins: a script may not replace them (which would corrupt what the
  // host reads back). Frozen before the script is loaded.
  const TypedArray = Object.getPrototypeOf(Int32Array);
  for (const c of [Object, Array, String, Number, Boolean, BigInt, Symbol, Map, Set, RegExp, Function, Error, TypeError, JSON, Math, Reflect, TypedArray, Int32Array, Uint8Array, BigUint64Array, ArrayBuffer]) {
    Object.freeze(c);
    if (c.prototype) Object.freeze(c.prototype);
  }
  Object.freeze(Object.getPrototypeOf([][Symbol.iterator]()));
  Object.freeze(Object.getPrototypeOf(''[Symbol.iterator]()));
  for (const c of [Headers, HttpMessage, Request, Response, Query, InvalidFieldError]) { Object.freeze(c); Object.freeze(c.prototype); }

  return { install, run, partial, bindStore };
})()
`;
