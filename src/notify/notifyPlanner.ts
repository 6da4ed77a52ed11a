import type { ReceiverConfig } from '../config/notifySchema.js';
import type { TriggerRecord } from '../core/decision.js';
import { groupKey, recordKey } from './idempotencyKey.js';
import { alertmanagerAlert, alertmanagerBody, slackBody, SLACK_RECORDS_PER_MESSAGE, webhookBody } from './messageBodies.js';
import type { NotifiableRecord } from './notifiable.js';
import { receiverMatches } from './receiverMatch.js';

/** Default re-send interval of a firing trigger for Alertmanager receivers (its `resolve_timeout` is 5 min). */
export const ALERTMANAGER_REPEAT_MS = 60_000;
/** Exact-duplicate records remembered per receiver. */
const RECENT_KEYS = 10_000;

/** One message for one receiver, ready for the outbox: the exact bytes to POST and their idempotency key. */
export interface PlannedMessage {
  readonly receiver: string;
  /** Outbox destination: `notify:<receiver>`. */
  readonly destination: string;
  /** Stable per message: every retry and a redelivery after a restart reuse it. */
  readonly key: string;
  /** The raw JSON body; the signature is computed over exactly these bytes. */
  readonly body: string;
}

interface FiringAlert {
  readonly record: TriggerRecord;
  readonly key: string;
  lastSentMs: number;
  sends: number;
}

interface ReceiverState {
  config: ReceiverConfig;
  readonly firing: Map<string, FiringAlert>;
  readonly recent: Set<string>;
}

function alertIdentity(record: TriggerRecord): string {
  return `${record.route}\u0000${record.variant}\u0000${record.rule}`;
}

/** The re-send interval of a receiver in ms (0 = none). */
export function repeatIntervalMs(receiver: ReceiverConfig): number {
  return receiver.repeat_interval ?? (receiver.type === 'alertmanager' ? ALERTMANAGER_REPEAT_MS : 0);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Turns decision records into messages per receiver: matching (severity,
 * type, route), dedup (an exact record twice, or a trigger firing again while
 * it already fires, is sent once), grouping (one Slack message per route per
 * batch, one Alertmanager request per batch) and re-sends of still-firing
 * triggers every repeat interval. Pure: wall time comes in as `nowMs`.
 *
 * @remarks The state (which triggers fire, recent keys) is in memory; after a
 * restart a resolve whose firing was not seen still goes out (Alertmanager
 * matches it by labels). Delivery guarantees come from the outbox behind it.
 */
export class NotifyPlanner {
  private readonly receivers = new Map<string, ReceiverState>();

  constructor(receivers: readonly ReceiverConfig[]) {
    this.reconfigure(receivers);
  }

  /** Applies a new receiver list (reload): receivers keeping their name keep their state. */
  reconfigure(receivers: readonly ReceiverConfig[]): void {
    const names = new Set(receivers.map((r) => r.name));
    for (const name of [...this.receivers.keys()]) if (!names.has(name)) this.receivers.delete(name);
    for (const config of receivers) {
      const state = this.receivers.get(config.name);
      if (state === undefined) this.receivers.set(config.name, { config, firing: new Map(), recent: new Set() });
      else state.config = config;
    }
  }

  /** Messages for newly decided records at wall time `nowMs`. */
  plan(records: readonly NotifiableRecord[], nowMs: number): PlannedMessage[] {
    const out: PlannedMessage[] = [];
    for (const state of this.receivers.values()) {
      const kept: { record: NotifiableRecord; key: string; firingTs: number | null }[] = [];
      for (const record of records) {
        if (!receiverMatches(state.config, record)) continue;
        const key = recordKey(state.config.name, record);
        if (state.recent.has(key)) continue;
        this.remember(state, key);
        let firingTs: number | null = null;
        if (record.type === 'trigger') {
          const id = alertIdentity(record);
          const current = state.firing.get(id);
          if (record.state === 'firing') {
            if (current !== undefined) continue;
            state.firing.set(id, { record, key, lastSentMs: nowMs, sends: 1 });
          } else {
            firingTs = current?.record.ts ?? null;
            state.firing.delete(id);
          }
        }
        kept.push({ record, key, firingTs });
      }
      if (kept.length > 0) out.push(...this.render(state.config, kept, nowMs));
    }
    return out;
  }

  /** Re-sends of triggers still firing whose repeat interval has passed at `nowMs`. */
  due(nowMs: number): PlannedMessage[] {
    const out: PlannedMessage[] = [];
    for (const state of this.receivers.values()) {
      const repeatMs = repeatIntervalMs(state.config);
      if (repeatMs <= 0) continue;
      const resend: { record: NotifiableRecord; key: string; firingTs: number | null }[] = [];
      for (const alert of state.firing.values()) {
        if (nowMs - alert.lastSentMs < repeatMs) continue;
        alert.lastSentMs = nowMs;
        alert.sends++;
        resend.push({ record: alert.record, key: `${alert.key}-r${alert.sends}`, firingTs: null });
      }
      if (resend.length > 0) out.push(...this.render(state.config, resend, nowMs));
    }
    return out;
  }

  /** Wall time of the next re-send, or null when nothing fires on a receiver that re-sends. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const state of this.receivers.values()) {
      const repeatMs = repeatIntervalMs(state.config);
      if (repeatMs <= 0) continue;
      for (const alert of state.firing.values()) next = Math.min(next ?? Infinity, alert.lastSentMs + repeatMs);
    }
    return next;
  }

  /** Triggers currently firing per receiver (for tests and the API). */
  firingCount(receiver: string): number {
    return this.receivers.get(receiver)?.firing.size ?? 0;
  }

  private remember(state: ReceiverState, key: string): void {
    state.recent.add(key);
    if (state.recent.size > RECENT_KEYS) {
      const oldest = state.recent.values().next().value;
      if (oldest !== undefined) state.recent.delete(oldest);
    }
  }

  private render(config: ReceiverConfig, items: readonly { record: NotifiableRecord; key: string; firingTs: number | null }[], nowMs: number): PlannedMessage[] {
    const destination = `notify:${config.name}`;
    const message = (key: string, body: string): PlannedMessage => ({ receiver: config.name, destination, key, body });
    switch (config.type) {
      case 'webhook':
        return items.map(({ record, key }) => message(key, webhookBody(record, config.name, key)));
      case 'alertmanager':
        return chunks(items, 100).map((group) =>
          message(
            groupKey(config.name, group.map((i) => i.key)),
            alertmanagerBody(group.map((i) => alertmanagerAlert(i.record, i.firingTs, nowMs))),
          ),
        );
      case 'slack': {
        const byRoute = new Map<string, typeof items[number][]>();
        for (const item of items) {
          const route = item.record.route ?? '';
          byRoute.set(route, [...(byRoute.get(route) ?? []), item]);
        }
        return [...byRoute.values()].flatMap((group) =>
          chunks(group, SLACK_RECORDS_PER_MESSAGE).map((part) => message(groupKey(config.name, part.map((i) => i.key)), slackBody(part.map((i) => i.record)))),
        );
      }
    }
  }
}
