import type { JsonValue, Outbox } from '../ports/ports.js';

/** One destination of the outbox: a decision sink (`sink:0`, `kafka:<topic>`) or an alert receiver (`notify:<name>`). */
export interface DestinationView {
  readonly destination: string;
  /** Messages waiting for (or in) delivery. */
  readonly pending: number;
  /** Messages given up on: kept for inspection ({@link DeliveryQuery.deadLetters}). */
  readonly dead_lettered: number;
}

/** A message the outbox gave up delivering, with why. */
export interface DeadLetterView {
  readonly id: string;
  /** The idempotency key it was sent under (a receiver deduplicates on it). */
  readonly key: string;
  readonly attempts: number;
  readonly enqueued_at: number;
  /** The last attempt's failure: HTTP status and the receiver's answer, a timeout, or the reason it was not retried. */
  readonly last_error: string | null;
  /** What was to be delivered: the decision record (sinks) or the exact body to POST (receivers). */
  readonly payload: JsonValue;
}

/** The largest page of dead letters one query returns. */
export const MAX_DEAD_LETTERS = 1_000;

/**
 * What waits in the outbox and what it gave up on, per destination — the
 * operator's view of delivery: an alert that never arrived is found here with
 * the receiver's last answer, instead of only in a log line.
 */
export class DeliveryQuery {
  constructor(
    private readonly outbox: Outbox,
    /** The destinations the running config delivers to (sinks, then receivers), listed even when empty. */
    private readonly configured: () => readonly string[],
  ) {}

  /** Every configured destination and every other one that still holds messages (a receiver removed by a reload). */
  async destinations(): Promise<readonly DestinationView[]> {
    const names = await this.names();
    const views: DestinationView[] = [];
    for (const destination of names) {
      const depth = await this.outbox.depth(destination);
      views.push({ destination, pending: depth.pending, dead_lettered: depth.deadLettered });
    }
    return views.sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
  }

  /**
   * The oldest `limit` dead letters of `destination` (1 … {@link MAX_DEAD_LETTERS}); a destination
   * {@link destinations} does not list (a misspelt name) is answered with the names it lists.
   */
  async deadLetters(destination: string, limit: number): Promise<readonly DeadLetterView[] | { readonly unknown: readonly string[] }> {
    const names = await this.names();
    if (!names.includes(destination)) return { unknown: names.sort() };
    const items = await this.outbox.deadLetters(destination, Math.min(Math.max(1, Math.trunc(limit)), MAX_DEAD_LETTERS));
    return items.map((item) => ({
      id: item.id,
      key: item.key,
      attempts: item.attempts,
      enqueued_at: item.enqueuedAtMs,
      last_error: item.lastError ?? null,
      payload: item.payload,
    }));
  }

  private async names(): Promise<string[]> {
    return [...new Set([...this.configured(), ...(await this.outbox.destinations())])];
  }
}
