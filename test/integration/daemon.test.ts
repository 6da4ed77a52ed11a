import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
const now = Date.now();

beforeAll(async () => {
  ({ daemon } = await startTestDaemon());
});
afterAll(async () => {
  await daemon.stop();
});

const event = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ts: now - 60_000 + i, route: 'checkout', variant: 'v1', pattern: 'few_shot', latency_ms: 100 + i, ...extra,
});

describe('daemon HTTP API', () => {
  it('POST /v1/events takes the good events of a batch and names each bad one', async () => {
    const body = [event(1), { ...event(2), latency_ms: -5 }, event(3), 'junk', { ...event(4), ts: now + 3_600_000 }];
    const { status, json } = await postJson(`${daemon.url}/v1/events`, body);
    expect(status).toBe(202);
    expect(json.accepted).toBe(2);
    expect(json.rejected).toBe(3);
    expect(json.errors.map((e: any) => [e.index, e.field])).toEqual([[1, 'latency_ms'], [3, '(event)'], [4, 'ts']]);
    expect(json.errors[2].message).toContain('ahead of the wall clock');
  });

  it('accepts a single object and NDJSON (a bad line does not stop the others)', async () => {
    expect((await postJson(`${daemon.url}/v1/events`, event(5))).json.accepted).toBe(1);
    const ndjson = [JSON.stringify(event(6)), '{nope', JSON.stringify(event(7)), ''].join('\n');
    const { json } = await postJson(`${daemon.url}/v1/events`, ndjson, 'application/x-ndjson');
    expect(json).toMatchObject({ accepted: 2, rejected: 1, errors: [{ index: 1, field: '(line)' }] });
  });

  it('GET /v1/routes/{route} shows live statistics; metrics without data are null', async () => {
    const { status, json } = await getJson(`${daemon.url}/v1/routes/checkout`);
    expect(status).toBe(200);
    expect(json.route).toBe('checkout');
    const v = json.variants[0];
    expect(v).toMatchObject({ variant: 'v1', pattern: 'few_shot', count: 5, error_rate: 0, accuracy: null, cost_per_task_usd: null, tokens_per_quality_point: null });
    expect(v.latency_ms.p50).toBeGreaterThan(100);
    const all = await getJson(`${daemon.url}/v1/routes`);
    expect(all.json.routes.map((r: any) => r.route)).toEqual(['checkout']);
  });

  it('unknown route → 404 JSON', async () => {
    const { status, json } = await getJson(`${daemon.url}/v1/routes/nope`);
    expect(status).toBe(404);
    expect(json.error).toContain('nope');
  });

  it('rejects a non-JSON body (400), a wrong content type (415) and a body over the limit (413) and keeps serving', async () => {
    expect((await postJson(`${daemon.url}/v1/events`, '{not json')).status).toBe(400);
    expect((await postJson(`${daemon.url}/v1/events`, 'a,b', 'text/csv')).status).toBe(415);
    const { daemon: small } = await startTestDaemon({ server: { body_limit_bytes: 1024 } });
    try {
      const big = JSON.stringify(Array.from({ length: 100 }, (_, i) => event(i)));
      expect((await postJson(`${small.url}/v1/events`, big)).status).toBe(413);
    } finally {
      await small.stop();
    }
    expect((await getJson(`${daemon.url}/healthz`)).json.status).toBe('ok');
  });

  it('serves health, readiness, metrics and the decision log', async () => {
    expect((await getJson(`${daemon.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^promptpilot_events_accepted_total\{source="http"\} 5$/m);
    // Schema rejections count too: two bad fields, one future-dated event, a bad NDJSON line and a non-JSON body.
    expect(metrics).toMatch(/^promptpilot_events_rejected_total\{source="http",reason="schema"\} 2$/m);
    expect(metrics).toMatch(/^promptpilot_events_rejected_total\{source="http",reason="future_skew"\} 1$/m);
    expect(metrics).toMatch(/^promptpilot_events_rejected_total\{source="http",reason="malformed"\} 2$/m);
    const { json } = await getJson(`${daemon.url}/v1/decisions?since=0`);
    expect(json).toEqual({ decisions: [], next: 0 });
    expect((await getJson(`${daemon.url}/v1/decisions?since=yesterday`)).status).toBe(400);
  });

  it('decides from live traffic: a slow route fires and its decision is in the log', async () => {
    const start = now - 3 * 3_600_000;
    const batch = Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 500, route: 'slow', variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10 }));
    const res = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    expect(res.status).toBe(202);
    const { json } = await getJson(`${daemon.url}/v1/decisions?route=slow`);
    const names = json.decisions.map((d: any) => `${d.type}:${d.type === 'action' ? d.kind : d.rule}:${d.state ?? ''}`);
    expect(names).toContain('trigger:response_time_warning:firing');
    expect(names).toContain('trigger:performance_degradation:firing');
    expect(names).toContain('action:pattern_simplification:');
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^promptpilot_route_latency_p95_seconds\{route="slow",variant="cot"\} 3\.[56]\d*$/m);
    expect(metrics).toMatch(/^promptpilot_decisions_total\{type="trigger",outcome="firing"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^promptpilot_experiments_running 1$/m);
    expect(metrics).not.toMatch(/promptpilot_route_accuracy\{route="slow"/); // no data: omitted, not 0
    const page = await getJson(`${daemon.url}/v1/decisions?route=slow&limit=1`);
    expect(page.json.decisions).toHaveLength(1);
    const next = await getJson(`${daemon.url}/v1/decisions?route=slow&after=${page.json.next}`);
    expect(next.json.decisions[0]).toEqual(json.decisions[1]);
  });
});

describe('event time in the live daemon', () => {
  it('an event ahead of the wall clock does not push the watermark into the future; late events count, too-late ones are rejected by reason', async () => {
    const { daemon: d } = await startTestDaemon();
    try {
      const now = Date.now();
      const e = (ts: number) => ({ ts, route: 'skew', variant: 'v', latency_ms: 10 });
      expect((await postJson(`${d.url}/v1/events`, [e(now), e(now + 290_000)])).json.accepted).toBe(2);
      const onTime = await postJson(`${d.url}/v1/events`, Array.from({ length: 100 }, (_, i) => e(now + i)));
      expect(onTime.json).toMatchObject({ accepted: 100, rejected: 0 });
      expect((await getJson(`${d.url}/v1/routes/skew`)).json.variants[0].count).toBe(102);
      const stale = await postJson(`${d.url}/v1/events`, [e(now - 3_600_000), e(now + 1), e(now - 40_000)]);
      expect(stale.json.accepted).toBe(2);
      expect(stale.json.errors).toMatchObject([{ index: 0, field: 'ts' }]);
      expect(stale.json.errors[0].message).toMatch(/^too_late: .* older than the oldest time the route still accepts/);
      expect((await getJson(`${d.url}/v1/routes/skew`)).json.variants[0].count).toBe(104);
      const metrics = await (await fetch(`${d.url}/metrics`)).text();
      expect(metrics).toMatch(/^promptpilot_events_rejected_total\{source="http",reason="too_late"\} 1$/m);
      expect(metrics).toMatch(/promptpilot_events_late_total 1/);
    } finally {
      await d.stop();
    }
  });
});

describe('cardinality limits', () => {
  it('rejects events for routes and variants beyond the limits, naming the limit, and keeps the rest', async () => {
    // Hard caps: no probation eviction (test/engine/cardinality.test.ts covers eviction).
    const { daemon: small } = await startTestDaemon({ limits: { max_routes: 2, max_variants_per_route: 2, probation_events: 0 } });
    try {
      const ts = Date.now() - 1000;
      const e = (route: string, variant: string) => ({ ts, route, variant, latency_ms: 10 });
      const { json } = await postJson(`${small.url}/v1/events`, [e('a', 'v1'), e('b', 'v1'), e('c', 'v1'), e('a', 'v2'), e('a', 'v3'), e('a', 'v1')]);
      expect(json.accepted).toBe(4);
      expect(json.errors).toEqual([
        { index: 2, field: 'route', message: 'too many routes: the limit is 2 (limits.max_routes)' },
        { index: 4, field: 'variant', message: 'too many variants on route a: the limit is 2 (limits.max_variants_per_route)' },
      ]);
      const second = await postJson(`${small.url}/v1/events`, [e('d', 'v1'), e('b', 'v1')]);
      expect(second.json).toMatchObject({ accepted: 1, rejected: 1 });
    } finally {
      await small.stop();
    }
  });
});
