import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentSnapshot } from '../../src/abtest/experimentManager.js';
import { parseYaml } from '../../src/config/load.js';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisServer } from './harness/index.js';

// Two instances on one Redis (issue 10): A gets the traffic (the demo simulator) and runs the
// experiments; B gets none and follows A's routes from Redis, so an app asking either instance
// gets the same answer.

let redis: RedisServer;
const daemons: Daemon[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const d of daemons) await d.stop();
  await redis?.stop();
});

/** An experiment as `GET /v1/experiments` shows it. */
type Experiment = ExperimentSnapshot;

const experimentOn = async (d: Daemon, id: string): Promise<Experiment | null> => {
  const res = await getJson(`${d.url}/v1/experiments/${id}`);
  return res.status === 200 ? (res.json as Experiment) : null;
};
const assignments = (d: Daemon, route: string, units: readonly string[]): Promise<unknown[]> =>
  Promise.all(units.map(async (u) => (await getJson(`${d.url}/v1/assign?route=${route}&unit=${u}`)).json));

describe('two instances on one Redis', () => {
  it('an experiment started through one is visible on the other, and 200 units get identical assignments from both', async () => {
    const demo = parseYaml(readFileSync('config/demo.yaml', 'utf8'), 'config/demo.yaml') as Record<string, Record<string, unknown>>;
    const shared = { url: redis.url, refresh_interval: '200ms' };
    const a = (await startTestDaemon({ ...demo, server: { port: 0 }, simulator: { ...demo['simulator'], speedup: 60 }, redis: { ...shared, instance_id: 'a' } })).daemon;
    daemons.push(a);
    const b = (await startTestDaemon({ ...demo, server: { port: 0 }, simulator: { ...demo['simulator'], enabled: false }, redis: { ...shared, instance_id: 'b' } })).daemon;
    daemons.push(b);

    const started = await until('an experiment on A', async () => {
      const list = (await getJson(`${a.url}/v1/experiments`)).json.experiments as Experiment[];
      return list.find((e) => e.status === 'running') ?? null;
    });
    // B has no traffic at all: what it knows of the experiment comes from Redis.
    expect(b.engine.hasRoute(started.route)).toBe(false);
    await until('the experiment on B', () => experimentOn(b, started.id));

    const units = Array.from({ length: 200 }, (_, i) => `unit-${i}`);
    // A may ramp the candidate share between two reads; compare when both show the same experiment state.
    const compared = await until('a moment both instances agree on the experiment', async () => {
      const [ea, eb] = [await experimentOn(a, started.id), await experimentOn(b, started.id)];
      if (ea === null || eb === null || ea.status !== eb.status || ea.share !== eb.share) return null;
      const [fromA, fromB] = [await assignments(a, started.route, units), await assignments(b, started.route, units)];
      const [ea2, eb2] = [await experimentOn(a, started.id), await experimentOn(b, started.id)];
      if (ea2?.share !== ea.share || eb2?.share !== eb.share || ea2.status !== ea.status || eb2.status !== eb.status) return null;
      return { fromA, fromB, status: ea.status };
    });
    expect(compared.fromB).toEqual(compared.fromA);
    if (compared.status === 'running') {
      const arms = new Set(compared.fromA.map((x) => (x as { arm?: string }).arm));
      expect(arms.has('baseline')).toBe(true);
    }
    // Every route A decided for is served alike by B.
    for (const route of (await getJson(`${a.url}/v1/experiments`)).json.experiments.map((e: Experiment) => e.route) as string[]) {
      await until(`route ${route} alike on both`, async () => {
        const [x, y] = [await assignments(a, route, ['someone']), await assignments(b, route, ['someone'])];
        return JSON.stringify(x) === JSON.stringify(y) ? true : null;
      });
    }
  }, 300_000);
});
