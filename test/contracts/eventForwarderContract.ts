import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../src/core/event.js';
import type { EventForwarder } from '../../src/ports/ports.js';
import { event, groupInOrder, mixedEvents } from './fixtures.js';

/** One forwarded event as the next hop receives it: the partitioning key and the decoded event. */
export interface ForwardedEvent {
  readonly key: string | null;
  readonly event: TelemetryEvent;
}

/**
 * Reads back everything a forwarder made visible downstream. Events of one key
 * must be in forward order; across keys any order is allowed.
 */
export type ForwarderReadBack<F> = (forwarder: F) => Promise<readonly ForwardedEvent[]>;

/**
 * The EventForwarder contract: what every adapter must honour (gateway role).
 * `makeForwarder` returns a forwarder whose output starts empty (Kafka: a fresh topic).
 */
export function eventForwarderContract<F extends EventForwarder>(name: string, makeForwarder: () => F | Promise<F>, readBack: ForwarderReadBack<F>): void {
  const expectForwarded = (got: readonly ForwardedEvent[], sent: readonly TelemetryEvent[]): void => {
    for (const { key, event: e } of got) expect(key).toBe(e.route);
    const received = groupInOrder(got.map((g) => g.event), (e) => e.route);
    expect(received).toEqual(groupInOrder(sent, (e) => e.route));
    expect(got).toHaveLength(sent.length);
  };

  describe(`EventForwarder contract: ${name}`, () => {
    it('forward resolves once every event is readable downstream exactly once, keyed by route, unchanged, each route in order', async () => {
      const forwarder = await makeForwarder();
      const events = mixedEvents(30);
      await forwarder.forward(events);
      expectForwarded(await readBack(forwarder), events);
      await forwarder.close();
    });

    it('successive forwards keep each route in forward order', async () => {
      const forwarder = await makeForwarder();
      const events = mixedEvents(24);
      for (let i = 0; i < events.length; i += 5) await forwarder.forward(events.slice(i, i + 5));
      await forwarder.close();
      expectForwarded(await readBack(forwarder), events);
    });

    it('an empty forward is a no-op', async () => {
      const forwarder = await makeForwarder();
      await forwarder.forward([]);
      expect(await readBack(forwarder)).toEqual([]);
      await forwarder.forward([event(1, 'support')]);
      await forwarder.forward([]);
      await forwarder.close();
      expectForwarded(await readBack(forwarder), [event(1, 'support')]);
    });

    it('close is idempotent, with or without anything forwarded', async () => {
      const unused = await makeForwarder();
      await unused.close();
      await unused.close();
      const used = await makeForwarder();
      await used.forward([event(2, 'billing', { error: true })]);
      await used.close();
      await used.close();
      expectForwarded(await readBack(used), [event(2, 'billing', { error: true })]);
    });
  });
}
