import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/cli/reportCommand.js';
import { parseConfig } from '../../src/config/load.js';
import { writeNdjson } from '../helpers/scenario.js';

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

  it('an output path that cannot be written is one line naming it', async () => {
    await expect(writeReport('examples/main.ndjson', '/nonexistent-dir/r.html', parseConfig({}), io())).rejects.toThrow('cannot write /nonexistent-dir/r.html: its directory does not exist');
  });
});
