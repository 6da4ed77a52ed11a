import type { DecisionRecord } from '../core/decision.js';
import { recordKey } from '../core/recordKey.js';
import type { DecisionSink, JsonValue, LoggedDecision, Outbox, OutboxMessage } from '../ports/ports.js';
import type { OutboxDeliver } from './outboxRelay.js';

/** A decision sink under the outbox destination name its messages wait under (stable across restarts). */
export interface NamedDecisionSink {
  readonly destination: string;
  readonly sink: DecisionSink;
}

/**
 * The idempotency key of a logged decision in the outbox: the decision log's
 * own key for it (a hash of its canonical line, {@link recordKey}). It does
 * not depend on where or whether the decision sits in the log, so the same
 * decision enqueued again — held through a Redis outage and flushed, or
 * produced again after a restart from a redelivered batch — has the same key
 * and is not queued twice while the first is still waiting.
 */
export function decisionKey(logged: LoggedDecision): string {
  return recordKey(logged.record);
}

/** One outbox message per (logged decision, sink), in log order. */
export function decisionMessages(logged: readonly LoggedDecision[], sinks: readonly NamedDecisionSink[]): OutboxMessage[] {
  // A DecisionRecord is plain JSON data (formatRecord writes it as such).
  return sinks.flatMap(({ destination }) => logged.map((entry) => ({ destination, key: decisionKey(entry), payload: entry.record as unknown as JsonValue })));
}

/** Delivers outbox messages carrying decision records to `sink`, as one publish. */
export function decisionDeliverer(sink: DecisionSink): OutboxDeliver {
  return (items) => sink.publish(items.map((item) => item.payload as unknown as DecisionRecord));
}

/** Enqueues logged decisions for every sink; the relay delivers them. */
export function enqueueDecisions(outbox: Outbox, sinks: readonly NamedDecisionSink[], nowMs: () => number): (logged: readonly LoggedDecision[]) => Promise<void> {
  return async (logged) => {
    if (sinks.length === 0 || logged.length === 0) return;
    await outbox.enqueue(decisionMessages(logged, sinks), nowMs());
  };
}
