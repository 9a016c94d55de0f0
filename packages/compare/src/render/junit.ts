/** `--report-junit`: one test case per endpoint, a failure for each failing one; global thresholds get a case of their own. */
import type { CompareReport } from '../report.js';
import { failureReasons, globalThresholds } from './regressed.js';

export function escapeXml(text: string): string {
  // Characters XML 1.0 cannot hold at all are dropped; the five specials are escaped.
  return text
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderJunit(report: CompareReport): string {
  const cases: string[] = [];
  let failures = 0;
  for (const endpoint of report.endpoints) {
    const reasons = failureReasons(report, endpoint);
    const name = `name="${escapeXml(endpoint.endpoint)}" classname="reprise.compare"`;
    if (reasons.length === 0) {
      cases.push(`    <testcase ${name}/>`);
      continue;
    }
    failures++;
    cases.push(
      `    <testcase ${name}>\n      <failure message="${escapeXml(reasons[0]!)}" type="regression">${escapeXml(reasons.join('\n'))}</failure>\n    </testcase>`,
    );
  }
  if (report.settings.failOn.length > 0) {
    const global = globalThresholds(report);
    const name = 'name="thresholds" classname="reprise.compare"';
    if (global.length === 0) cases.push(`    <testcase ${name}/>`);
    else {
      failures++;
      cases.push(
        `    <testcase ${name}>\n      <failure message="${escapeXml(global.join('; '))}" type="threshold">${escapeXml(global.join('\n'))}</failure>\n    </testcase>`,
      );
    }
  }
  const counts = `tests="${cases.length}" failures="${failures}" errors="0"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="reprise compare" ${counts}>`,
    `  <testsuite name="reprise compare" ${counts} skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
