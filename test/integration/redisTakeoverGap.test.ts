import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteView } from '../../src/app/routeQuery.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { until } from '../helpers/until.js';
import { kcatProduce, killAll, postEvents, startDaemonProcess, startKafkaMock, type DaemonProcess, type KafkaMock, useRedisFixture } from './harness/index.js';
import { committedTotal, uniqueSettings } from './harness/kafkaTestSupport.js';

// The takeover gap (issue 10): two real `promptpilot run` processes on one real redis-server. A owns a
// route and has checkpointed its fast calls; A is killed with SIGKILL. While A's lease still runs, B gets
// the route's next calls, slow ones that cross a rule's threshold. B holds them (A's lease says the route
// is not B's), claims the route once the lease lapses, resumes A's checkpoint and counts what it held on
// top: every call sent is counted once, and the trigger is recorded once, by B, with its evidence.
// How long A's lease still runs after the kill is not left to the machine's speed (A renews it only with
// traffic, so it may lapse before B is sent anything): the test keeps it running until B holds the calls,
// then puts back the expiry A left, from which it lapses (see pinLease).

const ROUTE = 'support-answer';
const fx = useRedisFixture('pp-takeover-gap-');

/** An instance with a 6 s lease, checkpoints every `checkpointInterval`, 1 s buckets judged 2 s after their end, and a slow-route rule. */
function configFile(dir: string, instance: string, options: { checkpointInterval?: string; kafka?: Record<string, unknown> } = {}): string {
  const config = {
    simulator: { enabled: false },
    server: { host: '127.0.0.1' },
    ...(options.kafka !== undefined ? { kafka: options.kafka } : {}),
    time: { bucket: '1s', allowed_lateness: '2s' },
    redis: { instance_id: instance, lease: '6s', refresh_interval: '300ms', checkpoint_interval: options.checkpointInterval ?? '1s' },
    rules: [{ name: 'slow_route', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, for: '0s', severity: 'warning', min_samples: 20 }],
    log: { level: 'info' },
  };
  const file = join(dir, `${instance}.yaml`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function post(d: DaemonProcess, events: readonly Record<string, unknown>[]): Promise<{ accepted: number; rejected: number }> {
  return (await postEvents(d.url, events)).body as { accepted: number; rejected: number };
}

/** `count` calls of `latencyMs` (± a little), evenly from `fromMs` to `toMs`. */
function calls(count: number, fromMs: number, toMs: number, latencyMs: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({ ts: fromMs + Math.floor((i * (toMs - fromMs)) / count), route: ROUTE, variant: 'v1', latency_ms: latencyMs + (i % 7) }));
}

/** The route's stored checkpoint: its newest counted event time and the slow_route rule's phase there. */
async function storedCheckpoint(): Promise<{ lastDataMs: number; slowRoute: string | undefined } | null> {
  const raw = await fx.client.get(`promptpilot:checkpoint:${ROUTE}`);
  if (raw === null) return null;
  const data = JSON.parse((JSON.parse(raw) as { data: string }).data) as { lastDataMs: number; detector: { variants: [string, { rules: [string, { phase: string }][] }][] } | null };
  const slowRoute = (data.detector?.variants ?? []).flatMap(([, v]) => v.rules).find(([name]) => name === 'slow_route')?.[1].phase;
  return { lastDataMs: data.lastDataMs, slowRoute };
}

/**
 * Keeps the killed owner's lease running for as long as the test needs (its expiry an hour ahead on
 * Redis's clock; owner and generation as they were); returns what lets it lapse: putting back the
 * expiry the owner left. Call it once the owner is dead (nobody else writes the lease then: the other
 * instance claims a route only for traffic of it).
 */
async function pinLease(): Promise<() => Promise<void>> {
  const key = `promptpilot:lease:${ROUTE}`;
  const left = await fx.client.hget(key, 'expires');
  expect(left).not.toBeNull();
  const [seconds] = await fx.client.time();
  await fx.client.hset(key, 'expires', String(Number(seconds) * 1000 + 3_600_000));
  return async () => {
    await fx.client.hset(key, 'expires', left!);
  };
}

/** Events and data points `d` holds for routes another instance owns (its /metrics gauge). */
async function heldInputs(d: DaemonProcess): Promise<number> {
  const metrics = await (await fetch(`${d.url}/metrics`)).text();
  return Number(/^promptpilot_state_held_inputs (\S+)$/m.exec(metrics)?.[1] ?? '0');
}

/** Until B has judged every bucket up to `newestMs` (its watermark past it, the lateness and a bucket). */
async function judgedThrough(d: DaemonProcess, newestMs: number): Promise<void> {
  await until('every bucket of the calls judged', async () => {
    const view = (await (await fetch(`${d.url}/v1/routes/${ROUTE}`)).json()) as RouteView;
    return (view.watermark ?? 0) > newestMs + 2_000 + 3_000 ? true : null;
  }, 60_000);
}

async function count(d: DaemonProcess): Promise<number | null> {
  const res = await fetch(`${d.url}/v1/routes/${ROUTE}`);
  if (res.status !== 200) return null;
  return ((await res.json()) as RouteView).variants.reduce((n, v) => n + v.count, 0);
}

async function slowTriggers(d: DaemonProcess): Promise<DecisionRecord[]> {
  const page = (await (await fetch(`${d.url}/v1/decisions?type=trigger&limit=1000`)).json()) as { decisions: DecisionRecord[] };
  return page.decisions.filter((r) => r.type === 'trigger' && r.route === ROUTE && r.rule === 'slow_route' && r.state === 'firing');
}

describe('takeover gap on a real Redis', () => {
  it('calls a survivor gets while the killed owner\'s lease runs are counted once on top of its checkpoint, and the trigger they cross is recorded once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-gap-'));
    const env = { PROMPTPILOT_REDIS_URL: fx.redis.url };
    const a = await startDaemonProcess('A', configFile(dir, 'A'), env, fx.running);
    const b = await startDaemonProcess('B', configFile(dir, 'B'), env, fx.running);

    // A owns the route: fast calls, no trigger, all of them in A's checkpoint before A dies.
    const start = Date.now();
    const fast = calls(150, start - 60_000, start - 20_000, 300);
    expect(await post(a, fast)).toMatchObject({ accepted: 150, rejected: 0 });
    const newestFast = Math.max(...fast.map((e) => e['ts'] as number));
    await until('A\'s checkpoint holding every fast call', async () => ((await storedCheckpoint())?.lastDataMs === newestFast ? true : null), 60_000);
    expect(await fx.client.hget(`promptpilot:lease:${ROUTE}`, 'owner')).toBe('A');
    expect(await slowTriggers(a)).toEqual([]);
    await a.kill();
    const lapse = await pinLease();

    // The gap: A's lease still runs, B gets the route's next calls — slow ones, over the rule's 1 s.
    const slow = calls(150, newestFast + 1, Date.now(), 2000);
    expect(await post(b, slow)).toMatchObject({ accepted: 150, rejected: 0 });
    // Not B's route yet: B holds every one of them, counts nothing of it and decides nothing for it.
    await until('B holding the slow calls', async () => ((await heldInputs(b)) === slow.length ? true : null), 60_000);
    expect(await fx.client.hget(`promptpilot:lease:${ROUTE}`, 'owner')).toBe('A');
    expect((await count(b)) ?? 0).toBe(0);
    expect(await slowTriggers(b)).toEqual([]);

    // The lease lapses; B claims the route, resumes A's checkpoint and counts what it held on top of it.
    await lapse();
    await until('B owning the route', async () => ((await fx.client.hget(`promptpilot:lease:${ROUTE}`, 'owner')) === 'B' ? true : null), 60_000);
    await until('every call sent counted on B', async () => ((await count(b)) === fast.length + slow.length ? true : null), 30_000);
    const fired = await until('the slow_route trigger recorded', async () => {
      const found = await slowTriggers(b);
      return found.length > 0 ? found : null;
    }, 60_000);
    expect(b.output.some((line) => line.includes('"resumed route statistics from its checkpoint"'))).toBe(true);
    expect(b.output.some((line) => line.includes('"counted the route\'s traffic held while another instance owned it"') && line.includes('"held":150'))).toBe(true);

    // Once B has judged every bucket of the slow calls: still one firing record, and its evidence counted A's calls too.
    await judgedThrough(b, Math.max(...slow.map((e) => e['ts'] as number)));
    const after = await slowTriggers(b);
    expect(after).toHaveLength(1);
    expect(after[0]).toEqual(fired[0]);
    expect(after[0]!.type === 'trigger' && (after[0]!.evidence?.samples ?? 0)).toBeGreaterThan(slow.length);
    expect(await count(b)).toBe(fast.length + slow.length);
    expect(await b.stop()).toBe(0);
  }, 180_000);

  it('a trigger the owner logged just before it was killed is not fired again by the instance that takes its route over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-gap-'));
    const env = { PROMPTPILOT_REDIS_URL: fx.redis.url };
    await fx.client.flushdb();
    // Checkpoint rounds every hour: the only checkpoint A writes is the one right after it logs the trigger.
    const a = await startDaemonProcess('A2', configFile(dir, 'A2', { checkpointInterval: '1h' }), env, fx.running);
    const b = await startDaemonProcess('B2', configFile(dir, 'B2', { checkpointInterval: '1h' }), env, fx.running);
    const start = Date.now();
    const slowAtA = calls(150, start - 60_000, start - 10_000, 2000);
    expect(await post(a, slowAtA)).toMatchObject({ accepted: 150, rejected: 0 });
    await until('the trigger logged by A', async () => ((await slowTriggers(a)).length === 1 ? true : null), 30_000);
    await until('A\'s checkpoint with the rule firing', async () => ((await storedCheckpoint())?.slowRoute === 'firing' ? true : null), 30_000);
    await a.kill();

    const slowAtB = calls(100, start - 9_000, Date.now(), 2000);
    expect(await post(b, slowAtB)).toMatchObject({ accepted: 100, rejected: 0 });
    await until('B owning the route', async () => ((await fx.client.hget(`promptpilot:lease:${ROUTE}`, 'owner')) === 'B2' ? true : null), 60_000);
    await until('every call sent counted on B', async () => ((await count(b)) === slowAtA.length + slowAtB.length ? true : null), 30_000);
    await judgedThrough(b, Math.max(...slowAtB.map((e) => e['ts'] as number)));
    // Still the one episode A logged: B went on from the rule's firing state instead of firing it again.
    expect(await slowTriggers(b)).toHaveLength(1);
    expect(await b.stop()).toBe(0);
  }, 180_000);
});

