import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { TransientIoError } from '../../src/core/errors.js';
import type { Outbox, OutboxDepth, OutboxItem, OutboxMessage } from '../../src/ports/ports.js';
import { BufferedOutbox } from '../../src/runtime/bufferedOutbox.js';
import { HeldWrites, type HeldGap } from '../../src/runtime/heldWrites.js';
import { outboxGapRecord } from '../../src/runtime/outboxGap.js';

const T0 = 1_700_000_000_000;
const LEASE_MS = 30_000;

/** A real memory outbox behind a knob: `down` makes every call fail as a Redis outage does; `gate` holds writes. */
class FlakyOutbox implements Outbox {
  readonly store = new MemoryOutbox();
  down = false;
  calls: string[] = [];
  gate: Promise<void> | null = null;

  private async check(op: string): Promise<void> {
    this.calls.push(op);
    if (this.gate !== null) await this.gate;
    if (this.down) throw new TransientIoError('Connection is closed.');
  }
  async enqueue(messages: readonly OutboxMessage[], nowMs: number): Promise<number> {
    await this.check('enqueue');
    return this.store.enqueue(messages, nowMs);
  }
  async lease(destination: string, limit: number, nowMs: number, leaseMs: number): Promise<readonly OutboxItem[]> {
    await this.check('lease');
    return this.store.lease(destination, limit, nowMs, leaseMs);
  }
  async ack(ids: readonly string[]): Promise<void> {
    await this.check('ack');
    return this.store.ack(ids);
  }
  async nack(ids: readonly string[], retryAtMs: number, error: string): Promise<void> {
    await this.check('nack');
    return this.store.nack(ids, retryAtMs, error);
  }
  async deadLetter(ids: readonly string[], error: string): Promise<void> {
    await this.check('deadLetter');
    return this.store.deadLetter(ids, error);
  }
  deadLetters(destination: string, limit: number): Promise<readonly OutboxItem[]> {
    return this.store.deadLetters(destination, limit);
  }
  destinations(): Promise<readonly string[]> {
    return this.store.destinations();
  }
  async depth(destination?: string): Promise<OutboxDepth> {
    await this.check('depth');
    return this.store.depth(destination);
  }
  nextDueAtMs(destination: string): Promise<number | null> {
    return this.store.nextDueAtMs(destination);
  }
  close(): Promise<void> {
    return this.store.close();
  }
}

const msg = (destination: string, key: string): OutboxMessage => ({ destination, key, payload: { key } });

function buffered(inner: Outbox, maxPending = 100): { outbox: BufferedOutbox; gaps: HeldGap[]; dropped: number[]; availability: (string | null)[] } {
  const gaps: HeldGap[] = [];
  const dropped: number[] = [];
  const availability: (string | null)[] = [];
  const outbox = new BufferedOutbox(inner, {
    maxPending,
    recordGap: async (gap) => void gaps.push(gap),
    onDropped: (n) => void dropped.push(n),
    onAvailability: (failure) => void availability.push(failure),
  });
  return { outbox, gaps, dropped, availability };
}

