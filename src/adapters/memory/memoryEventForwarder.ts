import type { TelemetryEvent } from '../../core/event.js';
import { InvariantError } from '../../core/errors.js';
import type { EventForwarder } from '../../ports/ports.js';

/**
 * In-memory event forwarder (gateway role without Kafka): collects forwarded
 * events in forward order and per route, the way the Kafka forwarder keys
 * them by route. Useful for embedding a receiver and for tests of the gateway.
 *
 * @remarks `forward` after `close` rejects with an {@link InvariantError}.
 */
export class MemoryEventForwarder implements EventForwarder {
  private readonly all: TelemetryEvent[] = [];
  private readonly perRoute = new Map<string, TelemetryEvent[]>();
  private closed = false;

  /** Every forwarded event, in forward order. */
  get events(): readonly TelemetryEvent[] {
    return this.all;
  }

  /** Routes seen so far, in order of first appearance. */
  get routes(): readonly string[] {
    return [...this.perRoute.keys()];
  }

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The events forwarded for one route (the Kafka message key), in forward order; empty for an unknown route. */
  byRoute(route: string): readonly TelemetryEvent[] {
    return this.perRoute.get(route) ?? [];
  }

  /** Records the events. An empty array is a no-op. */
  async forward(events: readonly TelemetryEvent[]): Promise<void> {
    if (this.closed) throw new InvariantError('MemoryEventForwarder: forward after close');
    for (const event of events) {
      this.all.push(event);
      let list = this.perRoute.get(event.route);
      if (list === undefined) {
        list = [];
        this.perRoute.set(event.route, list);
      }
      list.push(event);
    }
  }

  /** Marks the forwarder closed; forwarded events stay readable. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
  }
}
