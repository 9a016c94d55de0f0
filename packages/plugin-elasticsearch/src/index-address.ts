import { hidePassword, RepriseError } from '@reprise/core';

/** Where documents go: the node URL (without credentials) and the index name pattern. */
export interface IndexAddress {
  /** `http://host:port` plus any path prefix before the index (an Elasticsearch behind a proxy path). */
  node: string;
  /** The last path segment; may hold date parts such as `%Y` (see index-name.ts). */
  index: string;
  /** Basic-auth credentials written into the address (`http://user:pass@host:9200/gor`), if any. */
  username?: string;
  password?: string;
}

const DEFAULT_PORT = 9200;
// Characters Elasticsearch refuses in index names (plus upper case, checked apart).
const FORBIDDEN_INDEX_CHARS = /[\\/*?"<>| ,#:]/;

/**
 * Parses the component's value as GoReplay does: `[scheme://][user:pass@]host[:port]/[prefix/]index`.
 * The scheme is optional (http). Without a scheme and without a port the port is 9200, Elasticsearch's own;
 * with a scheme, a missing port means the scheme's (an Elasticsearch behind an HTTPS proxy on 443).
 */
export function parseIndexAddress(value: string, component = 'output-elasticsearch'): IndexAddress {
  const fail = (why: string): never => {
    throw new RepriseError(
      'RPR_CONFIG_INVALID',
      `"${hidePassword(value)}" is not an Elasticsearch address: ${why} (examples: http://localhost:9200/gor, localhost:9200/gor)`,
      { plugin: component },
    );
  };
  let rest = value.trim();
  let scheme = 'http';
  let hasScheme = false;
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(rest);
  if (schemeMatch) {
    scheme = schemeMatch[1]!.toLowerCase();
    hasScheme = true;
    rest = rest.slice(schemeMatch[0].length);
    if (scheme !== 'http' && scheme !== 'https') fail(`the scheme must be http or https, not ${scheme}`);
  }
  const slash = rest.indexOf('/');
  let authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  let username: string | undefined;
  let password: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = userinfo.indexOf(':');
    username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
    password = colon < 0 ? '' : decodeURIComponent(userinfo.slice(colon + 1));
  }
  if (authority === '' || authority.startsWith(':')) fail('the host is missing');
  const hasPort = /:\d+$/.test(authority) || /^\[.*\]:\d+$/.test(authority);
  if (!hasPort && /:[^\]]*$/.test(authority) && !authority.startsWith('[')) fail('the port is not a number');
  const hostPort = hasPort || hasScheme ? authority : `${authority}:${DEFAULT_PORT}`;

  const segments = path.split('/').filter((s) => s !== '');
  const index = segments.pop();
  if (index === undefined) fail('the index is missing (the last path segment names it)');
  checkIndexName(index!, fail);
  const prefix = segments.length ? `/${segments.join('/')}` : '';
  const node = `${scheme}://${hostPort}${prefix}`;
  try {
    new URL(node);
  } catch {
    fail('the host is not valid');
  }
  return { node, index: index!, username, password };
}

/** Checks an index name pattern given apart from the address (the indexPattern option). */
export function validateIndexPattern(pattern: string, component: string): void {
  checkIndexName(pattern, (why) => {
    throw new RepriseError('RPR_PLUGIN_OPTIONS', why, { plugin: component, option: 'indexPattern' });
  });
}

function checkIndexName(index: string, fail: (why: string) => never): void {
  // Date parts are checked after expansion would be too late: check the literal text around them.
  const literal = index.replace(/%[YmdHj%]/g, '0');
  if (literal.includes('%')) fail(`"${index}" has an unknown date part (use %Y, %m, %d, %H, %j or %%)`);
  if (literal !== literal.toLowerCase()) fail(`index names must be lower case ("${index}")`);
  if (FORBIDDEN_INDEX_CHARS.test(literal)) fail(`the index name "${index}" has a character Elasticsearch refuses`);
  if (/^[-_+.]/.test(literal)) fail(`an index name cannot start with -, _, + or . ("${index}")`);
}
