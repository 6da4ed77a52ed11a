import type { GapRecord } from '../core/decision.js';
import type { HeldGap } from './heldWrites.js';

/**
 * The `gap` record for outbox messages (alerts, decisions for sinks) lost
 * while Redis was unreachable: how many per destination, and the wall-clock
 * range in which they were enqueued.
 */
export function outboxGapRecord(gap: HeldGap, maxPending: number): GapRecord {
  const where = Object.entries(gap.byGroup)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([destination, n]) => `${n} for ${destination}`)
    .join(', ');
  return {
    type: 'gap', ts: gap.fromMs, route: '*', dropped: gap.dropped, from_ts: gap.fromMs, to_ts: gap.toMs,
    reason: `${gap.dropped} outbox messages lost (${where}): Redis was unreachable and more than ${maxPending} were pending (redis.max_pending_outbox_messages)`,
    outbox: Object.fromEntries(Object.entries(gap.byGroup).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}
