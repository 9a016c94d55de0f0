/**
 * `mkdir -p` without Node's `recursive: true`, which never returns under /proc: there, making a
 * missing directory fails with ENOENT although its parent exists, and Node 20 tries again forever,
 * a thread at 100% CPU (`--output-file /proc/x/a.gor` hung the CLI). Here the walk goes up to the
 * deepest level that exists, then makes the missing ones top down, each once: the first refusal
 * is thrown, naming the directory. Synchronous: a few system calls, once per file opened.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export function makeDirectoriesSync(path: string): void {
  const missing: string[] = [];
  for (let dir = path; dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      mkdirSync(dir);
      break;
    } catch (error) {
      if (!isMissingParent(error)) {
        rethrowUnlessExists(error);
        break;
      }
      missing.push(dir);
    }
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!);
    } catch (error) {
      rethrowUnlessExists(error);
    }
  }
}

function isMissingParent(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** A directory that exists already is what was asked for (a file there fails later, when it is opened). */
function rethrowUnlessExists(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}
