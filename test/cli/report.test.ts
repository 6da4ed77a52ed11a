import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/cli/reportCommand.js';
import { parseConfig } from '../../src/config/load.js';
import { writeNdjson } from '../helpers/scenario.js';
import { writeSeasonalNdjson, type SeasonalRoute } from '../helpers/seasonalTraffic.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const io = () => ({ stdout: sink(), stderr: sink() });
const dataOf = (html: string): any => JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!);

describe('promptpilot report', () => {
  it('writes one page holding the replay: routes, series, experiments and every decision replay prints; same input, same bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-report-'));
    const config = parseConfig({});
    const a = await writeReport('examples/recorded.ndjson.gz', join(dir, 'a.html'), config, io());
    await writeReport('examples/recorded.ndjson.gz', join(dir, 'b.html'), config, io());
    const html = readFileSync(join(dir, 'a.html'), 'utf8');
    expect(readFileSync(join(dir, 'b.html'), 'utf8')).toBe(html);
    expect(a.events).toBe(24_133);
    const data = dataOf(html);
    expect(data.routes.map((r: any) => r.route)).toEqual(['extract-entities', 'faq-answer', 'support-answer']);
    expect(data.decisions).toHaveLength(a.decisions);
    expect(data.experiments.map((x: any) => x.status).sort()).toEqual(['promoted', 'rolled_back', 'rolled_back']);
    // 90 minutes of 10 s boundaries (540) fit under the cap: every boundary is there, on the baseline
    // until the promotion retired it and on the promoted candidate after.
    const lines = data.series['support-answer'].variants;
    expect(lines.map((v: any) => v.variant)).toEqual(['answer-v3', 'answer-v3~few_shot']);
    const times = new Set(lines.flatMap((v: any) => v.points.map((p: any) => p.t)));
    expect(times.size).toBeGreaterThan(520);
    for (const line of lines) expect(line.points.length).toBeLessThanOrEqual(801);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
  });

  it('a route name cannot break out of the page: data is inert JSON inside the script element', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-report-'));
    const evil = '</script><script>alert(1)</script><!--';
    const input = writeNdjson(Array.from({ length: 50 }, (_, i) => ({ ts: 1_767_600_000_000 + i * 1000, route: evil, variant: 'v\u2028', latency_ms: 100 })));
    await writeReport(input, join(dir, 'r.html'), parseConfig({}), io());
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(html).not.toContain(evil);
    expect(html.match(/<\/script>/g)).toHaveLength(4);  // metric words, the client script, the report data, its start-up call
    expect(dataOf(html).routes[0].route).toBe(evil);
  });

  it('a replay of weeks carries the weekly trend: one record per route per closed week, week over week', async () => {
    const routes: SeasonalRoute[] = [
      { route: 'drifting', ratePerSecond: 0.01, medianMs: 900, latencyCycle: 0.2, latencyDriftPctPerDay: 4 },
      { route: 'steady', ratePerSecond: 0.01, medianMs: 700, latencyCycle: 0.2 },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'pp-report-'));
    await writeReport(writeSeasonalNdjson(routes, 15), join(dir, 'w.html'), parseConfig({}), io());
    const trends = dataOf(readFileSync(join(dir, 'w.html'), 'utf8')).decisions.filter((d: any) => d.type === 'trend');
    expect(trends.map((t: any) => [t.route, new Date(t.week_start).toISOString().slice(0, 10)]).sort()).toEqual([
      ['drifting', '2026-01-05'], ['drifting', '2026-01-12'], ['steady', '2026-01-05'], ['steady', '2026-01-12'],
    ]);
    const second = (route: string): any => trends.find((t: any) => t.route === route && t.week_start === Date.parse('2026-01-12T00:00:00Z'));
    expect(second('drifting').metrics.latency_p95_ms.delta_pct).toBeGreaterThan(20);
    expect(Math.abs(second('steady').metrics.latency_p95_ms.delta_pct)).toBeLessThan(8);
  }, 120_000);

  it('an output path that cannot be written is one line naming it', async () => {
    await expect(writeReport('examples/main.ndjson', '/nonexistent-dir/r.html', parseConfig({}), io())).rejects.toThrow('cannot write /nonexistent-dir/r.html: its directory does not exist');
  });
});
