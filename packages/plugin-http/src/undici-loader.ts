/**
 * undici, loaded on first use. Loading it takes 150–250 ms of start-up, which a replay through the
 * HTTP/1.1 sender (plain http:// targets) never needs; https, redirects and sessions load it.
 */
import { createRequire } from 'node:module';

type Undici = typeof import('undici');

const require = createRequire(import.meta.url);
let undici: Undici | undefined;

export function loadUndici(): Undici {
  undici ??= require('undici') as Undici;
  return undici;
}
