/** Comparators from installed plugins (manifest kind `comparator`), tried before the built-in ones. */
import type { Comparator } from '@reprise/compare';
import { userDataDir } from '../data-dir.js';
import { discoverPackages, importComparators } from '../discover.js';

export async function loadComparators(): Promise<Comparator[]> {
  const { packages } = discoverPackages(userDataDir());
  const { comparators, problems } = await importComparators(packages);
  for (const problem of problems) process.stderr.write(`[reprise] warn: comparator not loaded: ${problem.message}\n`);
  return comparators;
}
