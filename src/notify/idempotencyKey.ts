import { createHash } from 'node:crypto';
import { stringifyRounded } from '../core/jsonNumbers.js';
import type { NotifiableRecord } from './notifiable.js';

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * The `Idempotency-Key` of one record for one receiver: a digest of the
 * receiver's name and the record's canonical JSON, so the same decision gets
 * the same key on every retry and after a restart, and a different receiver
 * a different one.
 */
export function recordKey(receiver: string, record: NotifiableRecord): string {
  return `${receiver}-${digest(stringifyRounded(record))}`;
}

/** The key of a message that carries several records (Slack, Alertmanager), from theirs; `suffix` marks re-sends. */
export function groupKey(receiver: string, keys: readonly string[], suffix = ''): string {
  return `${receiver}-${keys.length === 1 ? keys[0]!.slice(receiver.length + 1) : digest(keys.join('\n'))}${suffix}`;
}
