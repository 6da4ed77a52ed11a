import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import type { Daemon } from '../../src/daemon.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { startAlertmanager, startRedis, startWebhookReceiver, type AlertmanagerServer, type RedisServer, type WebhookReceiver } from './harness/index.js';

// Redis outage (issue 10): redis-server is killed and restarted under a running daemon. Ingest and
// detection go on, /readyz says degraded, pending decisions are bounded, and what overflowed is
// counted and named by a gap record once Redis is back, which reaches the receivers that select it (a webhook, a
// Slack webhook and a real Alertmanager) as a warning.

let redis: RedisServer;
let daemon: Daemon | null = null;
let webhook: WebhookReceiver;
let slack: WebhookReceiver;
let alertmanager: AlertmanagerServer;

beforeAll(async () => {
  redis = await startRedis({ durable: true });
  webhook = await startWebhookReceiver();
  slack = await startWebhookReceiver();
  alertmanager = await startAlertmanager();
}, 60_000);
afterAll(async () => {
  await daemon?.stop();
  await redis?.stop();
  await webhook?.close();
  await slack?.close();
  await alertmanager?.stop();
});

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match === null ? NaN : Number(match[1]);
}

describe('Redis outage under a running daemon', () => {
  it('keeps ingesting and deciding, reports degraded readiness, bounds what it holds, then flushes with a gap record for the overflow', async () => {
    // The demo simulator decides continuously; a tiny pending buffer makes the overflow certain.
    const demo = parseYaml(readFileSync('config/demo.yaml', 'utf8'), 'config/demo.yaml') as Record<string, Record<string, unknown>>;
    const started = await startTestDaemon({
      ...demo,
      server: { port: 0 },
      simulator: { ...demo['simulator'], speedup: 60 },
      redis: { url: redis.url, instance_id: 'outage-test', refresh_interval: '200ms', max_pending_decisions: 3 },
      notify: {
        receivers: [
          { name: 'gaps', type: 'webhook', url: webhook.url, match: { types: ['gap'] } },
          { name: 'chat', type: 'slack', url: slack.url, match: { types: ['gap'], severity: ['warning'] } },
          { name: 'oncall', type: 'alertmanager', url: alertmanager.url, match: { types: ['gap'] } },
        ],
        delivery: { initial_backoff: '100ms', max_backoff: '500ms' },
      },
    });
    daemon = started.daemon;
    const url = daemon.url;
    await until('decisions in Redis', async () => ((await daemon!.decisions.size()) >= 3 ? true : null));
    expect((await getJson(`${url}/readyz`)).json).toEqual({ status: 'ready' });

    await redis.kill();
    const decidedAtKill = daemon.engine.counters.decisions;
    // Readiness degrades but stays 200: the sidecar keeps serving assignments and ingest.
    const degraded = await until('degraded readiness', async () => {
      const res = await getJson(`${url}/readyz`);
      return res.json.status === 'degraded' ? res : null;
    });
    expect(degraded.status).toBe(200);
    expect(degraded.json.reason).toMatch(/^redis unavailable/);
    const posted = await postJson(`${url}/v1/events`, { ts: new Date().toISOString(), route: 'faq-answer', variant: 'faq-v3', latency_ms: 420 });
    expect(posted).toEqual({ status: 202, json: { accepted: 1, rejected: 0, errors: [] } });
    expect((await getJson(`${url}/v1/assign?route=support-triage&unit=u1`)).status).toBe(200);
    // More decisions than the buffer holds are made meanwhile: the oldest are dropped, counted.
    await until('decisions dropped while Redis is away', async () => ((await metric(url, 'promptpilot_decisions_dropped_total')) > 0 ? true : null));
    expect(daemon.engine.counters.decisions).toBeGreaterThan(decidedAtKill);
    expect(await metric(url, 'promptpilot_state_pending_decisions')).toBeLessThanOrEqual(4);
    expect((await getJson(`${url}/healthz`)).status).toBe(200);

    await redis.restart();
    await until('ready again', async () => ((await getJson(`${url}/readyz`)).json.status === 'ready' ? true : null));
    const dropped = await metric(url, 'promptpilot_decisions_dropped_total');
    const gaps = await until('the gap record', async () => {
      const res = await getJson(`${url}/v1/decisions?type=gap`);
      const records = res.json.decisions as DecisionRecord[];
      return records.length > 0 ? records : null;
    });
    // Every drop is accounted for by gap records, and what was kept follows them.
    expect(gaps.reduce((sum, g) => sum + (g.type === 'gap' ? g.dropped : 0), 0)).toBe(dropped);
    expect(gaps[0]).toMatchObject({ type: 'gap', route: '*', reason: expect.stringContaining('redis.max_pending_decisions') });
    const all = (await getJson(`${url}/v1/decisions?limit=10000`)).json.decisions as DecisionRecord[];
    const firstGap = all.findIndex((r) => r.type === 'gap');
    expect(all.length - firstGap).toBeGreaterThan(1);
    expect(await metric(url, 'promptpilot_state_pending_decisions')).toBe(0);

    // The operator is told: every receiver that selects gap records gets each one, as a warning.
    await webhook.waitFor((requests) => requests.length >= gaps.length, 60_000);
    const told = webhook.requests.map((r) => JSON.parse(r.body) as { decision: DecisionRecord; severity: string; summary: string });
    expect(told.map((t) => t.decision).sort((a, b) => a.ts - b.ts)).toEqual([...gaps].sort((a, b) => a.ts - b.ts));
    for (const t of told) expect(t).toMatchObject({ severity: 'warning', summary: expect.stringMatching(/^\d+ decisions lost: the decision log was unreachable/) });
    await slack.waitFor((requests) => requests.length > 0, 60_000);
    expect((JSON.parse(slack.requests[0]!.body) as { text: string }).text).toMatch(/^:large_orange_circle: \d+ decisions lost \(warning\): /);
    const alerts = await alertmanager.waitFor((list) => list.some((a) => a.labels['alertname'] === 'decisions_lost'), 60_000);
    const lost = alerts.find((a) => a.labels['alertname'] === 'decisions_lost')!;
    expect(lost.labels).toEqual({ alertname: 'decisions_lost', severity: 'warning' });
    expect(lost.status.state).toBe('active');
    expect(lost.annotations['summary']).toMatch(/redis\.max_pending_decisions/);
    expect(JSON.parse(lost.annotations['evidence']!)).toMatchObject({ dropped: expect.any(Number), from_ts: expect.any(Number), to_ts: expect.any(Number) });
  }, 300_000);
});
