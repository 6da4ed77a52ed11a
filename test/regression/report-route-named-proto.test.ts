// Regression (found using the report as a new user): the report keeps each route's chart series in a map by route
// name. It was a plain object, where a route named __proto__ set the map's prototype instead of being an entry: the
// page showed that route's statistics with every chart empty ("no data yet"). The dashboard's map had the same flaw.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/cli/reportCommand.js';
import { parseConfig } from '../../src/config/load.js';
import { writeNdjson } from '../helpers/scenario.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const dataOf = (html: string): any => JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!);

describe('report of a route named __proto__', () => {
  it('carries its chart series like any other route', async () => {
    const t0 = Date.parse('2026-01-05T08:00:00Z');
    const events = [];
    for (let i = 0; i < 300; i++) for (const route of ['__proto__', 'plain']) events.push({ ts: t0 + i * 1000, route, variant: 'v1', latency_ms: 800 + (i % 7) * 10 });
    const out = join(mkdtempSync(join(tmpdir(), 'pp-report-')), 'r.html');
    await writeReport(writeNdjson(events), out, parseConfig({}), { stdout: sink(), stderr: sink() });
    const data = dataOf(readFileSync(out, 'utf8'));
    expect(Object.keys(data.series).sort()).toEqual(['__proto__', 'plain']);
    const points = (route: string): number => data.series[route].variants[0].points.length;
    expect(points('__proto__')).toBeGreaterThan(0);
    expect(points('__proto__')).toBe(points('plain'));
  });
});
