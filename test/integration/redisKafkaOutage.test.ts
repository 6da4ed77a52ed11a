import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteView } from '../../src/app/routeQuery.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { until } from '../helpers/until.js';
import { kcatProduce, killAll, startDaemonProcess, startKafkaMock, startRedis, type DaemonProcess, type KafkaMock, type RedisServer } from './harness/index.js';
import { committedTotal, uniqueSettings } from './harness/kafkaTestSupport.js';

// Kafka offsets vs writes held during a Redis outage (issue 10): a real `promptpilot run` consumes from
// librdkafka's mock cluster with its state in a real redis-server. Redis is killed; events that cross a
// rule arrive and the daemon decides while its decision can only be held in memory; then the daemon is
// killed with SIGKILL, losing what it held. Its offsets never passed those events, so once Redis and the
// daemon are back the events are redelivered, counted once on top of the last checkpoint, and the
// decision is derived again: it is in the decision log exactly once.

const ROUTE = 'outage-route';
let mock: KafkaMock;
let redis: RedisServer;
const running: DaemonProcess[] = [];
let dir: string;

beforeAll(async () => {
  // Durable: Redis comes back with what it held before the outage (an outage, not a wipe).
  [mock, redis] = await Promise.all([startKafkaMock(), startRedis({ durable: true })]);
  dir = mkdtempSync(join(tmpdir(), 'pp-kafka-outage-'));
});
afterAll(async () => {
  await killAll(running);
  await mock?.stop();
  await redis?.stop();
});

describe('Kafka offsets while Redis is away', () => {
  it('kill -9 during a Redis outage: the events behind a held decision are redelivered and the decision is in the log once', async () => {
    const settings = uniqueSettings(mock.brokers);
    const file = join(dir, 'daemon.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        simulator: { enabled: false },
        time: { allowed_lateness: '2s' },
        kafka: { group_id: settings.group_id, topics: settings.topics, session_timeout: '3s' },
        redis: { instance_id: 'kafka-outage', refresh_interval: '200ms', checkpoint_interval: '1s' },
        rules: [{ name: 'slow_route', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, severity: 'warning', min_samples: 20 }],
        log: { level: 'info' },
      }),
    );
    const env = { PROMPTPILOT_KAFKA_BROKERS: mock.brokers, PROMPTPILOT_REDIS_URL: redis.url };
    const produce = (events: readonly Record<string, unknown>[]): Promise<void> =>
      kcatProduce(mock.brokers, settings.topics.events, events.map((e) => ({ key: ROUTE, value: JSON.stringify(e) })));
    /** `count` calls of about `latencyMs`, dated evenly from `fromMs` up to now. */
    const calls = (count: number, latencyMs: number, fromMs: number): Record<string, unknown>[] => {
      const spreadMs = Date.now() - fromMs;
      return Array.from({ length: count }, (_, i) => ({ ts: fromMs + Math.round((i * spreadMs) / count), route: ROUTE, variant: 'v1', latency_ms: latencyMs + (i % 10) }));
    };
    const count = async (d: DaemonProcess): Promise<number> => {
      const res = await fetch(`${d.url}/v1/routes/${ROUTE}`);
      return res.ok ? ((await res.json()) as RouteView).variants.reduce((n, v) => n + v.count, 0) : 0;
    };
    const firingIn = (lines: readonly string[]): DecisionRecord[] =>
      lines
        .filter((line) => line.includes('"decision":{') && line.includes('"rule":"slow_route"'))
        .map((line) => (JSON.parse(line) as { decision: DecisionRecord }).decision)
        .filter((d) => d.type === 'trigger' && d.route === ROUTE && d.state === 'firing');

    const a = await startDaemonProcess('a', file, env, running);
    // Healthy: fast calls counted, committed and checkpointed.
    const fast = calls(100, 100, Date.now() - 60_000);
    const newestFast = Math.max(...fast.map((e) => e['ts'] as number));
    await produce(fast);
    await until('100 calls counted', async () => ((await count(a)) === 100 ? true : null), 120_000);
    await until('their offsets committed', async () => ((await committedTotal(mock.brokers, settings.group_id, settings.topics.events)) === 100 ? true : null), 60_000);
    await until('a checkpoint of them', async () => ((await checkpointedThrough(redis.url)) === newestFast ? true : null), 60_000);

    // Outage: slow calls arrive; the rule fires and its decision can only be held.
    await redis.kill();
    // Dated after every fast call: after the restart none of them is taken for one the checkpoint counted.
    await produce(calls(300, 2_000, newestFast + 1));
    await until('the 300 slow calls counted during the outage', async () => ((await count(a)) === 400 ? true : null), 120_000);
    const held = await until('the trigger decided during the outage', async () => {
      const found = firingIn(a.output);
      return found.length > 0 ? found : null;
    }, 120_000);
    expect(held).toHaveLength(1);
    expect((await (await fetch(`${a.url}/readyz`)).json()) as Record<string, unknown>).toMatchObject({ status: 'degraded' });
    // Not committed past the events whose decision is held.
    expect(await committedTotal(mock.brokers, settings.group_id, settings.topics.events)).toBe(100);
    await a.kill();

    // Redis and the daemon back: the slow calls are redelivered, counted once, the trigger derived again.
    await redis.restart();
    const b = await startDaemonProcess('b', file, env, running);
    expect(b.output.some((line) => line.includes('resumed route statistics from its checkpoint'))).toBe(true);
    await until('all 400 calls counted after the restart', async () => ((await count(b)) === 400 ? true : null), 120_000);
    const triggers = await until('the trigger in the decision log', async () => {
      const res = await fetch(`${b.url}/v1/decisions?type=trigger&limit=1000`);
      const records = ((await res.json()) as { decisions: DecisionRecord[] }).decisions.filter(
        (d) => d.type === 'trigger' && d.route === ROUTE && d.rule === 'slow_route' && d.state === 'firing',
      );
      return records.length > 0 ? records : null;
    }, 120_000);
    expect(triggers).toHaveLength(1);
    expect(triggers[0]).toMatchObject({ severity: 'warning', threshold: 1000 });
    await until('every offset committed', async () => ((await committedTotal(mock.brokers, settings.group_id, settings.topics.events)) === 400 ? true : null), 60_000);
    expect(await b.stop()).toBe(0);
  }, 600_000);
});

/** The newest event time the route's checkpoint in Redis counted, or null. */
async function checkpointedThrough(url: string): Promise<number | null> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const raw = await client.get(`promptpilot:checkpoint:${ROUTE}`);
    return raw === null ? null : (JSON.parse((JSON.parse(raw) as { data: string }).data) as { lastDataMs: number }).lastDataMs;
  } finally {
    client.disconnect();
  }
}
