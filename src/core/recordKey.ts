import { createHash } from 'node:crypto';
import { formatRecord, type DecisionRecord } from './decision.js';

/**
 * Idempotency key of a decision: a hash of its canonical line (`formatRecord`).
 * The same decision produced twice — a Kafka batch redelivered after a crash,
 * a retried append whose first attempt did land — has the same key, so a
 * decision log records it once. 128 bits of SHA-256, hex.
 */
export function recordKey(record: DecisionRecord): string {
  return createHash('sha256').update(formatRecord(record)).digest('hex').slice(0, 32);
}
