import type { DecisionRecord } from '../../core/decision.js';
import { InvariantError } from '../../core/errors.js';
import type { DecisionSink } from '../../ports/ports.js';

/** Called with every published batch before it counts as published; a rejection fails the `publish`. */
export type DecisionSubscriber = (records: readonly DecisionRecord[]) => void | Promise<void>;

/** Options of {@link MemoryDecisionSink}. */
export interface MemoryDecisionSinkOptions {
  /** Sees each non-empty batch first (embedding, webhooks); while it fails, nothing of that batch is kept. */
  readonly onPublish?: DecisionSubscriber;
}

/**
 * In-memory decision sink: the embedded default output. Keeps every published
 * record in publish order (across routes, which is stricter than Kafka's
 * per-route order) and optionally hands each batch to a subscriber.
 *
 * @remarks A batch is kept only once the subscriber resolved, so a caller
 * that retries a failed `publish` neither loses nor duplicates it here; the
 * subscriber itself sees the retried batch again (at-least-once).
 * `publish` after `close` rejects with an {@link InvariantError}.
 */
export class MemoryDecisionSink implements DecisionSink {
  private readonly published: DecisionRecord[] = [];
  private closed = false;

  constructor(private readonly options: MemoryDecisionSinkOptions = {}) {}

  /** Every record published so far, in publish order. */
  get records(): readonly DecisionRecord[] {
    return this.published;
  }

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Keeps the records (after the subscriber, if any, accepted them). An empty batch is a no-op. */
  async publish(records: readonly DecisionRecord[]): Promise<void> {
    if (this.closed) throw new InvariantError('MemoryDecisionSink: publish after close');
    if (records.length === 0) return;
    const batch = [...records];
    await this.options.onPublish?.(batch);
    for (const record of batch) this.published.push(record);
  }

  /** Marks the sink closed; the published records stay readable. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
  }
}
