import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

/**
 * The metric names docs/operations.md's Self-telemetry table documents; a row
 * may abbreviate its siblings (`promptpilot_route_latency_p50_seconds`, `_p95_seconds`).
 */
function documentedMetrics(doc: string): Set<string> {
  const names = new Set<string>();
  for (const line of doc.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const tokens = [...line.split('|')[1]!.matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1]!);
    const first = tokens[0];
    if (first === undefined) continue;
    names.add(first);
    const parts = first.split('_');
    for (const suffix of tokens.slice(1)) {
      if (!suffix.startsWith('_')) names.add(suffix);
      else for (let k = 1; k < parts.length; k++) names.add(parts.slice(0, k).join('_') + suffix);
    }
  }
  return names;
}

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon());
});
afterAll(async () => {
  await daemon?.stop();
});

describe('/metrics against docs/operations.md', () => {
  it('every metric a scrape carries is in the Self-telemetry table (the series, capacity, eviction, shedding and heap-limit metrics were missing)', async () => {
    const text = await (await fetch(`${daemon.url}/metrics`)).text();
    const scraped = new Set(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/[{ ].*$/, '').replace(/_(bucket|count|sum)$/, '')));
    const documented = documentedMetrics(readFileSync('docs/operations.md', 'utf8'));
    expect([...scraped].filter((name) => !documented.has(name)).sort()).toEqual([]);
  });
});