describe('BufferedOutbox (the Redis outbox during an outage)', () => {
  it('holds what cannot be enqueued without failing the caller, then writes it in order with its keys and enqueue times once the store is back', async () => {
    const inner = new FlakyOutbox();
    const { outbox, availability } = buffered(inner);
    await outbox.enqueue([msg('notify:a', 'k1')], T0);
    inner.down = true;
    expect(await outbox.enqueue([msg('notify:a', 'k2'), msg('kafka:d', 'd1')], T0 + 10)).toBe(2);
    expect(await outbox.enqueue([msg('notify:a', 'k3')], T0 + 20)).toBe(1);
    expect(outbox.pending).toBe(3);
    expect(outbox.unavailable).toMatch(/Connection is closed/);
    // Nothing due while the store is away, and no error for the relay to report every poll.
    expect(await outbox.lease('notify:a', 10, T0 + 30, LEASE_MS)).toEqual([]);
    inner.down = false;
    // The next lease (a relay poll) writes what was held first, so the order per destination stands.
    const leased = await outbox.lease('notify:a', 10, T0 + 40, LEASE_MS);
    expect(leased.map((i) => [i.key, i.enqueuedAtMs])).toEqual([['k1', T0], ['k2', T0 + 10], ['k3', T0 + 20]]);
    expect((await outbox.lease('kafka:d', 10, T0 + 40, LEASE_MS)).map((i) => i.key)).toEqual(['d1']);
    expect(outbox.pending).toBe(0);
    expect(outbox.unavailable).toBeNull();
    expect(availability).toEqual([expect.stringMatching(/Connection is closed/), null]);
  });

  it('an overflow drops the oldest held messages, says so once per loss, and records a gap naming their destinations before the kept ones are written', async () => {
    const inner = new FlakyOutbox();
    const { outbox, gaps, dropped } = buffered(inner, 3);
    inner.down = true;
    await outbox.enqueue([msg('notify:a', 'a1'), msg('kafka:d', 'd1')], T0);
    await outbox.enqueue([msg('notify:a', 'a2'), msg('notify:a', 'a3'), msg('kafka:d', 'd2')], T0 + 5);
    expect(dropped).toEqual([2]);
    expect(outbox.dropped).toBe(2);
    expect(outbox.pending).toBe(4); // three messages and the gap still to record
    inner.down = false;
    await outbox.flush();
    expect(gaps).toEqual([{ dropped: 2, fromMs: T0, toMs: T0, byGroup: { 'notify:a': 1, 'kafka:d': 1 } }]);
    expect((await inner.store.lease('notify:a', 10, T0 + 10, LEASE_MS)).map((i) => i.key)).toEqual(['a2', 'a3']);
    expect((await inner.store.lease('kafka:d', 10, T0 + 10, LEASE_MS)).map((i) => i.key)).toEqual(['d2']);
    const record = outboxGapRecord(gaps[0]!, 3);
    expect(record).toMatchObject({ type: 'gap', route: '*', dropped: 2, from_ts: T0, to_ts: T0, outbox: { 'kafka:d': 1, 'notify:a': 1 } });
    expect(record.reason).toBe('2 outbox messages lost (1 for kafka:d, 1 for notify:a): Redis was unreachable and more than 3 were pending (redis.max_pending_outbox_messages)');
  });

  it('an ack that cannot be written is held and written on reconnect, so a message that arrived is not handed out again', async () => {
    const inner = new FlakyOutbox();
    const { outbox } = buffered(inner);
    await outbox.enqueue([msg('notify:a', 'k1')], T0);
    const [item] = await outbox.lease('notify:a', 1, T0, LEASE_MS);
    inner.down = true;
    await outbox.ack([item!.id]);
    expect(outbox.pending).toBe(1);
    // A failed nack is not fatal either: the lease lapses and the message comes back.
    await outbox.nack(['x.1'], T0, 'boom');
    inner.down = false;
    expect(await outbox.lease('notify:a', 10, T0 + LEASE_MS, LEASE_MS)).toEqual([]);
    expect(await inner.store.depth()).toEqual({ pending: 0, deadLettered: 0 });
  });

  it('the same key held twice, or held after a write that did land, is in the outbox once', async () => {
    const inner = new FlakyOutbox();
    const { outbox } = buffered(inner);
    await outbox.enqueue([msg('notify:a', 'k1')], T0);
    inner.down = true;
    await outbox.enqueue([msg('notify:a', 'k1'), msg('notify:a', 'k2')], T0 + 1);
    await outbox.enqueue([msg('notify:a', 'k2')], T0 + 2);
    inner.down = false;
    await outbox.flush();
    expect((await outbox.lease('notify:a', 10, T0 + 3, LEASE_MS)).map((i) => i.key)).toEqual(['k1', 'k2']);
  });
});

describe('HeldWrites (shared by the decision log and the outbox)', () => {
  it('an overflow while a flush is in flight loses nothing silently: every item is either written or counted in a gap', async () => {
    const written: number[] = [];
    const gaps: HeldGap[] = [];
    let down = true;
    let release: () => void = () => {};
    let gate: Promise<void> | null = null;
    const buffer = new HeldWrites<number>({
      maxPending: 5,
      chunkSize: 3,
      write: async (items) => {
        if (gate !== null) await gate;
        if (down) throw new Error('away');
        written.push(...items);
      },
      writeGap: async (gap) => void gaps.push(gap),
      tsOf: (n) => n,
      onDropped: () => {},
    });
    const direct = async (): Promise<void> => {
      if (down) throw new Error('away');
    };
    for (let i = 1; i <= 5; i++) expect(await buffer.submit([i], direct)).toBeNull();
    down = false;
    gate = new Promise((resolve) => (release = resolve));
    const flushing = buffer.flush();
    // While 1..3 are being written, more arrive than the bound allows.
    for (let i = 6; i <= 9; i++) await buffer.submit([i], direct);
    gate = null;
    release();
    await flushing;
    await buffer.flush();
    const lost = gaps.reduce((sum, g) => sum + g.dropped, 0);
    expect(written.length + lost).toBe(9);
    expect(written.slice(0, 3)).toEqual([1, 2, 3]);
    expect(written).toEqual([...written].sort((a, b) => a - b));
    expect(gaps[0]).toMatchObject({ fromMs: 4 });
    expect(buffer.pending).toBe(0);
    expect(buffer.dropped).toBe(lost);
  });

  it('settled() resolves once everything held before it was written or dropped with its gap written, not waiting for what came later', async () => {
    const gaps: HeldGap[] = [];
    let down = true;
    const buffer = new HeldWrites<number>({
      maxPending: 3,
      write: async () => {
        if (down) throw new Error('away');
      },
      writeGap: async (gap) => {
        if (down) throw new Error('away');
        gaps.push(gap);
      },
      tsOf: (n) => n,
      onDropped: () => {},
    });
    const direct = async (): Promise<void> => {
      if (down) throw new Error('away');
    };
    let settledNow = false;
    await buffer.settled().then(() => (settledNow = true));
    expect(settledNow).toBe(true);
    for (let i = 1; i <= 4; i++) await buffer.submit([i], direct);
    let settled = false;
    const waiting = buffer.settled().then(() => (settled = true));
    await buffer.flush();
    expect(settled).toBe(false);
    // Held after the call: written by the same flush, but not what the caller waited for.
    await buffer.submit([5], direct);
    down = false;
    await buffer.flush();
    await waiting;
    expect({ settled, dropped: gaps.reduce((n, g) => n + g.dropped, 0), pending: buffer.pending }).toEqual({ settled: true, dropped: 2, pending: 0 });
  });
});
