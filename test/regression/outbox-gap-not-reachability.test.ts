import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import type { BufferedDecisionLog } from '../../src/runtime/bufferedDecisionLog.js';
import { openDurableState } from '../../src/runtime/durableState.js';
import { createLogger } from '../../src/runtime/logger.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisServer } from '../integration/harness/index.js';

// Redis down, the outbox buffer overflowing: the gap record for what it dropped is appended to the decision log,
// which only holds it (Redis is down for it too) — and that append, succeeding, marked the outbox reachable: each
// overflow logged "outbox reachable again" and cleared the outbox's failure until its next write failed. Whether
// the outbox is reachable is decided by a real write to it, never by where its gap record went.

const REACHABLE = 'outbox reachable again; pending alerts and sink messages written';
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('an outbox gap recorded while Redis is down', () => {
  it('does not count as the outbox being reachable: no "reachable again" line, degraded all along, until Redis is back', async () => {
    const lines: Record<string, unknown>[] = [];
    const config = parseConfig({ redis: { url: redis.url, instance_id: 'gap', max_pending_outbox_messages: 2 }, log: { level: 'info', format: 'json' } });
    const logger = createLogger(config, { write: (l: string) => (lines.push(JSON.parse(l) as Record<string, unknown>), true) } as unknown as NodeJS.WritableStream);
    const state = await openDurableState(config, new PipelineEngine(config), logger);
    try {
      await redis.kill();
      const outboxFailures: (string | null)[] = [];
      for (let i = 0; i < 6; i++) {
        await state.outbox.enqueue([{ destination: 'notify:a', key: `k${i}`, payload: { i } }], Date.now());
        await state.outbox.flush();
        outboxFailures.push(state.outbox.unavailable);
        expect(state.degraded()).toMatch(/^redis unavailable/);
      }
      expect(state.outbox.dropped).toBe(4);
      expect(outboxFailures.every((f) => f !== null)).toBe(true);
      expect(lines.map((l) => l['msg'])).not.toContain(REACHABLE);
      expect(lines.filter((l) => l['msg'] === 'outbox unreachable; holding alerts and sink messages (redis.max_pending_outbox_messages)')).toHaveLength(1);

      await redis.restart();
      await until('Redis written again', async () => {
        await state.outbox.flush();
        // What the daemon's follow timer does between steps (the gap records the decision log held).
        await (state.decisions as BufferedDecisionLog).flush();
        return state.degraded() === null ? true : null;
      }, 30_000);
      expect(lines.filter((l) => l['msg'] === REACHABLE)).toHaveLength(1);
      expect(state.outbox.pending).toBe(0);
    } finally {
      await state.close();
    }
  }, 60_000);
});
