import { readFileSync } from 'node:fs';
import { RepriseError } from '@reprise/core';

export type Credentials = { apiKey: string } | { username: string; password: string };

/** Where credentials were found, for a log line that never shows them. */
export type CredentialsSource = 'file' | 'environment' | 'address' | 'none';

export const ENV_API_KEY = 'REPRISE_ES_API_KEY';
export const ENV_USERNAME = 'REPRISE_ES_USERNAME';
export const ENV_PASSWORD = 'REPRISE_ES_PASSWORD';

/**
 * Picks credentials, first found wins: the credentials file (JSON `{"apiKey": "…"}` or
 * `{"username": "…", "password": "…"}`), then REPRISE_ES_API_KEY, then REPRISE_ES_USERNAME and
 * REPRISE_ES_PASSWORD, then a `user:pass@` in the address. Secrets are never put in error messages.
 */
export function resolveCredentials(input: {
  credentialsFile?: string;
  env: Readonly<Record<string, string | undefined>>;
  address: { username?: string; password?: string };
  component: string;
}): { credentials?: Credentials; source: CredentialsSource } {
  const { credentialsFile, env, address, component } = input;
  if (credentialsFile) {
    return { credentials: readCredentialsFile(credentialsFile, component), source: 'file' };
  }
  const apiKey = env[ENV_API_KEY];
  if (apiKey) return { credentials: { apiKey }, source: 'environment' };
  const username = env[ENV_USERNAME];
  if (username) return { credentials: { username, password: env[ENV_PASSWORD] ?? '' }, source: 'environment' };
  if (env[ENV_PASSWORD]) {
    throw new RepriseError('RPR_CONFIG_INVALID', `${ENV_PASSWORD} is set but ${ENV_USERNAME} is not`, { plugin: component });
  }
  if (address.username) {
    return { credentials: { username: address.username, password: address.password ?? '' }, source: 'address' };
  }
  return { source: 'none' };
}

function readCredentialsFile(path: string, component: string): Credentials {
  const fail = (why: string, cause?: unknown): never => {
    throw new RepriseError('RPR_CONFIG_INVALID', `credentials file ${path}: ${why}`, {
      plugin: component,
      option: 'credentialsFile',
      cause,
    });
  };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // no cause: the parser's message may quote the file's content
    fail('is not JSON (expected {"apiKey": "…"} or {"username": "…", "password": "…"})');
  }
  if (typeof parsed !== 'object' || parsed === null) return fail('must hold a JSON object');
  const record = parsed as Record<string, unknown>;
  if (typeof record['apiKey'] === 'string' && record['apiKey'] !== '') return { apiKey: record['apiKey'] };
  if (typeof record['username'] === 'string' && record['username'] !== '') {
    const password = record['password'];
    if (password !== undefined && typeof password !== 'string') fail('"password" must be a string');
    return { username: record['username'], password: (password as string | undefined) ?? '' };
  }
  return fail('has neither "apiKey" nor "username"');
}
