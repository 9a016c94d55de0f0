/** Helpers for the regression-mode tests: run `reprise compare`/`report`, read and check what they wrote. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareReportSchema, type CompareReport } from '@reprise/compare';
import { createAjv } from '@reprise/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { runCli, type CliResult } from './cli.js';

const validateReport = createAjv().compile(compareReportSchema);

/** Reads a --report-json file and checks it against the published schema. */
export function readReport(path: string): CompareReport {
  const report = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!validateReport(report)) throw new Error(`${path} does not match the report schema: ${JSON.stringify(validateReport.errors)}`);
  return report as CompareReport;
}

export interface JunitCase {
  name: string;
  failure?: string;
}

/** Parses a --report-junit file (well-formed XML, one suite) into its test cases; checks the counts agree. */
export function readJunit(path: string): { tests: number; failures: number; cases: JunitCase[] } {
  const xml = readFileSync(path, 'utf8');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`${path} is not well-formed XML: ${JSON.stringify(valid)}`);
  const parsed = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => name === 'testcase' || name === 'testsuite',
  }).parse(xml);
  // biome-ignore lint/suspicious/noExplicitAny: parsed XML, checked by the assertions that read it
  const suites = parsed.testsuites.testsuite as Array<Record<string, any>>;
  if (suites.length !== 1) throw new Error(`expected one testsuite, got ${suites.length}`);
  const suite = suites[0]!;
  // biome-ignore lint/suspicious/noExplicitAny: parsed XML, as above
  const cases: JunitCase[] = (suite.testcase ?? []).map((c: Record<string, any>) => ({
    name: String(c.name),
    ...(c.failure !== undefined ? { failure: String(c.failure['#text'] ?? c.failure) } : {}),
  }));
  const tests = Number(suite.tests);
  const failures = Number(suite.failures);
  if (tests !== cases.length || failures !== cases.filter((c) => c.failure !== undefined).length) {
    throw new Error(`testsuite counts (tests=${tests}, failures=${failures}) disagree with its test cases`);
  }
  if (Number(parsed.testsuites.tests) !== tests || Number(parsed.testsuites.failures) !== failures)
    throw new Error('testsuites counts disagree');
  return { tests, failures, cases };
}

/** The reported differences as `endpoint field kind`, sorted, to compare with the injected ones. */
export function reportedDifferences(report: CompareReport): string[] {
  return report.endpoints.flatMap((e) => e.differences.map((d) => `${e.endpoint} ${d.field} ${d.kind}`)).sort();
}

export function reportFiles(dir: string, prefix: string) {
  return {
    json: join(dir, `${prefix}.json`),
    html: join(dir, `${prefix}.html`),
    junit: join(dir, `${prefix}.xml`),
    markdown: join(dir, `${prefix}.md`),
  };
}

export function reportFlags(files: ReturnType<typeof reportFiles>): string[] {
  return ['--report-json', files.json, '--report-html', files.html, '--report-junit', files.junit, '--report-markdown', files.markdown];
}

export function compare(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCli(['compare', ...args], { timeoutMs: 50_000, env });
}
