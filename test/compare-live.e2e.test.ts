/**
 * `sudo reprise compare --input-raw :PORT --input-raw-track-response --candidate URL --stats`: live
 * traffic captured on lo is compared with a candidate continuously; the captured responses are the
 * baseline. Needs root (capture), like the other capture tests.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { runWhileSending, tempDir } from './support/cli.js';
import { INJECTED, startService, trafficRequests } from './support/compare-services.js';
import { readReport, reportedDifferences } from './support/compare-run.js';

const PER_ENDPOINT = 20;

function send(port: number, agent: Agent, r: { method: string; url: string; body?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = r.body ? { 'content-type': 'application/json' } : {};
    const req = request({ host: '127.0.0.1', port, method: r.method, path: r.url, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

test('live capture compared with a candidate: the injected differences, and a summary while it runs', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const production = await startService(t, 'baseline');
  const candidate = await startService(t, 'candidate');
  const json = join(dir, 'live.json');
  const args = [
    'compare',
    '--input-raw',
    `127.0.0.1:${production.port}`,
    '--input-raw-track-response',
    '--candidate',
    candidate.url,
    '--report-json',
    json,
    '--stats',
    '--stats-interval',
    '500ms',
  ];

  const result = await runWhileSending(args, async () => {
    // Two keep-alive connections, so sessions interleave on the wire.
    const agents = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    const requests = trafficRequests(PER_ENDPOINT);
    await Promise.all(
      agents.map(async (agent, k) => {
        for (let i = k; i < requests.length; i += 2) await send(production.port, agent, requests[i]!);
      }),
    );
    for (const agent of agents) agent.destroy();
    await new Promise((r) => setTimeout(r, 1000)); // one more live summary with everything in it
  });

  assert.equal(result.code, 5, result.stderr);
  assert.match(
    result.stderr,
    /\[compare\] (FAIL|PASS): \d+ requests[\s\S]*\[compare\] FAIL: 100 requests/,
    'live summaries, then the final one',
  );
  const report = readReport(json);
  assert.equal(report.requests, 5 * PER_ENDPOINT);
  const injected = Object.entries(INJECTED)
    .flatMap(([endpoint, list]) => list.map((d) => `${endpoint} ${d.field} ${d.kind}`))
    .sort();
  assert.deepEqual(reportedDifferences(report), injected);
  for (const [endpoint, list] of Object.entries(INJECTED)) {
    const e = report.endpoints.find((x) => x.endpoint === endpoint)!;
    for (const d of list) assert.equal(e.differences.find((x) => x.field === d.field)!.rate, d.rate, `${endpoint} ${d.field}`);
  }
});
