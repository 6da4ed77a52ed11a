import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { replayFile } from '../../src/cli/replay.js';
import { parseConfig } from '../../src/config/load.js';
import { generate, MINUTE, writeNdjson, type ScenarioRoute } from '../helpers/scenario.js';

const config = parseConfig({});

async function replay(path: string): Promise<{ records: Record<string, unknown>[]; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  await replayFile(path, config, { stdout: out, stderr: err });
  const records = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { records, stdout, stderr };
}

const summary = (records: Record<string, unknown>[]): string[] =>
  records.map((r) =>
    r['type'] === 'trigger' ? `trigger ${String(r['rule'])} ${String(r['state'])}` : r['type'] === 'action' ? `action ${String(r['kind'])}` : `experiment ${String(r['status'])}`,
  );

const healthy = { medianMs: 1000, sigma: 0.3, costUsd: 0.02, accuracy: 0.98 };

describe('replay golden scenarios', () => {
  it('a sustained p95 degradation on a chain_of_thought route fires once, proposes few_shot, and resolves after recovery', async () => {
    const route: ScenarioRoute = {
      route: 'support-answer', variant: 'cot-v1', pattern: 'chain_of_thought', ratePerSecond: 5,
      phases: [
        { ...healthy, durationMs: 20 * MINUTE },
        { ...healthy, durationMs: 20 * MINUTE, medianMs: 1650 }, // p95 ≈ 2.7 s: above 2 s + 20 %, below the 3 s alert
        { ...healthy, durationMs: 20 * MINUTE },
      ],
    };
    const { records } = await replay(writeNdjson(generate([route])));
    expect(summary(records)).toEqual([
      'trigger performance_degradation firing',
      'action pattern_simplification',
      // Recorded traffic never serves the candidate, so the experiment stays open (its deadline is 24 h).
      'experiment started',
      'trigger performance_degradation resolved',
    ]);
    const [firing, action, started, resolved] = records as Record<string, any>[] as [Record<string, any>, Record<string, any>, Record<string, any>, Record<string, any>];
    expect(started).toMatchObject({ type: 'experiment', status: 'started', route: 'support-answer', baseline: { variant: 'cot-v1' }, candidate: { pattern: 'few_shot' } });
    expect(firing).toMatchObject({ route: 'support-answer', variant: 'cot-v1', metric: 'latency_p95_ms', threshold: 2400, severity: 'warning' });
    expect(firing['value']).toBeGreaterThan(2400);
    expect(firing['evidence']['samples']).toBeGreaterThan(1000);
    expect(action).toMatchObject({ kind: 'pattern_simplification', rule: 'performance_degradation', from: { variant: 'cot-v1', pattern: 'chain_of_thought' }, to: { pattern: 'few_shot' } });
    expect(firing['ts']).toBeGreaterThan(Date.parse('2026-01-05T08:20:00Z'));
    expect(resolved['ts']).toBeGreaterThan(Date.parse('2026-01-05T08:40:00Z'));
    expect(resolved['value']).toBeLessThan(2400);
  });

  it('a 5-second latency spike inside a healthy hour fires nothing', async () => {
    const route: ScenarioRoute = {
      route: 'search', variant: 'v1', pattern: 'few_shot', ratePerSecond: 5,
      phases: [{ ...healthy, durationMs: 60 * MINUTE, spike: { fromMs: 30 * MINUTE, toMs: 30 * MINUTE + 5000, latencyMs: 20_000 } }],
    };
    const { records } = await replay(writeNdjson(generate([route])));
    expect(records).toEqual([]);
  });

  it('cost per task above budget + 25 % proposes token_optimization', async () => {
    const route: ScenarioRoute = {
      route: 'summarize', variant: 'sum-v2', pattern: 'few_shot', ratePerSecond: 5,
      phases: [{ ...healthy, durationMs: 15 * MINUTE }, { ...healthy, durationMs: 15 * MINUTE, costUsd: 0.15 }],
    };
    const { records } = await replay(writeNdjson(generate([route])));
    expect(summary(records)).toEqual(['trigger cost_threshold_breach firing', 'action token_optimization', 'experiment started']);
    expect(records[0]).toMatchObject({ metric: 'cost_per_task_usd', threshold: 0.125 });
    expect(records[1]).toMatchObject({ kind: 'token_optimization', from: { variant: 'sum-v2' } });
  });

  it('accuracy below 90 % alerts and proposes pattern_enhancement', async () => {
    const route: ScenarioRoute = {
      route: 'classify', variant: 'cls-v1', pattern: 'few_shot', ratePerSecond: 5,
      phases: [{ ...healthy, durationMs: 15 * MINUTE }, { ...healthy, durationMs: 15 * MINUTE, accuracy: 0.85 }],
    };
    const { records } = await replay(writeNdjson(generate([route])));
    const names = summary(records);
    expect(names).toContain('trigger accuracy_drop firing');
    expect(names).toContain('trigger quality_improvement_opportunity firing');
    expect(names).toContain('action pattern_enhancement');
    expect(names.filter((n) => n.startsWith('action'))).toEqual(['action pattern_enhancement']);
    const action = records.find((r) => r['type'] === 'action')!;
    expect(action).toMatchObject({ from: { pattern: 'few_shot' }, to: { pattern: 'chain_of_thought' } });
    const alert = records.find((r) => r['rule'] === 'accuracy_drop')!;
    expect(alert['value']).toBeLessThan(0.9);
  });

  it('a healthy route produces no records at all', async () => {
    const route: ScenarioRoute = { route: 'healthy', variant: 'v1', pattern: 'few_shot', ratePerSecond: 5, phases: [{ ...healthy, durationMs: 90 * MINUTE }] };
    const { records } = await replay(writeNdjson(generate([route])));
    expect(records).toEqual([]);
  });

  it('skips malformed lines with their reasons and keeps the rest', async () => {
    const route: ScenarioRoute = {
      route: 'summarize', variant: 'sum-v2', pattern: 'few_shot', ratePerSecond: 5,
      phases: [{ ...healthy, durationMs: 15 * MINUTE, costUsd: 0.15 }],
    };
    const lines: (object | string)[] = generate([route]);
    lines.splice(10, 0, '{broken json', '{"ts":1,"route":"x","variant":"v"}', '[1,2]');
    const { records, stderr } = await replay(writeNdjson(lines));
    expect(stderr).toContain(':11: (line): invalid JSON');
    expect(stderr).toContain(':12: latency_ms: required field is missing');
    expect(stderr).toContain(':13: (event): expected a JSON object');
    expect(summary(records)).toEqual(['trigger cost_threshold_breach firing', 'action token_optimization', 'experiment started']);
  });

  it('names bad lines and too-late events in line order', async () => {
    const t = Date.parse('2026-01-05T09:00:00Z');
    const call = (ts: number): object => ({ ts, route: 'r', variant: 'v', latency_ms: 5 });
    const { stderr } = await replay(writeNdjson([call(t - 3_600_000), call(t), '{"ts":"bad"}', call(t - 3_600_000), { ts: t, route: 'r', latency_ms: 5 }]));
    expect(stderr.trim().split('\n').map((line) => /:(\d+): (\S+)/.exec(line)?.slice(1).join(' '))).toEqual(['3 ts:', '4 ts:', '5 variant:']);
    expect(stderr).toContain(':4: ts: too_late: ');
  });

  it('two runs over the same input are byte-identical', async () => {
    const routes: ScenarioRoute[] = [
      { route: 'a', variant: 'v', pattern: 'chain_of_thought', ratePerSecond: 4, phases: [{ ...healthy, durationMs: 10 * MINUTE }, { ...healthy, durationMs: 20 * MINUTE, medianMs: 1700, costUsd: 0.2 }] },
      { route: 'b', variant: 'w', pattern: 'few_shot', ratePerSecond: 3, phases: [{ ...healthy, durationMs: 30 * MINUTE, accuracy: 0.8 }] },
    ];
    const path = writeNdjson(generate(routes));
    const first = await replay(path);
    const second = await replay(path);
    expect(first.records.length).toBeGreaterThan(3);
    expect(second.stdout).toBe(first.stdout);
  });

  it('out-of-order input (batches up to a minute late) replays byte-identically, decides as in order, and names too-late lines', async () => {
    const routes: ScenarioRoute[] = [
      { route: 'a', variant: 'v', pattern: 'chain_of_thought', ratePerSecond: 4, phases: [{ ...healthy, durationMs: 10 * MINUTE }, { ...healthy, durationMs: 20 * MINUTE, medianMs: 1700, costUsd: 0.2 }] },
      { route: 'b', variant: 'w', pattern: 'few_shot', ratePerSecond: 3, phases: [{ ...healthy, durationMs: 30 * MINUTE, accuracy: 0.8 }] },
    ];
    const inOrder = generate(routes) as { ts: number }[];
    // Exporter-like disorder: 20-second slices of traffic delivered newest-first in groups of three.
    const slices: { ts: number }[][] = [];
    for (const event of inOrder) {
      const k = Math.floor((event.ts - inOrder[0]!.ts) / 20_000);
      (slices[k] ??= []).push(event);
    }
    const shuffled: (object | string)[] = [];
    for (let g = 0; g < slices.length; g += 3) for (const slice of slices.slice(g, g + 3).reverse()) shuffled.push(...(slice ?? []));
    const stale = { ts: inOrder[inOrder.length - 1]!.ts - 20 * MINUTE, route: 'a', variant: 'v', latency_ms: 5 };
    shuffled.push(stale);
    const path = writeNdjson(shuffled);
    const first = await replay(path);
    const second = await replay(path);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toBe(first.stderr);
    expect(first.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`:${shuffled.length}: ts: too_late: `))]);
    const ordered = await replay(writeNdjson(inOrder));
    expect(summary(first.records)).toEqual(summary(ordered.records));
  });
});
