import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({
    routes: { quiet: { targets: { latency_p95_ms: 6000 }, variants: [{ name: 'q1', pattern: 'zero_shot' }] } },
  }));
  // 33 minutes of event time at 3.5 s: over the 2 s target + 20 % (performance_degradation) and + 50 % (warning).
  const start = Date.now() - 3 * 3_600_000;
  const batch = Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 500, route: 'slow', variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10, cost_usd: 0.01 }));
  expect((await postJson(`${daemon.url}/v1/events`, batch)).status).toBe(202);
});
afterAll(async () => {
  await daemon.stop();
});

describe('GET /v1/routes/{route}: what an operator asks first', () => {
  it('targets, effective thresholds with their derivation, firing rules, the variant served and the experiment in progress', async () => {
    const { status, json } = await getJson(`${daemon.url}/v1/routes/slow`);
    expect(status).toBe(200);
    expect(json.targets).toMatchObject({ latency_p95_ms: 2000, cost_per_task_usd: 0.1, accuracy: 0.95 });
    expect(json.serving).toMatchObject({ variant: 'cot', pattern: 'chain_of_thought' });
    const rule = (name: string) => json.rules.find((r: any) => r.rule === name);
    expect(rule('performance_degradation')).toMatchObject({
      metric: 'latency_p95_ms', op: 'gt', threshold: 2400, action: 'pattern_simplification', state: 'firing',
      threshold_from: { kind: 'target', target: 'latency_p95_ms', reference: 2000, margin_pct: 20 },
    });
    expect(rule('response_time_critical')).toMatchObject({ threshold: 8000, state: 'inactive', value: null, since: null });
    // No accuracy data: the rule has its threshold but cannot fire.
    expect(rule('accuracy_drop')).toMatchObject({ threshold: 0.9, state: 'inactive' });
    const warning = json.active.find((a: any) => a.rule === 'response_time_warning');
    expect(warning).toMatchObject({ variant: 'cot', state: 'firing', severity: 'warning', threshold: 3000 });
    expect(warning.value).toBeGreaterThan(3400);
    expect(warning.fired_at).toBeGreaterThanOrEqual(warning.since);
    expect(json.experiment).toMatchObject({ status: 'running', kind: 'pattern_simplification', baseline: { variant: 'cot', pattern: 'chain_of_thought' }, candidate: { pattern: 'few_shot' } });
    expect(json.experiment.ramp[0][1]).toBe(json.experiment.share);
    expect(json.blocked).toMatchObject({ code: 'experiment_running' });
    expect(json.blocked.detail).toContain(json.experiment.id);
    expect(json.variants[0]).toMatchObject({ variant: 'cot', cost_per_task_usd: 0.01, accuracy: null });
    expect(json.watermark).toBeGreaterThan(Date.now() - 3 * 3_600_000);
  });

  it('a configured route without traffic: its own targets, the configured variant, no statistics yet', async () => {
    const { status, json } = await getJson(`${daemon.url}/v1/routes/quiet`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ route: 'quiet', watermark: null, variants: [], active: [], experiment: null, blocked: null, serving: { variant: 'q1', pattern: 'zero_shot' } });
    expect(json.targets.latency_p95_ms).toBe(6000);
    expect((await getJson(`${daemon.url}/v1/routes/nope`)).status).toBe(404);
  });

  it('GET /v1/routes lists every live route in the same shape', async () => {
    const { json } = await getJson(`${daemon.url}/v1/routes`);
    expect(json.routes.map((r: any) => r.route)).toEqual(['slow']);
    expect(json.routes[0]).toEqual((await getJson(`${daemon.url}/v1/routes/slow`)).json);
  });

  it('GET /v1/routes/{route}/series: the window at each closed boundary, oldest first, bounded', async () => {
    const { status, json } = await getJson(`${daemon.url}/v1/routes/slow/series`);
    expect(status).toBe(200);
    const points = json.variants[0].points;
    expect(json.variants[0].variant).toBe('cot');
    expect(points.length).toBeGreaterThan(100);
    expect(points.length).toBeLessThanOrEqual(360);
    expect(points.every((p: any, i: number) => i === 0 || p.t > points[i - 1].t)).toBe(true);
    expect(points.at(-1)).toMatchObject({ accuracy: null, cost_per_task_usd: 0.01 });
    expect(points.at(-1).p95).toBeGreaterThan(3400);
    expect((await getJson(`${daemon.url}/v1/routes/quiet/series`)).json).toEqual({ route: 'quiet', variants: [] });
    expect((await getJson(`${daemon.url}/v1/routes/nope/series`)).status).toBe(404);
  });
});
