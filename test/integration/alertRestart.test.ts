import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/adapters/redis/index.js';
import { ALERT_CLAIM_MARGIN_MS } from '../../src/runtime/alertNotifier.js';
import type { DecisionRecord, GapRecord } from '../../src/core/decision.js';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { killAll, startDaemonProcess, startRedis, startWebhookReceiver, verifySignature, type DaemonProcess, type ReceivedRequest, type RedisServer } from './harness/index.js';

// Alerts survive what a sidecar goes through (issues 10 and 11): the outbox is in Redis, so an alert
// for a receiver that is down outlives a `kill -9` of the daemon that raised it, and an alert raised
// while Redis itself is away waits in the bounded buffer until Redis is back. Real processes, a real
// redis-server, a real HTTP receiver.

const SECRET = 'whsec-restart-0123456789';
const OUTBOX = 'promptpilot:outbox:q:notify:audit';
const running: DaemonProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pp-alert-restart-'));
});
afterEach(async () => {
  await killAll(running.splice(0));
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await killAll(running);
});

/** The notify section: a signed webhook for firing triggers, retried often and (nearly) forever while it is down. */
function notify(url: string): Record<string, unknown> {
  return {
    receivers: [{ name: 'audit', type: 'webhook', url, secret: SECRET, match: { types: ['trigger'], severity: ['warning', 'critical'] } }],
    delivery: { initial_backoff: '100ms', max_backoff: '500ms', max_attempts: 1000 },
  };
}

/** 4000 slow calls (event time three hours ago): the response-time rules fire on route `slow`. */
async function slowTraffic(url: string): Promise<void> {
  const start = Date.now() - 3 * 3_600_000;
  const batch = Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 500, route: 'slow', variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10 }));
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
  expect(res.status).toBe(202);
}

async function firingTriggers(url: string): Promise<DecisionRecord[]> {
  const { json } = await getJson(`${url}/v1/decisions?type=trigger`);
  return (json.decisions as DecisionRecord[]).filter((d) => d.type === 'trigger' && (d.severity === 'warning' || d.severity === 'critical'));
}

/** The idempotency keys of the messages waiting in the Redis outbox for `audit`. */
async function queuedKeys(client: Redis): Promise<string[]> {
  const ids = await client.zrange(OUTBOX, '0', '-1');
  const keys = await Promise.all(ids.map((id) => client.hget(`promptpilot:outbox:m:${id}`, 'key')));
  return keys.filter((k): k is string => k !== null).sort();
}

function byKey(requests: readonly ReceivedRequest[]): Map<string, ReceivedRequest[]> {
  const out = new Map<string, ReceivedRequest[]>();
  for (const r of requests) out.set(String(r.headers['idempotency-key']), [...(out.get(String(r.headers['idempotency-key'])) ?? []), r]);
  return out;
}

