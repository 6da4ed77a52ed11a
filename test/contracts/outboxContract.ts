import { describe, expect, it } from 'vitest';
import { OverloadedError } from '../../src/core/errors.js';
import type { JsonValue, Outbox, OutboxMessage } from '../../src/ports/ports.js';

/** Options of {@link outboxContract}. */
export interface OutboxContractOptions {
  /**
   * Durable adapters only: closes `outbox` and opens a new one on the same
   * storage (a restart). When given, the suite checks nothing is lost.
   */
  readonly reopen?: (outbox: Outbox) => Promise<Outbox>;
  /**
   * Another handle on the same storage, as a second daemon instance would
   * open it (default: the same object, two relays in one process).
   */
  readonly share?: (outbox: Outbox) => Outbox;
  /**
   * Bounded adapters: an empty outbox holding at most `maxPending` messages
   * waiting for delivery. When given, the suite checks what happens at the
   * bound: the enqueue is refused whole, retriably, and nothing is dropped.
   */
  readonly bounded?: (maxPending: number) => Outbox | Promise<Outbox>;
  /**
   * Adapters whose leases lapse on a clock of their own (Redis: the server's, shared by every instance) rather than
   * the caller's `nowMs`: the lease length the suite uses (ms) and how it waits one out. Default: 30 s, lapsed by
   * the caller's clock alone.
   */
  readonly ownClock?: { readonly leaseMs: number; readonly lapse: (ms: number) => Promise<void> };
}

const T0 = 1_700_000_000_000;

function msg(destination: string, key: string, payload: JsonValue = { key }): OutboxMessage {
  return { destination, key, payload };
}

/**
 * The Outbox contract: what every adapter must honour. `makeOutbox` returns an
 * empty outbox (Redis: a fresh key prefix); the suite closes what it opens.
 */
