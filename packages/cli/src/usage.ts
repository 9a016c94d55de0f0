import { fileURLToPath } from 'node:url';
import type { ComponentDescription } from '@reprise/core';
import { renderFlagsHelp, type ComponentCatalog } from '@reprise/engine';

export const USAGE = `reprise: capture live HTTP traffic, record it, and replay it with rewriting,
filtering and scaling. Takes GoReplay's flags: inputs → modifiers/middleware → outputs.

USAGE
  reprise [flags]                                  run a pipeline given by flags
  reprise run --config pipeline.json               run a pipeline from a JSON file
  reprise middleware test SCRIPT --input-file FILE show what a script does to recorded traffic
  reprise compare [flags] --candidate URL [--baseline URL]   regression mode (reprise compare --help)
  reprise report RUN.rpr [flags]                   re-analyse a run saved by compare --save-run
  reprise plugins [install|uninstall|link|update|available]
  reprise help [COMMAND]

EXAMPLES
  reprise --input-raw :8080 --output-http "http://staging|50%"     mirror half the live traffic
  reprise --input-raw :8080 --output-file requests.gor             record
  reprise --input-file "requests.gor|200%" --output-http http://staging   replay twice as fast
  reprise --input-file requests.gor --input-file-no-wait --output-http http://staging   as fast as possible
  reprise --input-dummy 0 --output-stdout                          try a pipeline

RATES  A value may end with |N (at most N messages per second) or |N% (a sample of N%;
       on --input-file the replay speed). Quote it: "http://staging|50%".

EXIT CODES  0 done (inputs ended, --exit-after, or stopped by a signal after delivering what was read)
            1 a component failed   2 invalid flags or config   3 a plugin could not be loaded
            4 environment (input file missing, no permission to capture)
            5 the verdict failed (a --fail-on threshold held; compare: a regression was found)`;

/** Where the sandboxed script API is documented (a path, resolved without importing plugin code). */
function scriptApiLine(): string {
  try {
    return `\n\nSCRIPTS  --middleware-script API reference: ${fileURLToPath(new URL('SCRIPTS.md', import.meta.resolve('@reprise/plugin-middleware/package.json')))}`;
  } catch {
    return '';
  }
}

export function fullHelp(catalog: ComponentCatalog<ComponentDescription>): string {
  return `${USAGE}${scriptApiLine()}\n\nFLAGS (each component's options apply to every instance of it)${renderFlagsHelp(catalog)}\n`;
}
