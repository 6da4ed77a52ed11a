import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, RedisOutbox } from '../../src/adapters/redis/index.js';
import type { OutboxItem } from '../../src/ports/ports.js';
import { OutboxRelay } from '../../src/runtime/outboxRelay.js';
import { until } from '../helpers/until.js';
import { startRedis, type RedisServer } from './harness/index.js';

// Several daemons share one outbox in Redis (issue 10): each relays from its own connection, as separate instances
// do. A message is delivered by one instance at a time, and one claimed by an instance that dies is delivered by
// the survivor once the claim lapses — once, in order.

const T0 = 1_700_000_000_000;
/** A dead instance's claim: long enough that the survivor's first flush, however slow the machine, falls inside it. */
const CLAIM_MS = 2_000;
let redis: RedisServer;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

async function instance(prefix: string): Promise<RedisOutbox> {
  const client = await connectRedis(redis.url);
  clients.push(client);
  return new RedisOutbox(client, prefix);
}

describe('two relays on one Redis outbox', () => {
  it('deliver every message exactly once between them, in enqueue order per destination, never both at once', async () => {
    const [a, b] = [await instance('relays1:'), await instance('relays1:')];
    const destinations = ['notify:oncall', 'notify:chat', 'kafka:decisions'];
    for (let i = 0; i < 100; i++) {
      await (i % 2 === 0 ? a : b).enqueue(destinations.map((d) => ({ destination: d, key: `${d}#${i}`, payload: { i } })), T0 + i);
    }
    const delivered = new Map<string, string[]>(destinations.map((d) => [d, []]));
    const inFlight = new Map<string, string>();
    let overlaps = 0;
    const deliverer = (who: string, destination: string) => async (items: readonly OutboxItem[]): Promise<void> => {
      if (inFlight.has(destination)) overlaps++;
      inFlight.set(destination, who);
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 3)));
      inFlight.delete(destination);
      delivered.get(destination)!.push(...items.map((i) => i.key));
    };
    const relay = (outbox: RedisOutbox, who: string): OutboxRelay =>
      new OutboxRelay(outbox, new Map(destinations.map((d) => [d, deliverer(who, d)])), { clock: { now: () => T0 + 1_000 }, batchSize: 7 });
    const [ra, rb] = [relay(a, 'a'), relay(b, 'b')];
    while ((await a.depth()).pending > 0) await Promise.all([ra.flush(), rb.flush()]);
    expect(overlaps).toBe(0);
    for (const d of destinations) expect(delivered.get(d)).toEqual(Array.from({ length: 100 }, (_, i) => `${d}#${i}`));
  });

  it('a message claimed by an instance that dies is delivered by the survivor after the claim lapses; the dead one cannot disturb it', async () => {
    const [a, b] = [await instance('relays2:'), await instance('relays2:')];
    const clock = { now: () => T0 };
    await a.enqueue([1, 2, 3].map((i) => ({ destination: 'notify:oncall', key: `k${i}`, payload: { i } })), T0);
    // A takes the head and hangs in its delivery: the process is gone as far as anyone can tell.
    let failHung: ((err: Error) => void) | undefined;
    const hung = new OutboxRelay(a, new Map([['notify:oncall', () => new Promise<void>((_resolve, reject) => (failHung = reject))]]), { clock, batchSize: 1, leaseMs: CLAIM_MS });
    const hungFlush = hung.flush();
    await until('A delivering k1', async () => (failHung !== undefined ? true : null), 30_000, 5);
    const delivered: OutboxItem[] = [];
    const survivor = new OutboxRelay(b, new Map([['notify:oncall', async (items: readonly OutboxItem[]) => void delivered.push(...items)]]), { clock, batchSize: 10, leaseMs: CLAIM_MS });
    // While A's claim is live, the survivor delivers nothing of that destination (order: k1 first).
    expect(await survivor.flush()).toBe(0);
    // The claim lapses on the Redis server's clock, which every instance shares.
    expect(await until('the survivor delivering once A\'s claim lapsed', async () => ((await survivor.flush()) || null), 30_000, 100)).toBe(3);
    expect(delivered.map((i) => [i.key, i.attempts])).toEqual([['k1', 2], ['k2', 1], ['k3', 1]]);
    // A's delivery finally fails: its nack names a lease that is no longer the message's, and changes nothing.
    failHung!(new Error('connection reset'));
    await hungFlush;
    expect(await b.depth('notify:oncall')).toEqual({ pending: 0, deadLettered: 0 });
    expect(await survivor.flush()).toBe(0);
  });
});