export function outboxContract(name: string, makeOutbox: () => Outbox | Promise<Outbox>, options: OutboxContractOptions = {}): void {
  const LEASE_MS = options.ownClock?.leaseMs ?? 30_000;
  /** A lease taken now has lapsed once this resolves (and the caller's clock moved past it). */
  const lapse = (): Promise<void> => options.ownClock?.lapse(LEASE_MS) ?? Promise.resolve();
  describe(`Outbox contract: ${name}`, () => {
    it('hands messages out per destination in enqueue order, payloads unchanged, first attempt counted', async () => {
      const outbox = await makeOutbox();
      const payload: JsonValue = { route: 'billing-é☕', value: 0.1 + 0.2, nested: [1, 'two', null, true, { deep: -1.5e-300 }] };
      expect(await outbox.enqueue([msg('kafka:d', 'a', payload), msg('webhook:w', 'x'), msg('kafka:d', 'b'), msg('kafka:d', 'c')], T0)).toBe(4);
      expect(await outbox.depth()).toEqual({ pending: 4, deadLettered: 0 });
      expect(await outbox.depth('kafka:d')).toEqual({ pending: 3, deadLettered: 0 });
      const leased = await outbox.lease('kafka:d', 10, T0, LEASE_MS);
      expect(leased.map((i) => i.key)).toEqual(['a', 'b', 'c']);
      expect(leased[0]).toMatchObject({ destination: 'kafka:d', key: 'a', payload, attempts: 1, enqueuedAtMs: T0 });
      expect(leased[0]?.lastError).toBeUndefined();
      expect(new Set(leased.map((i) => i.id)).size).toBe(3);
      expect((await outbox.lease('webhook:w', 10, T0, LEASE_MS)).map((i) => i.payload)).toEqual([{ key: 'x' }]);
      await outbox.close();
    });

    it('a payload changed by its caller after enqueue is delivered as it was enqueued', async () => {
      const outbox = await makeOutbox();
      const payload = { list: [1, 2] };
      await outbox.enqueue([{ destination: 'd', key: 'k', payload }], T0);
      payload.list.push(3);
      expect((await outbox.lease('d', 1, T0, LEASE_MS))[0]?.payload).toEqual({ list: [1, 2] });
      await outbox.close();
    });

    it('the idempotency key deduplicates per destination while the message is in the outbox', async () => {
      const outbox = await makeOutbox();
      expect(await outbox.enqueue([msg('d', 'k'), msg('d', 'k'), msg('e', 'k')], T0)).toBe(2);
      expect(await outbox.enqueue([msg('d', 'k', 'other payload')], T0 + 1)).toBe(0);
      const [item] = await outbox.lease('d', 10, T0 + 2, LEASE_MS);
      expect(await outbox.enqueue([msg('d', 'k')], T0 + 3)).toBe(0);
      await outbox.ack([item!.id]);
      expect(await outbox.depth('d')).toEqual({ pending: 0, deadLettered: 0 });
      expect(await outbox.enqueue([msg('d', 'k')], T0 + 4)).toBe(1);
      await outbox.close();
    });

    it('lease honours its limit; leased messages are not handed out again until the lease expires', async () => {
      const outbox = await makeOutbox();
      await outbox.enqueue(['1', '2', '3'].map((k) => msg('d', k)), T0);
      expect((await outbox.lease('d', 2, T0, LEASE_MS)).map((i) => i.key)).toEqual(['1', '2']);
      // the head is leased: nothing behind it is handed out meanwhile (order per destination)
      expect(await outbox.lease('d', 10, T0 + 1, LEASE_MS)).toEqual([]);
      expect(await outbox.nextDueAtMs('d')).toBe(T0 + LEASE_MS);
      // a relay that died mid-delivery: after expiry the messages come back, attempts counted
      await lapse();
      const again = await outbox.lease('d', 10, T0 + LEASE_MS, LEASE_MS);
      expect(again.map((i) => [i.key, i.attempts])).toEqual([['1', 2], ['2', 2], ['3', 1]]);
      expect(await outbox.depth('d')).toEqual({ pending: 3, deadLettered: 0 });
      await outbox.close();
    });

    it('ack removes exactly the acknowledged messages; unknown or repeated ids are ignored', async () => {
      const outbox = await makeOutbox();
      await outbox.enqueue(['1', '2', '3'].map((k) => msg('d', k)), T0);
      const leased = await outbox.lease('d', 2, T0, LEASE_MS);
      await outbox.ack(leased.map((i) => i.id));
      await outbox.ack([...leased.map((i) => i.id), 'no-such-id']);
      expect(await outbox.depth('d')).toEqual({ pending: 1, deadLettered: 0 });
      expect((await outbox.lease('d', 10, T0, LEASE_MS)).map((i) => i.key)).toEqual(['3']);
      await outbox.close();
    });

    it('nack makes a message due at the retry time, keeps its place and holds back the messages behind it', async () => {
      const outbox = await makeOutbox();
      await outbox.enqueue(['1', '2'].map((k) => msg('d', k)), T0);
      const [first] = await outbox.lease('d', 1, T0, LEASE_MS);
      await outbox.nack([first!.id], T0 + 5_000, 'broker away');
      await outbox.enqueue([msg('d', '3')], T0 + 1_000);
      expect(await outbox.lease('d', 10, T0 + 4_999, LEASE_MS)).toEqual([]);
      expect(await outbox.nextDueAtMs('d')).toBe(T0 + 5_000);
      const retried = await outbox.lease('d', 10, T0 + 5_000, LEASE_MS);
      expect(retried.map((i) => i.key)).toEqual(['1', '2', '3']);
      expect(retried[0]).toMatchObject({ attempts: 2, lastError: 'broker away' });
      await outbox.close();
    });

    it('dead-lettering sets a message aside with its reason and releases the messages behind it', async () => {
      const outbox = await makeOutbox();
      await outbox.enqueue(['1', '2'].map((k) => msg('d', k)), T0);
      const [first] = await outbox.lease('d', 1, T0, LEASE_MS);
      await outbox.nack([first!.id], T0 + 60_000, 'HTTP 500');
      await outbox.deadLetter([first!.id], 'gave up after 1 attempt: HTTP 500');
      expect(await outbox.depth('d')).toEqual({ pending: 1, deadLettered: 1 });
      expect(await outbox.depth()).toEqual({ pending: 1, deadLettered: 1 });
      expect((await outbox.lease('d', 10, T0, LEASE_MS)).map((i) => i.key)).toEqual(['2']);
      const dead = await outbox.deadLetters('d', 10);
      expect(dead.map((i) => [i.key, i.lastError, i.attempts])).toEqual([['1', 'gave up after 1 attempt: HTTP 500', 1]]);
      // a dead letter still owns its key: re-enqueueing it does not resend it
      expect(await outbox.enqueue([msg('d', '1')], T0)).toBe(0);
      expect(await outbox.deadLetters('other', 10)).toEqual([]);
      await outbox.close();
    });

    it('destinations are independent: one waiting for a retry does not hold back another', async () => {
      const outbox = await makeOutbox();
      await outbox.enqueue([msg('slow', 's1'), msg('fast', 'f1')], T0);
      const [slow] = await outbox.lease('slow', 1, T0, LEASE_MS);
      await outbox.nack([slow!.id], T0 + 60_000, 'timeout');
      expect((await outbox.lease('fast', 10, T0, LEASE_MS)).map((i) => i.key)).toEqual(['f1']);
      expect([...(await outbox.destinations())].sort()).toEqual(['fast', 'slow']);
      expect(await outbox.nextDueAtMs('nowhere')).toBeNull();
      await outbox.close();
    });

    it('a destination whose every message was dead-lettered is still listed (its dead letters are there to inspect)', async () => {
      const outbox = await makeOutbox();
      await outbox.enqueue([msg('gone', 'g1'), msg('live', 'l1')], T0);
      const [gone] = await outbox.lease('gone', 1, T0, LEASE_MS);
      await outbox.deadLetter([gone!.id], 'HTTP 404');
      expect(await outbox.depth('gone')).toEqual({ pending: 0, deadLettered: 1 });
      expect([...(await outbox.destinations())].sort()).toEqual(['gone', 'live']);
      await outbox.close();
    });

    it('an empty enqueue, ack, nack or dead-letter is a no-op; close is idempotent', async () => {
      const outbox = await makeOutbox();
      expect(await outbox.enqueue([], T0)).toBe(0);
      await outbox.ack([]);
      await outbox.nack([], T0, 'x');
      await outbox.deadLetter([], 'x');
      expect(await outbox.depth()).toEqual({ pending: 0, deadLettered: 0 });
      expect(await outbox.destinations()).toEqual([]);
      await outbox.close();
      await outbox.close();
    });

    it('two relays on one outbox: a leased message is claimed by one at a time; after its lease lapses the other takes it over, and the stale holder can no longer reschedule or bury it', async () => {
      const a = await makeOutbox();
      const b = options.share?.(a) ?? a;
      await a.enqueue([msg('d', '1'), msg('d', '2')], T0);
      const [held] = await a.lease('d', 1, T0, LEASE_MS);
      expect(held?.key).toBe('1');
      // while A holds the head, B gets nothing (per-destination order, one delivery at a time)
      expect(await b.lease('d', 10, T0 + 1, LEASE_MS)).toEqual([]);
      // A is killed mid-delivery: after the lease lapses B takes the message over
      await lapse();
      const [taken] = await b.lease('d', 1, T0 + LEASE_MS, LEASE_MS);
      expect(taken).toMatchObject({ key: '1', attempts: 2 });
      expect(taken!.id).not.toBe(held!.id);
      // A's late failure report is fenced: it neither makes the message due (while B delivers) nor dead-letters it
      await a.nack([held!.id], T0, 'late failure');
      await a.deadLetter([held!.id], 'late give-up');
      expect(await a.lease('d', 10, T0 + LEASE_MS + 1, LEASE_MS)).toEqual([]);
      expect(await b.depth('d')).toEqual({ pending: 2, deadLettered: 0 });
      await b.ack([taken!.id]);
      expect((await a.lease('d', 10, T0 + LEASE_MS + 2, LEASE_MS)).map((i) => [i.key, i.attempts])).toEqual([['2', 1]]);
      // B's own failure report still counts (once A's lease on '2', taken just above, lapsed)
      await lapse();
      const [second] = await b.lease('d', 1, T0 + 3 * LEASE_MS, LEASE_MS);
      await b.nack([second!.id], T0 + 3 * LEASE_MS + 10, 'HTTP 503');
      expect(await b.nextDueAtMs('d')).toBe(T0 + 3 * LEASE_MS + 10);
      if (b !== a) await b.close();
      await a.close();
    });

    it.skipIf(options.bounded === undefined)('at its bound an enqueue is refused whole with a retriable OverloadedError, nothing taken or dropped; delivering makes room', async () => {
      const outbox = await options.bounded!(3);
      expect(await outbox.enqueue([msg('d', '1'), msg('e', '2')], T0)).toBe(2);
      // Two new messages would make 4: the whole batch is refused, the one that would fit included.
      const refused = await outbox.enqueue([msg('d', '3'), msg('d', '4')], T0 + 1).then(() => null, (err: unknown) => err);
      expect(refused).toBeInstanceOf(OverloadedError);
      expect((refused as OverloadedError).retriable).toBe(true);
      expect((refused as OverloadedError).message).toMatch(/outbox is full: 2 messages .* bound of 3/);
      expect(await outbox.depth()).toEqual({ pending: 2, deadLettered: 0 });
      // Duplicates by key take no room: re-enqueueing what is inside is still a no-op, not a refusal.
      expect(await outbox.enqueue([msg('d', '1'), msg('d', '3')], T0 + 2)).toBe(1);
      await expect(outbox.enqueue([msg('d', '4')], T0 + 3)).rejects.toBeInstanceOf(OverloadedError);
      // Delivered (acked) and given-up (dead-lettered) messages free their room; the retried batch then goes in whole.
      const [first] = await outbox.lease('d', 1, T0 + 4, LEASE_MS);
      await outbox.ack([first!.id]);
      const [other] = await outbox.lease('e', 1, T0 + 4, LEASE_MS);
      await outbox.deadLetter([other!.id], 'gone');
      expect(await outbox.enqueue([msg('d', '4'), msg('d', '5')], T0 + 5)).toBe(2);
      expect((await outbox.lease('d', 10, T0 + 6, LEASE_MS)).map((i) => i.key)).toEqual(['3', '4', '5']);
      await outbox.close();
    });

    it.skipIf(options.bounded === undefined)('a batch larger than the bound is taken when nothing is pending, so no batch waits forever', async () => {
      const outbox = await options.bounded!(2);
      expect(await outbox.enqueue(['1', '2', '3'].map((k) => msg('d', k)), T0)).toBe(3);
      await expect(outbox.enqueue([msg('d', '4')], T0 + 1)).rejects.toBeInstanceOf(OverloadedError);
      await outbox.close();
    });

    it.skipIf(options.reopen === undefined)('survives a restart: pending, leased and dead-lettered messages are all still there', async () => {
      const outbox = await makeOutbox();
      await outbox.enqueue(['1', '2', '3'].map((k) => msg('d', k)), T0);
      const [first, second] = await outbox.lease('d', 2, T0, LEASE_MS);
      await outbox.deadLetter([first!.id], 'gone');
      expect(second?.key).toBe('2');
      const reopened = await options.reopen!(outbox);
      await lapse();
      expect(await reopened.depth('d')).toEqual({ pending: 2, deadLettered: 1 });
      const after = await reopened.lease('d', 10, T0 + LEASE_MS, LEASE_MS);
      expect(after.map((i) => [i.key, i.attempts])).toEqual([['2', 2], ['3', 1]]);
      await reopened.close();
    });
  });
}
