/**
 * Comparators from npm plugins: the manifest declares `{ "kind": "comparator", "name" }` and the entry's
 * default export (an array, or one definition) holds the definitions. Checked here so a broken plugin is
 * named, not a TypeError in the middle of a run.
 */
import { RepriseError } from '@reprise/core';
import type { Comparator } from './comparator.js';

/** The comparators `names` from a plugin entry's default export; throws RPR_PLUGIN_MANIFEST naming the plugin. */
export function comparatorsFromExports(exported: unknown, names: readonly string[], plugin: string): Comparator[] {
  const definitions = (Array.isArray(exported) ? exported : [exported]) as Array<Partial<Comparator> | null | undefined>;
  return names.map((name) => {
    const d = definitions.find((x) => x?.name === name && x.kind === 'comparator');
    if (!d)
      throw new RepriseError(
        'RPR_PLUGIN_MANIFEST',
        `the manifest declares comparator "${name}" but the entry does not export it (use defineComparator)`,
        { plugin },
      );
    for (const method of ['matches', 'compare'] as const) {
      if (typeof d[method] !== 'function')
        throw new RepriseError('RPR_PLUGIN_MANIFEST', `comparator "${name}" has no ${method}() function`, { plugin });
    }
    if (d.parse !== undefined && typeof d.parse !== 'function')
      throw new RepriseError('RPR_PLUGIN_MANIFEST', `comparator "${name}": parse must be a function`, { plugin });
    return d as Comparator;
  });
}
