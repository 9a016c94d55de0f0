import { templatePatternOf } from './index-name.js';

/**
 * The index template created when missing: explicit mappings so that status codes and methods are
 * keywords, times are dates and latencies numbers, whatever the first document looked like.
 * GoReplay's indices were mapped dynamically (text plus a `.keyword` sub-field), and dashboards built
 * on them aggregate on `<field>.keyword`: every string field keeps that sub-field so they keep working.
 */
const KEYWORD = { type: 'keyword', ignore_above: 1024, fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
const TEXT = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
const LONG = { type: 'long' };
const FLOAT = { type: 'float' };
const BODY = { type: 'text' };

export const DOCUMENT_MAPPINGS = {
  dynamic: true,
  properties: {
    Timestamp: { type: 'date' },
    Req_Id: { type: 'keyword' },
    Req_URL: TEXT,
    Req_Method: KEYWORD,
    Req_Proto: KEYWORD,
    Req_Host: KEYWORD,
    Req_Path: KEYWORD,
    Req_Query: TEXT,
    'Req_User-Agent': TEXT,
    'Req_Accept-Language': TEXT,
    Req_Accept: TEXT,
    'Req_Accept-Encoding': TEXT,
    'Req_If-Modified-Since': TEXT,
    Req_Connection: TEXT,
    'Req_Content-Type': KEYWORD,
    'Req_Content-Length': LONG,
    Req_Cookies: TEXT,
    Req_Authorization: TEXT,
    Req_Body: BODY,
    'Req_Body-Truncated': { type: 'boolean' },
    Resp_Status: TEXT,
    'Resp_Status-Code': KEYWORD,
    Resp_Proto: KEYWORD,
    'Resp_Content-Length': LONG,
    'Resp_Content-Type': KEYWORD,
    'Resp_Transfer-Encoding': KEYWORD,
    'Resp_Content-Encoding': KEYWORD,
    Resp_Expires: TEXT,
    'Resp_Cache-Control': TEXT,
    Resp_Vary: TEXT,
    'Resp_Set-Cookie': TEXT,
    Resp_Body: BODY,
    'Resp_Body-Truncated': { type: 'boolean' },
    Resp_Source: { type: 'keyword' },
    Resp_Unparsable: { type: 'boolean' },
    RTT: FLOAT,
    'Orig_Status-Code': KEYWORD,
    Orig_RTT: FLOAT,
    'Replay_Status-Code': KEYWORD,
    Replay_RTT: FLOAT,
    Status_Mismatch: { type: 'boolean' },
  },
} as const;

export interface IndexTemplate {
  name: string;
  body: {
    index_patterns: string[];
    priority: number;
    template: { mappings: typeof DOCUMENT_MAPPINGS };
    _meta: Record<string, string>;
  };
}

/** The template for an index name pattern (`gor` → pattern `gor`; `gor-%Y.%m.%d` → `gor-*`). */
export function indexTemplateFor(indexPattern: string): IndexTemplate {
  const pattern = templatePatternOf(indexPattern);
  const name = `reprise-${
    pattern
      .replace(/\*/g, '')
      .replace(/[^a-z0-9_.-]/g, '_')
      .replace(/[-_.]+$/, '') || 'all'
  }`;
  return {
    name,
    body: {
      index_patterns: [pattern],
      // above Elasticsearch's built-in templates (100 for logs-*-*), so ours wins where both match
      priority: 200,
      template: { mappings: DOCUMENT_MAPPINGS },
      _meta: { managed_by: 'reprise', description: 'HTTP requests with their original and replayed responses' },
    },
  };
}
