// Regression: two daemons on one Redis started with the same redis.instance_id (one config file for every replica)
// both took the leases of the routes they got traffic for as their own, both counted and both decided: one
// slow_route episode was logged and alerted twice (ts …756000 and …757000), and nothing said why. Now each daemon
// notices the other rewriting its instance key, logs it as an error and reports /readyz degraded with the reason; a
// restart that reuses its id (on purpose) is not mistaken for a second daemon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisServer } from '../integration/harness/index.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const start = async (instanceId: string): Promise<Daemon> =>
  (await startTestDaemon({ simulator: { enabled: false }, redis: { url: redis.url, instance_id: instanceId, refresh_interval: '200ms' } })).daemon;
const readiness = async (d: Daemon): Promise<{ status: string; reason?: string }> => (await getJson(`${d.url}/readyz`)).json;

describe('redis.instance_id in use by two running daemons', () => {
  it('both report it on /readyz; once one stops, the other is ready again', async () => {
    const a = await start('same');
    const b = await start('same');
    for (const d of [a, b]) {
      const answer = await until('the duplicate id reported', async () => {
        const r = await readiness(d);
        return r.status === 'degraded' ? r : null;
      }, 10_000);
      expect(answer.reason).toMatch(/another running daemon uses redis.instance_id same/);
    }
    await b.stop();
    await until('a ready again', async () => ((await readiness(a)).status === 'ready' ? true : null), 10_000);
    await a.stop();
  });

  it('a restart under the same id, and a daemon with its own id, are not taken for a second daemon', async () => {
    const first = await start('restarted');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await first.stop();
    const again = await start('restarted');
    const other = await start('other');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await readiness(again)).toEqual({ status: 'ready' });
    expect(await readiness(other)).toEqual({ status: 'ready' });
    await again.stop();
    await other.stop();
  });
});
