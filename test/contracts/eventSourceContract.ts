import type { Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../src/core/event.js';
import type { EventSource, SourceBatch, SourceRejection } from '../../src/ports/ports.js';
import { waitUntil } from '../integration/harness/kafkaTestSupport.js';
import { groupInOrder, mixedEvents } from './fixtures.js';

/** How a contract test drives one source and looks at its upstream. */
export interface EventSourceHarness {
  readonly source: EventSource;
  /** Makes events available upstream, one input per event, keyed by route (Kafka: one message each). */
  produce(events: readonly TelemetryEvent[]): Promise<void>;
  /** Makes one input available that the source cannot turn into an event (Kafka: a malformed message). */
  produceInvalid(): Promise<void>;
  /** How many inputs (events and invalid ones) the source has marked committed upstream. */
  committed(): Promise<number>;
}

/** Knobs every harness passes to its source. */
export interface EventSourceHarnessOptions {
  /** Bound on how long `stop()` waits for delivered batches to be committed, in ms. */
  readonly drainTimeoutMs: number;
}

/** Records batches as a pipeline would; commits only when told to. */
class Downstream {
  readonly batches: SourceBatch[] = [];
  readonly events: TelemetryEvent[] = [];
  readonly rejected: SourceRejection[] = [];
  completed = false;
  error: unknown = null;
  private readonly subscription: Subscription;

  constructor(source: EventSource) {
    this.subscription = source.batches$.subscribe({
      next: (batch) => {
        this.batches.push(batch);
        this.events.push(...batch.events);
        this.rejected.push(...batch.rejected);
      },
      error: (err: unknown) => {
        this.error = err;
      },
      complete: () => {
        this.completed = true;
      },
    });
  }

  async waitForInputs(events: number, rejected = 0): Promise<void> {
    await waitUntil(() => this.events.length >= events && this.rejected.length >= rejected, 30_000, () => `${this.events.length}/${events} events, ${this.rejected.length}/${rejected} rejections`);
  }

  async commitAll(): Promise<void> {
    for (const batch of this.batches) await batch.commit();
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

/** Resolves after pending promise callbacks and one turn of the event loop. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The EventSource contract: what every source (memory, Kafka, later HTTP or
 * file sources) must honour. `makeHarness` returns a harness around a fresh
 * source with an empty upstream (Kafka: fresh topics and consumer group).
 * Every test subscribes to `batches$` before `start()`.
 */
export function eventSourceContract(name: string, makeHarness: (options: EventSourceHarnessOptions) => Promise<EventSourceHarness>): void {
  const byRoute = (events: readonly TelemetryEvent[]): Map<string, TelemetryEvent[]> => groupInOrder(events, (e) => e.route);

  describe(`EventSource contract: ${name}`, () => {
    it('delivers every input exactly once in non-empty batches (produced before and after start), committed only after commit()', async () => {
      const h = await makeHarness({ drainTimeoutMs: 30_000 });
      const down = new Downstream(h.source);
      const events = mixedEvents(24);
      await h.produce(events.slice(0, 12));
      await h.source.start();
      await h.produce(events.slice(12));
      await h.produceInvalid();
      await down.waitForInputs(24, 1);

      expect(down.error).toBeNull();
      expect(down.events).toHaveLength(24);
      expect(byRoute(down.events)).toEqual(byRoute(events));
      expect(down.rejected).toHaveLength(1);
      expect(down.rejected[0]?.origin).toMatch(/\S/);
      expect(down.rejected[0]?.field).toMatch(/\S/);
      for (const batch of down.batches) expect(batch.events.length + batch.rejected.length).toBeGreaterThan(0);
      expect(await h.committed()).toBe(0);

      await down.commitAll();
      expect(await h.committed()).toBe(25);
      await down.commitAll();
      expect(await h.committed()).toBe(25);
      await h.source.stop();
      await h.source.stop();
      expect(down.completed).toBe(true);
      expect(down.events).toHaveLength(24);
      down.close();
    });

    it('stop() waits for delivered batches to be committed, commits them, then completes batches$; health says consuming, then stopped', async () => {
      const h = await makeHarness({ drainTimeoutMs: 30_000 });
      const down = new Downstream(h.source);
      const states: string[] = [];
      let healthCompleted = false;
      h.source.health$.subscribe({ next: (health) => states.push(health.state), complete: () => (healthCompleted = true) });
      expect(states).toEqual(['starting']);
      await h.source.start();
      await waitUntil(() => states.at(-1) === 'consuming', 30_000, () => `health consuming (${states.join(' → ')})`);
      await h.produce(mixedEvents(10));
      await down.waitForInputs(10);

      let stopped = false;
      const stopping = h.source.stop().then(() => {
        stopped = true;
      });
      await nextTurn();
      await nextTurn();
      expect(stopped).toBe(false);
      expect(down.completed).toBe(false);

      await down.commitAll();
      await stopping;
      expect(down.completed).toBe(true);
      expect(states).toEqual(['starting', 'consuming', 'stopped']);
      expect(healthCompleted).toBe(true);
      expect(await h.committed()).toBe(10);
      expect(down.events).toHaveLength(10);
      down.close();
    });

    it('stop() gives up after the drain timeout and leaves uncommitted batches uncommitted', async () => {
      const h = await makeHarness({ drainTimeoutMs: 300 });
      const down = new Downstream(h.source);
      await h.source.start();
      await h.produce(mixedEvents(5));
      await down.waitForInputs(5);
      await h.produce(mixedEvents(4, 5));
      await down.waitForInputs(9);
      const first = down.batches[0];
      if (first === undefined) throw new Error('no batch delivered');
      expect(down.batches.length).toBeGreaterThan(1);
      await first.commit();

      await h.source.stop();
      expect(down.completed).toBe(true);
      expect(await h.committed()).toBe(first.events.length + first.rejected.length);
      down.close();
    });

    it('pausing loses nothing: inputs produced while paused arrive exactly once after resume', async () => {
      const h = await makeHarness({ drainTimeoutMs: 30_000 });
      const down = new Downstream(h.source);
      await h.source.start();
      h.source.setPaused(true);
      const events = mixedEvents(8);
      await h.produce(events);
      h.source.setPaused(false);
      await down.waitForInputs(8);
      await down.commitAll();
      await h.source.stop();
      expect(byRoute(down.events)).toEqual(byRoute(events));
      expect(await h.committed()).toBe(8);
      down.close();
    });
  });
}
