import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RouteView } from '../../src/app/routeQuery.js';
import { until } from '../helpers/until.js';
import { kcatProduce, startDaemonProcess, type DaemonProcess, useKafkaMock, useRedisFixture } from './harness/index.js';
import { uniqueSettings } from './harness/kafkaTestSupport.js';

// A Kafka consumer-group rebalance without a crash (a second instance joins): the partitions that move take their
// routes' traffic to the new instance. The instance that gave them up checkpoints those routes and releases their
// leases when the rebalance ends, so the new owner resumes them at once, with every call the first one counted —
// before, it held their traffic until the leases lapsed and then resumed from whatever checkpoint was older.

const mock = useKafkaMock();
const fx = useRedisFixture('pp-rebalance-');
const ROUTES = Array.from({ length: 8 }, (_, i) => `route-${i}`);

async function count(d: DaemonProcess, route: string): Promise<number | null> {
  const res = await fetch(`${d.url}/v1/routes/${route}`);
  if (res.status !== 200) return null;
  return ((await res.json()) as RouteView).variants.reduce((n, v) => n + v.count, 0);
}

describe('a rebalance without a crash', () => {
  it('hands the moved routes to their new owner at once, with what the old owner counted', async () => {
    const settings = uniqueSettings(mock.brokers);
    const configOf = (instance: string): string => {
      const file = join(fx.dir, `${instance}.yaml`);
      writeFileSync(file, JSON.stringify({
        simulator: { enabled: false },
        server: { host: '127.0.0.1' },
        kafka: { group_id: settings.group_id, topics: settings.topics, session_timeout: '3s' },
        time: { bucket: '1s', allowed_lateness: '2s' },
        // No periodic checkpoint and a long lease: only the hand-over can give the new owner the old one's counts in time.
        redis: { instance_id: instance, lease: '60s', refresh_interval: '300ms', checkpoint_interval: '1h' },
        log: { level: 'info' },
      }));
      return file;
    };
    const env = { PROMPTPILOT_REDIS_URL: fx.redis.url, PROMPTPILOT_KAFKA_BROKERS: mock.brokers };
    const produce = (fromMs: number, toMs: number, perRoute: number): Promise<void> =>
      kcatProduce(mock.brokers, settings.topics.events, ROUTES.flatMap((route) =>
        Array.from({ length: perRoute }, (_, i) => ({ key: route, value: JSON.stringify({ ts: fromMs + Math.floor((i * (toMs - fromMs)) / perRoute), route, variant: 'v1', latency_ms: 300 + i }) }))));

    const a = await startDaemonProcess('RA', configOf('RA'), env, fx.running);
    await until('A in the group', async () => ((await fetch(`${a.url}/readyz`)).status === 200 ? true : null), 60_000);
    const start = Date.now();
    await produce(start - 60_000, start - 30_000, 50);
    await until('A counting every call', async () => {
      const counts = await Promise.all(ROUTES.map((r) => count(a, r)));
      return counts.every((n) => n === 50) ? true : null;
    }, 60_000);

    const b = await startDaemonProcess('RB', configOf('RB'), env, fx.running);
    await until('B in the group', async () => ((await fetch(`${b.url}/readyz`)).status === 200 ? true : null), 60_000);
    await produce(start - 20_000, Date.now(), 20);

    // Well inside the 60 s lease: every route counted in full by its owner, B owning the moved ones.
    const owners = await until('every route counted in full by its owner', async () => {
      const found: string[] = [];
      for (const route of ROUTES) {
        const owner = await fx.client.hget(`promptpilot:lease:${route}`, 'owner');
        const d = owner === 'RA' ? a : owner === 'RB' ? b : null;
        if (d === null || (await count(d, route)) !== 70) return null;
        found.push(owner!);
      }
      return found;
    }, 30_000);
    expect(owners).toContain('RB');
    expect(owners).toContain('RA');
    expect(b.output.some((l) => l.includes('"resumed route statistics from its checkpoint"'))).toBe(true);
    expect(await b.stop()).toBe(0);
    expect(await a.stop()).toBe(0);
  }, 240_000);
});
