import { Kafka, logLevel } from 'kafkajs';
import type { Subscription } from 'rxjs';
import { ConfigSchema } from '../../../src/config/schema.js';
import type { KafkaSettings } from '../../../src/adapters/kafka/index.js';
import type { TelemetryEvent } from '../../../src/core/event.js';
import type { EventSource, SourceRejection } from '../../../src/ports/ports.js';

let counter = 0;

/** Kafka settings with unique topic and group names, so tests sharing one mock cluster never see each other's data. */
export function uniqueSettings(brokers: string, overrides: Partial<KafkaSettings> = {}): KafkaSettings {
  const id = `${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const base = ConfigSchema.parse({}).kafka;
  return {
    ...base,
    brokers: [brokers],
    group_id: `g-${id}`,
    topics: { events: `events-${id}`, otlp_spans: `otlp-${id}`, decisions: `decisions-${id}`, dead_letter: `dlq-${id}` },
    ...overrides,
  };
}

/** A downstream that records every batch and commits it after its "effects" (a synchronous append). */
export class RecordingConsumer {
  readonly events: TelemetryEvent[] = [];
  readonly rejected: SourceRejection[] = [];
  batches = 0;
  /** When false, batches are recorded but not committed until {@link commitAll}. */
  autoCommit = true;
  private readonly uncommitted: (() => Promise<void>)[] = [];
  private readonly subscription: Subscription;

  constructor(source: EventSource) {
    this.subscription = source.batches$.subscribe((batch) => {
      this.batches++;
      this.events.push(...batch.events);
      this.rejected.push(...batch.rejected);
      if (this.autoCommit) void batch.commit();
      else this.uncommitted.push(() => batch.commit());
    });
  }

  /** Commits every batch held back while `autoCommit` was false. */
  async commitAll(): Promise<void> {
    const pending = this.uncommitted.splice(0);
    for (const commit of pending) await commit();
  }

  /** Waits until at least `n` events arrived (the broker and group join are real, so this polls). */
  async waitForEvents(n: number, timeoutMs = 30_000): Promise<void> {
    await waitUntil(() => this.events.length >= n, timeoutMs, () => `${this.events.length}/${n} events`);
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

/** Sum of a group's committed offsets over a topic's partitions (-1 entries count as 0). */
export async function committedTotal(brokers: string, groupId: string, topic: string): Promise<number> {
  const kafka = new Kafka({ brokers: [brokers], clientId: 'test-admin', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A v1 wire event for tests. */
export function wire(i: number, route = `route-${i % 3}`): Record<string, unknown> {
  return { ts: 1_700_000_000_000 + i, route, variant: 'v1', latency_ms: 100 + i, input_tokens: 10, output_tokens: 5 };
}

/** Polls `condition` every 25 ms until it holds; rejects after `timeoutMs` with `describe()`. For waits on real services only. */
export async function waitUntil(condition: () => boolean, timeoutMs = 30_000, describe: () => string = () => 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