describe('alerts across a daemon kill -9 and a Redis outage', () => {
  it('a receiver down while daemon A is killed with SIGKILL gets each alert from daemon B, exactly once, under the key A enqueued it with, signed verifiably', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const client = await connectRedis(redis.url);
    cleanups.push(async () => client.disconnect());
    // The receiver is down: every connection to it is reset before a request is read.
    const receiver = await startWebhookReceiver(() => ({ status: 200 }), { down: true });
    cleanups.push(() => receiver.close());
    const config = (instance: string): string => {
      const file = join(dir, `${instance}.json`);
      writeFileSync(file, JSON.stringify({ server: { max_event_loop_delay: 0 }, redis: { instance_id: instance }, notify: notify(receiver.url), log: { level: 'info' } }));
      return file;
    };
    const env = { PROMPTPILOT_REDIS_URL: redis.url };

    const a = await startDaemonProcess('a', config('alert-a'), env, running);
    await slowTraffic(a.url);
    const firing = await until('firing triggers on A', async () => {
      const found = await firingTriggers(a.url);
      return found.length > 0 ? found : null;
    });
    // A has the alerts in the Redis outbox and has already failed to deliver them (connection reset).
    const enqueued = await until('the alerts in the Redis outbox', async () => {
      const keys = await queuedKeys(client);
      return keys.length === firing.length ? keys : null;
    });
    await until('a failed delivery attempt by A', async () => (a.output.some((line) => line.includes('alert delivery failed; will retry')) ? true : null));
    await a.kill();

    expect(receiver.requests).toHaveLength(0);
    receiver.down = false;
    const b = await startDaemonProcess('b', config('alert-b'), env, running);
    // An alert A was sending when it was killed stays claimed by A for the receiver's timeout (10 s) plus
    // ALERT_CLAIM_MARGIN_MS (10 s), and the alerts queued behind it wait for it: B may deliver only after that.
    await receiver.waitFor((reqs) => reqs.length >= firing.length, 10_000 + ALERT_CLAIM_MARGIN_MS + 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\nA's last lines:\n${a.output.slice(-8).join('\n')}\nB's last lines:\n${b.output.slice(-15).join('\n')}`);
    });
    await until('the outbox emptied', async () => ((await client.zcard(OUTBOX)) === 0 ? true : null));
    // Several relay polls and backoff periods: a second delivery of anything would have happened by now.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const keys = byKey(receiver.requests);
    expect([...keys.keys()].sort()).toEqual(enqueued);
    for (const [key, requests] of keys) {
      expect(requests).toHaveLength(1);
      const request = requests[0]!;
      expect(verifySignature(SECRET, request.body, String(request.headers['promptpilot-signature']), Date.now() / 1000)).toBe(true);
      expect((JSON.parse(request.body) as { idempotency_key: string }).idempotency_key).toBe(key);
    }
    // What B delivered is what A decided: the logged decisions, byte for byte.
    const delivered = receiver.requests.map((r) => JSON.stringify((JSON.parse(r.body) as { decision: unknown }).decision)).sort();
    expect(delivered).toEqual(firing.map((d) => JSON.stringify(d)).sort());
    // B made no new decision of its own for them (no traffic), so nothing else was sent.
    expect(receiver.requests).toHaveLength(firing.length);
    expect(await b.stop()).toBe(0);
  }, 300_000);

  it('alerts raised while Redis is down wait in the bounded buffer (readiness degraded, counted) and reach the receiver once Redis is back, each exactly once', async () => {
    const redis = await startRedis({ durable: true });
    cleanups.push(() => redis.stop());
    const receiver = await startWebhookReceiver(() => ({ status: 200 }));
    cleanups.push(() => receiver.close());
    let daemon: Daemon | null = null;
    cleanups.push(async () => daemon?.stop());
    ({ daemon } = await startTestDaemon({ redis: { url: redis.url, instance_id: 'alert-outage', refresh_interval: '200ms' }, notify: notify(receiver.url) }));
    const url = daemon.url;
    expect((await getJson(`${url}/readyz`)).json).toEqual({ status: 'ready' });

    await redis.kill();
    await slowTraffic(url);
    const degraded = await until('degraded readiness with alerts held', async () => {
      const res = await getJson(`${url}/readyz`);
      return res.json.status === 'degraded' && /[1-9]\d* outbox messages pending/.test(String(res.json.reason)) ? res : null;
    });
    expect(degraded.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(Number(/^promptpilot_state_pending_outbox_messages (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^promptpilot_outbox_dropped_messages_total (\S+)$/m.exec(metrics)?.[1])).toBe(0);
    expect(receiver.requests).toHaveLength(0);

    await redis.restart();
    await until('ready again', async () => ((await getJson(`${url}/readyz`)).json.status === 'ready' ? true : null));
    const firing = await firingTriggers(url);
    expect(firing.length).toBeGreaterThan(0);
    await receiver.waitFor((reqs) => reqs.length >= firing.length, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const keys = byKey(receiver.requests);
    expect(keys.size).toBe(firing.length);
    for (const requests of keys.values()) expect(requests).toHaveLength(1);
    expect(receiver.requests.map((r) => JSON.stringify((JSON.parse(r.body) as { decision: unknown }).decision)).sort()).toEqual(firing.map((d) => JSON.stringify(d)).sort());
    expect((await daemon.outbox.depth('notify:audit')).pending).toBe(0);
  }, 180_000);

  it('alerts lost to an overflow of that buffer are named by a gap record, which reaches the receivers that select gaps once Redis is back', async () => {
    const redis = await startRedis({ durable: true });
    cleanups.push(() => redis.stop());
    const receiver = await startWebhookReceiver(() => ({ status: 200 }));
    cleanups.push(() => receiver.close());
    const ops = await startWebhookReceiver(() => ({ status: 200 }));
    cleanups.push(() => ops.close());
    let daemon: Daemon | null = null;
    cleanups.push(async () => daemon?.stop());
    const base = notify(receiver.url);
    ({ daemon } = await startTestDaemon({
      redis: { url: redis.url, instance_id: 'alert-overflow', refresh_interval: '200ms', max_pending_outbox_messages: 1 },
      notify: { ...base, receivers: [...(base['receivers'] as object[]), { name: 'ops', type: 'webhook', url: ops.url, match: { types: ['gap'] } }] },
    }));
    const url = daemon.url;

    await redis.kill();
    await slowTraffic(url);
    await until('alerts dropped while Redis is away', async () => {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      return Number(/^promptpilot_outbox_dropped_messages_total (\S+)$/m.exec(metrics)?.[1]) > 0 ? true : null;
    });
    await redis.restart();
    await until('ready again', async () => ((await getJson(`${url}/readyz`)).json.status === 'ready' ? true : null));
    const gaps = await until('the gap record in the decision log', async () => {
      const found = (await getJson(`${url}/v1/decisions?type=gap`)).json.decisions as GapRecord[];
      return found.length > 0 ? found : null;
    });
    await ops.waitFor((reqs) => reqs.length >= gaps.length, 60_000);
    // Several relay polls: anything sent twice, or to the wrong receiver, would have arrived by now.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const told = ops.requests.map((r) => JSON.parse(r.body) as { decision: GapRecord; severity: string; summary: string });
    expect(told.map((t) => t.decision).sort((a, b) => a.ts - b.ts)).toEqual([...gaps].sort((a, b) => a.ts - b.ts));
    for (const t of told) {
      expect(t.severity).toBe('warning');
      expect(t.summary).toMatch(/^\d+ outbox messages lost \(\d+ for notify:audit\): Redis was unreachable/);
    }
    // The audit receiver got the alerts that were kept, each once, and no gap.
    const lost = gaps.reduce((sum, g) => sum + (g.outbox?.['notify:audit'] ?? 0), 0);
    expect(lost).toBeGreaterThan(0);
    expect(receiver.requests).toHaveLength((await firingTriggers(url)).length - lost);
  }, 180_000);
});
