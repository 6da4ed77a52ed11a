import { describe, expect, it } from 'vitest';
import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { ExperimentManager } from '../../src/abtest/experimentManager.js';
import { parseConfig } from '../../src/config/load.js';
import type { PolicyRecord } from '../../src/core/decision.js';

// Two daemons on one Redis: freeze, unfreeze, freeze of a quiet route within a second answered 200 three times and
// left the route frozen, but the decision log (and the webhook) held freeze, unfreeze: steering is stamped with the
// route's watermark, which stood still, so the second freeze was the first one's twin and appends (and alerts) are
// idempotent per content. The log's last word on the route said it was not frozen.

const T0 = Date.parse('2026-03-02T09:00:00Z');

describe('steering a route several times at one event time', () => {
  it('gives every policy record its own time, so the log keeps each one, in order', async () => {
    const manager = new ExperimentManager(parseConfig({}));
    const records = (['freeze', 'unfreeze', 'freeze'] as const).map((action) => manager.steer('support', action, T0, 'through the API') as PolicyRecord);
    expect(records.map((r) => [r.action, r.ts])).toEqual([['freeze', T0], ['unfreeze', T0 + 1], ['freeze', T0 + 2]]);
    expect(manager.isFrozen('support')).toBe(true);

    const log = new MemoryDecisionLog(100, T0);
    await log.append(records);
    expect((await log.query({ limit: 10 })).map((e) => (e.record as PolicyRecord).action)).toEqual(['freeze', 'unfreeze', 'freeze']);

    // Once the watermark has moved past them, records take its time again.
    expect((manager.steer('support', 'unfreeze', T0 + 1_000, 'x') as PolicyRecord).ts).toBe(T0 + 1_000);
  });
});