describe('takeover gap over Kafka partitions on a real Redis', () => {
  let mock: KafkaMock;
  beforeAll(async () => {
    mock = await startKafkaMock();
  });
  afterAll(async () => {
    await killAll(fx.running);
    await mock?.stop();
  });

  it('the instance given a killed owner\'s partition holds the route\'s events until the lease lapses, counts them once on the checkpoint; every message is committed', async () => {
    await fx.client.flushdb();
    const settings = uniqueSettings(mock.brokers);
    const dir = mkdtempSync(join(tmpdir(), 'pp-gap-kafka-'));
    const kafka = { group_id: settings.group_id, topics: settings.topics, session_timeout: '3s' };
        const env = { PROMPTPILOT_REDIS_URL: fx.redis.url, PROMPTPILOT_KAFKA_BROKERS: mock.brokers };
    const daemons = [await startDaemonProcess('KA', configFile(dir, 'KA', { kafka }), env, fx.running), await startDaemonProcess('KB', configFile(dir, 'KB', { kafka }), env, fx.running)];
    for (const d of daemons) await until(`${d.name} in the group`, async () => ((await fetch(`${d.url}/readyz`)).status === 200 ? true : null), 60_000);
    const produce = (events: readonly Record<string, unknown>[]): Promise<void> =>
      kcatProduce(mock.brokers, settings.topics.events, events.map((e) => ({ key: ROUTE, value: JSON.stringify(e) })));

    const start = Date.now();
    const fast = calls(150, start - 60_000, start - 20_000, 300);
    await produce(fast);
    const newestFast = Math.max(...fast.map((e) => e['ts'] as number));
    await until('the owner\'s checkpoint holding every fast call', async () => ((await storedCheckpoint())?.lastDataMs === newestFast ? true : null), 60_000);
    const ownerId = await fx.client.hget(`promptpilot:lease:${ROUTE}`, 'owner');
    const owner = daemons.find((d) => d.name === ownerId)!;
    const survivor = daemons.find((d) => d !== owner)!;
    await owner.kill();
    const lapse = await pinLease();

    const slow = calls(150, newestFast + 1, Date.now(), 2000);
    await produce(slow);
    // The group gives the survivor the partition after the session timeout; the dead owner's lease still runs then.
    await until('the survivor holding the slow calls', async () => ((await heldInputs(survivor)) === slow.length ? true : null), 120_000);
    expect((await count(survivor)) ?? 0).toBe(0);
    await lapse();
    const held = await until('the survivor counting what it held', async () => {
      const line = survivor.output.find((l) => l.includes('"counted the route\'s traffic held while another instance owned it"'));
      return line === undefined ? null : (JSON.parse(line) as { held: number }).held;
    }, 120_000);
    expect(held).toBe(slow.length);
    await until('every call counted on the survivor', async () => ((await count(survivor)) === fast.length + slow.length ? true : null), 30_000);
    await judgedThrough(survivor, Math.max(...slow.map((e) => e['ts'] as number)));
    expect(await slowTriggers(survivor)).toHaveLength(1);
    // Committed once counted and checkpointed: every message, once.
    await until('every message committed', async () => ((await committedTotal(mock.brokers, settings.group_id, settings.topics.events)) === fast.length + slow.length ? true : null), 60_000);
    expect(await survivor.stop()).toBe(0);
  }, 300_000);
});
