import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, RedisOutbox } from '../../src/adapters/redis/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { GapRecord } from '../../src/core/decision.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import type { BufferedDecisionLog } from '../../src/runtime/bufferedDecisionLog.js';
import { openDurableState, type DurableState } from '../../src/runtime/durableState.js';
import { createLogger } from '../../src/runtime/logger.js';
import { trigger } from '../contracts/fixtures.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisServer } from '../integration/harness/index.js';

// Shutdown ordering: a gap record written while the daemon stopped (decisions lost in an outage, logged once Redis was
// back) was alerted by a send that close() did not wait for: it enqueued the alert after the Redis connection had
// closed, into the memory buffer that dies with the process — an alert queued for delivery and never persisted.
// close() now waits for gap alerts in flight, and a gap record made after that is logged as not alerted (it is in the
// decision log), never queued.

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const prefix = 'gapstop:';

describe('a gap alert during shutdown', () => {
  it('is in the Redis outbox once close() resolves, and none is queued after it', async () => {
    const lines: Record<string, unknown>[] = [];
    const config = parseConfig({ redis: { url: redis.url, key_prefix: prefix, instance_id: 'stop', max_pending_decisions: 2, max_pending_outbox_messages: 1 }, log: { level: 'info', format: 'json' } });
    const logger = createLogger(config, { write: (l: string) => (lines.push(JSON.parse(l) as Record<string, unknown>), true) } as unknown as NodeJS.WritableStream);
    const alerted: GapRecord[] = [];
    let state: DurableState | null = null;
    // What the daemon's notifier does with a gap record: plan it (a little work) and enqueue its alert in the outbox.
    const onGap = async (record: GapRecord): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      alerted.push(record);
      await state!.outbox.enqueue([{ destination: 'notify:hook', key: `gap-${record.from_ts}`, payload: { body: record.reason } }], Date.now());
    };
    state = await openDurableState(config, new PipelineEngine(config), logger, { onGap });
    const decisions = state.decisions as BufferedDecisionLog;

    await redis.kill();
    for (let i = 0; i < 5; i++) await decisions.append([trigger('support', i * 1000)]);
    await redis.restart();
    // Redis is back: the gap record is written, and its alert is being sent, when the daemon stops.
    await until('the gap record written', async () => {
      await decisions.flush();
      return decisions.pending === 0 ? true : null;
    }, 30_000);
    await state.close();

    const admin = await connectRedis(redis.url);
    try {
      expect(alerted).toHaveLength(1);
      expect((await new RedisOutbox(admin, prefix).depth('notify:hook')).pending).toBe(1);
      expect(state.outbox.pending).toBe(0);
      // After close: outbox messages lost for want of a connection make a gap record, which is not queued as an alert.
      for (let i = 0; i < 3; i++) await state.outbox.enqueue([{ destination: 'notify:hook', key: `late-${i}`, payload: { body: 'late' } }], Date.now());
      const notAlerted = 'gap record not alerted: the daemon is shutting down; it is in the decision log';
      await until('the late gap record logged as not alerted', async () => (lines.some((l) => l['msg'] === notAlerted) ? true : null), 30_000, 20);
      expect(alerted).toHaveLength(1);
    } finally {
      admin.disconnect();
    }
  }, 60_000);
});
