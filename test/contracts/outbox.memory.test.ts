import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { outboxContract } from './outboxContract.js';

outboxContract('MemoryOutbox', () => new MemoryOutbox(), { bounded: (maxPending) => new MemoryOutbox({ maxPending }) });

describe('MemoryOutbox dead letters', () => {
  it('keeps at most maxDeadLetters: the oldest is discarded, counted, and its key taken again', async () => {
    const outbox = new MemoryOutbox({ maxDeadLetters: 2 });
    const T0 = 1_700_000_000_000;
    await outbox.enqueue(['1', '2', '3'].map((key) => ({ destination: 'd', key, payload: key })), T0);
    for (const item of await outbox.lease('d', 3, T0, 1000)) await outbox.deadLetter([item.id], `gave up on ${item.key}`);
    expect((await outbox.deadLetters('d', 10)).map((i) => i.key)).toEqual(['2', '3']);
    expect(outbox.discardedDeadLetters).toBe(1);
    expect(await outbox.depth()).toEqual({ pending: 0, deadLettered: 2 });
    expect(await outbox.enqueue([{ destination: 'd', key: '1', payload: '1' }, { destination: 'd', key: '2', payload: '2' }], T0 + 1)).toBe(1);
  });
});
