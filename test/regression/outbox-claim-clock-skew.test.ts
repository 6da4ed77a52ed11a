// Regression: several daemons share one Redis outbox, and an alert's delivery claim expired by each instance's own
// clock: the holder wrote "claimed until <its now> + timeout + 10 s", and another instance compared that with its
// own now. An instance whose clock ran 15 s ahead took over a claim its holder was still using and sent the alert a
// second time; one running behind waited for a dead holder's claim 15 s longer. Claims now lapse on the Redis
// server's clock, the one every instance shares (as route leases do).
import { describe, expect, it } from 'vitest';
import { RedisOutbox } from '../../src/adapters/redis/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { DeliveryOutcome } from '../../src/notify/index.js';
import type { OutboxItem } from '../../src/ports/ports.js';
import { AlertNotifier, type ReceiverSend } from '../../src/runtime/alertNotifier.js';
import { createLogger } from '../../src/runtime/logger.js';
import { OutboxRelay } from '../../src/runtime/outboxRelay.js';
import { redisForSuite } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const SKEW_MS = 15_000;
const redis = redisForSuite();

/** One instance's handle on the shared outbox, over a connection of its own. */
async function instance(prefix: string): Promise<RedisOutbox> {
  return new RedisOutbox(await redis.current.connect(), prefix);
}

describe('instances whose clocks differ share one Redis outbox', () => {
  it('an instance 15 s ahead does not take over an alert another instance is still sending', async () => {
    const config = parseConfig({ log: { level: 'silent' }, notify: { receivers: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook', timeout: '1s' }] } });
    const sends: string[] = [];
    let answer: (outcome: DeliveryOutcome) => void = () => {};
    const notifier = async (who: string, offsetMs: number): Promise<AlertNotifier> => {
      const send: ReceiverSend = async (_receiver, key) => {
        sends.push(`${who}:${key}`);
        return who === 'a' ? new Promise<DeliveryOutcome>((resolve) => (answer = resolve)) : { kind: 'delivered', status: 200 };
      };
      return new AlertNotifier(config.notify, await instance('skew1:'), { clock: { now: () => Date.now() + offsetMs }, send, logger: createLogger(config), sharedOutbox: true });
    };
    const a = await notifier('a', 0);
    const b = await notifier('b', SKEW_MS);
    await (await instance('skew1:')).enqueue([{ destination: 'notify:hook', key: 'k1', payload: { body: '{}' } }], Date.now());
    const sending = a.flush(); // A claims k1 for its 1 s timeout + 10 s; its receiver has not answered yet
    await until('A sending k1', async () => (sends.length > 0 ? true : null), 30_000, 5);
    expect(sends).toEqual(['a:k1']);
    expect(await b.flush()).toBe(0); // B's clock is 15 s ahead: by it, A's claim would have lapsed 4 s ago
    answer({ kind: 'delivered', status: 200 });
    expect(await sending).toBe(1);
    expect(await b.flush()).toBe(0);
    expect(sends).toEqual(['a:k1']);
  });

  it('a claim written by an instance 15 s ahead lapses after its lease for the others, not 15 s later', async () => {
    const [a, b] = [await instance('skew2:'), await instance('skew2:')];
    await a.enqueue([{ destination: 'notify:hook', key: 'k1', payload: {} }], Date.now());
    // A claims k1 for 2 s and dies mid-delivery (its delivery never ends).
    let claimed = 0;
    const dead = new OutboxRelay(a, new Map([['notify:hook', () => ((claimed = Date.now()), new Promise<void>(() => {}))]]), { clock: { now: () => Date.now() + SKEW_MS }, batchSize: 1, leaseMs: 2_000 });
    void dead.flush();
    await until('A delivering k1', async () => (claimed > 0 ? true : null), 30_000, 5);
    const delivered: OutboxItem[] = [];
    const survivor = new OutboxRelay(b, new Map([['notify:hook', async (items: readonly OutboxItem[]) => void delivered.push(...items)]]), { clock: { now: () => Date.now() }, batchSize: 1, leaseMs: 2_000 });
    expect(await survivor.flush()).toBe(0);
    // The survivor takes k1 over once the 2 s claim lapsed: well before the 17 s a claim lengthened by the skew lasts.
    await until('the survivor taking k1 over', async () => ((await survivor.flush()) || null), 10_000, 100);
    expect(Date.now() - claimed).toBeLessThan(SKEW_MS);
    expect(delivered.map((i) => [i.key, i.attempts])).toEqual([['k1', 2]]);
  });
});
