import { describe, expect, it } from 'vitest';
import { RedisStateStore } from '../../src/adapters/redis/index.js';
import { parseConfig } from '../../src/config/load.js';
import { makeEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { postJson, startTestDaemon } from '../helpers/daemon.js';
import { redisForSuite } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

// A daemon took a route over and refused the held calls the previous owner's checkpoint had counted already (a client
// re-sent them): the log line said `refused_calls: 20`, but promptpilot_events_rejected_total stayed where it was, so
// a user reading the metric saw 50 calls accepted and only 30 of them in the route. They are counted now, as
// source "held", reason "takeover".

const redis = redisForSuite();
const ROUTE = 'support';

function metric(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe('held calls a takeover refuses', () => {
  it('are counted in promptpilot_events_rejected_total{source="held",reason="takeover"}', async () => {
    const prefix = redis.current.prefix();
    const raw = { simulator: { enabled: false }, redis: { url: redis.current.server.url, key_prefix: prefix, instance_id: 'b', lease: '2s', refresh_interval: '200ms' } };
    const { daemon, config } = await startTestDaemon(raw);
    try {
      // The previous owner, gone without releasing its lease: it counted 100 calls and checkpointed them.
      const ghost = new RedisStateStore(redis.current.client, { prefix, ownsClient: false });
      const lease = await ghost.claim(ROUTE, 'ghost', 3_600_000);
      const now = Date.now();
      const counted = Array.from({ length: 100 }, (_, i) => makeEvent(now - 100_000 + i * 500, ROUTE, 'v1', 300 + (i % 5)));
      const engine = new PipelineEngine(config);
      engine.ingest(counted, { nowMs: now });
      await ghost.saveCheckpoint({ route: ROUTE, generation: lease.generation, data: engine.checkpointRoute(ROUTE)! }, 600_000);

      // 20 of its calls again (re-sent) and 30 new ones reach this daemon while the lease runs: all held.
      const resent = counted.slice(80).map((e) => ({ ts: e.ts, route: ROUTE, variant: 'v1', latency_ms: e.latencyMs }));
      const fresh = Array.from({ length: 30 }, (_, i) => ({ ts: now - 40_000 + i * 500, route: ROUTE, variant: 'v1', latency_ms: 300 }));
      expect((await postJson(`${daemon.url}/v1/events`, [...resent, ...fresh])).json).toMatchObject({ accepted: 50, rejected: 0 });
      await until('the calls held', async () => (metric(await (await fetch(`${daemon.url}/metrics`)).text(), 'promptpilot_state_held_inputs') === 50 ? true : null), 30_000);

      await ghost.release(ROUTE, 'ghost');
      await until('the route taken over', async () => ((await ghost.lease(ROUTE))?.owner === 'b' && daemon.engine.heldOf(ROUTE) === 0 ? true : null), 30_000);
      expect(daemon.engine.liveStats(ROUTE)![0]!.count).toBe(130);
      const text = await (await fetch(`${daemon.url}/metrics`)).text();
      expect(metric(text, 'promptpilot_events_rejected_total{source="held",reason="takeover"}')).toBe(20);
      expect(metric(text, 'promptpilot_events_accepted_total{source="http"}')).toBe(50);
    } finally {
      await daemon.stop();
    }
  }, 60_000);
});
