/** `reprise compare --help` and `reprise report --help`: usage, examples, exit codes, then the generated flags. */
import type { AnyComponentDefinition } from '@reprise/core';
import { ComponentCatalog, renderFlagsHelp } from '@reprise/engine';

const HELP_WORDS = new Set(['--help', '-h', '-help', 'help']);

export function isHelpRequest(argv: readonly string[]): boolean {
  return argv.some((a) => HELP_WORDS.has(a));
}

const EXIT_CODES = `EXIT CODES  0 pass   5 the verdict failed (a --fail-on expression held; without --fail-on: a reported
            difference, more candidate errors than the baseline's, or a latency regression on any endpoint)
            1 a component failed
            2 invalid flags   3 a plugin could not be loaded   4 environment (missing input file, capture permission)`;

const THRESHOLDS = `THRESHOLDS (--fail-on, repeatable; when given they alone decide the verdict)
  METRIC[{endpoint="METHOD /template"}] OP VALUE, OP one of > >= < <=
  diff_rate, status_mismatch_rate, error_rate   N% or a fraction:  --fail-on "diff_rate>0.5%"
  p50_delta, p99_delta                          N% (relative) or N / Nms (absolute):  --fail-on "p99_delta>10%"
  per endpoint:  --fail-on 'diff_rate{endpoint="GET /users/:id"}>1%'   (METHOD may be *, as --endpoint names it)
  an endpoint expression that matches no endpoint of the run cannot fail: the report warns about it`;

export const COMPARE_USAGE = `reprise compare: replay traffic to a baseline and a candidate, cancel the noise, and report exactly
what changed (status, headers, body fields, latency), per endpoint.

USAGE
  reprise compare INPUT… [MODIFIERS/MIDDLEWARE…] --candidate URL [--baseline URL] [REPORTS…] [--fail-on EXPR…]
  reprise compare INPUT… --candidate-from-input [--noise FILE] [REPORTS…] [--fail-on EXPR…]

  Every input, filter, rewrite and middleware flag of a normal replay applies before the comparison.
  With --baseline, each request goes to both targets at the same moment (random order per request),
  GET/HEAD/OPTIONS twice to each: the noise is what differs between the baseline's two responses.
  Without --baseline, the recorded responses (type 2) are the baseline and the candidate gets safe
  requests twice. --allow-side-effects sends every method twice. --stats prints the comparison so
  far every 10 s (or --stats-interval). The method is explained in docs/REGRESSION.md.
  gRPC and protobuf bodies are compared by field number without .proto files (body.2.1); a gRPC
  call's grpc-status is compared, and one other than 0 counts as an error (error_rate).

  --candidate-from-input replays nothing: the input's replayed responses (type 3: a .gor written with
  --output-http-track-response, or with --input-nats the service's results stream from reprise cluster
  run) are the candidate, the recorded ones (type 2) the baseline. One candidate response per request
  means no noise is learnt: differences are judged against --noise FILE if given, else every difference
  is reported (the report says which).

EXAMPLES
  reprise compare --input-file prod.gor --baseline http://old:8080 --candidate http://new:8080 \\
      --report-html report.html --report-json report.json --report-junit junit.xml --save-run run.rpr \\
      --fail-on "diff_rate>0.5%" --fail-on "p99_delta>10%"
  reprise compare --input-file prod.gor --candidate http://new:8080 --report-markdown pr-comment.md
  sudo reprise compare --input-raw :8081 --input-raw-track-response --candidate http://staging --stats
  reprise report run.rpr --noise noise.json --report-html report.html --fail-on "diff_rate>1%"
  reprise compare --input-nats nats://nats:4222 --input-nats-service shop --candidate-from-input \\
      --noise noise.json --report-html r.html

${THRESHOLDS}

${EXIT_CODES}`;

export const REPORT_USAGE = `reprise report: re-analyse a run saved by reprise compare --save-run, without replaying anything:
other thresholds, another noise profile, other endpoint patterns, other report formats. With the
same flags it gives the same report as the live run.

USAGE
  reprise report RUN.rpr [--noise FILE] [--endpoint PATTERN…] [REPORTS…] [--fail-on EXPR…]

${THRESHOLDS}

${EXIT_CODES}`;

/** The help of one command: its usage and the flags of the given components (and the general ones). */
export function commandHelp(usage: string, components: AnyComponentDefinition[], packageName: string): string {
  const catalog = new ComponentCatalog();
  for (const component of components) catalog.add(component, packageName);
  return `${usage}\n\nFLAGS${renderFlagsHelp(catalog)}\n`;
}

/** Compare's help lists the pipeline's inputs and middleware (from every installed plugin) with its own flags. */
export function compareHelp(full: ComponentCatalog, compare: AnyComponentDefinition): string {
  const catalog = new ComponentCatalog();
  for (const { definition, packageName } of full.entries.values()) if (definition.kind !== 'output') catalog.add(definition, packageName);
  catalog.add(compare, '@reprise/cli');
  return `${COMPARE_USAGE}\n\nFLAGS${renderFlagsHelp(catalog)}\n`;
}
