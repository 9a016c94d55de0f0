import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hasGlobMagic, parseGlob, type GlobSegment } from './glob-pattern.js';

/**
 * The regular files a path or glob names, sorted. A plain path is returned as it is if it is a
 * file; unreadable directories met while expanding are skipped.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  if (!hasGlobMagic(pattern)) return (await isFile(pattern)) ? [pattern] : [];
  const segments = parseGlob(pattern);
  const isAbsolute = pattern.startsWith('/');
  const found = new Set<string>();
  await walk(isAbsolute ? '/' : '', isAbsolute ? segments.slice(1) : segments, found);
  return [...found].sort();
}

async function walk(dir: string, segments: GlobSegment[], found: Set<string>): Promise<void> {
  if (segments.length === 0) {
    if (dir !== '' && (await isFile(dir))) found.add(dir);
    return;
  }
  const [segment, ...rest] = segments as [GlobSegment, ...GlobSegment[]];
  if (segment.type === 'literal') {
    // `a//b` and a trailing `/` give empty segments: they add nothing to the path.
    await walk(segment.text === '' ? dir : join(dir, segment.text), rest, found);
    return;
  }
  const entries = await list(dir === '' ? '.' : dir);
  if (segment.type === 'globstar') {
    await walk(dir, rest, found); // `**` matching no directory
    for (const entry of entries) if (entry.isDirectory) await walk(join(dir, entry.name), segments, found);
    return;
  }
  for (const entry of entries) if (segment.matches(entry.name)) await walk(join(dir, entry.name), rest, found);
}

async function list(dir: string): Promise<Array<{ name: string; isDirectory: boolean }>> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
  } catch {
    return [];
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
