// Regression (found last session): an alert's delivery claim in the shared outbox was a fixed 120 s, and the wait
// for the receiver's rate limit (up to a minute) happened inside it, before a request that may take the receiver's
// whole `timeout`. A wait plus a slow answer outlived the claim, and a second instance took the same alert over and
// delivered it again. Now the rate limit is waited for before the claim, and the claim covers the request's timeout.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { parseConfig } from '../../src/config/load.js';
import type { DeliveryOutcome } from '../../src/notify/index.js';
import { AlertNotifier, type ReceiverSend } from '../../src/runtime/alertNotifier.js';
import { createLogger } from '../../src/runtime/logger.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const DELIVERED: DeliveryOutcome = { kind: 'delivered', status: 200 };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Two instances sharing one outbox; `slow` says how long the receiver takes to answer instance A's request for a key (ms). */
function twoInstances(receiver: Record<string, unknown>, slow: Record<string, number>) {
  const config = parseConfig({ log: { level: 'silent' }, notify: { receivers: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook', ...receiver }] } });
  const outbox = new MemoryOutbox();
  const sends: string[] = [];
  const instance = (who: string): AlertNotifier => {
    const send: ReceiverSend = async (_receiver, key) => {
      sends.push(`${who}:${key}`);
      if (who === 'a' && slow[key] !== undefined) await new Promise((resolve) => setTimeout(resolve, slow[key]));
      return DELIVERED;
    };
    return new AlertNotifier(config.notify, outbox, { clock: { now: () => Date.now() }, send, logger: createLogger(config) });
  };
  const enqueue = (...keys: string[]) => outbox.enqueue(keys.map((key) => ({ destination: 'notify:hook', key, payload: { body: `{"key":"${key}"}` } })), Date.now());
  return { a: instance('a'), b: instance('b'), outbox, sends, enqueue };
}

describe('an alert claimed by one instance is not delivered by another while its delivery can still arrive', () => {
  it('a rate-limit wait followed by a slow answer', async () => {
    const { a, b, outbox, sends, enqueue } = twoInstances({ rate_limit_per_minute: 1, timeout: '70s' }, { k2: 65_000 });
    await enqueue('k1', 'k2');
    void a.flush(); // k1 goes at once; k2 must wait a minute for the rate limit
    await vi.advanceTimersByTimeAsync(60_000);
    void a.flush(); // the poll after the wait: k2 goes, and its receiver takes 65 s (within its 70 s timeout)
    await vi.advanceTimersByTimeAsync(64_000);
    await b.flush(); // 124 s after the start: A's request for k2 is still in flight
    await vi.advanceTimersByTimeAsync(2_000);
    await a.flush();
    expect(sends).toEqual(['a:k1', 'a:k2']);
    expect(await outbox.depth('notify:hook')).toEqual({ pending: 0, deadLettered: 0 });
  });

  it('a receiver slower than two minutes but within its timeout', async () => {
    const { a, b, outbox, sends, enqueue } = twoInstances({ timeout: '150s' }, { k1: 140_000 });
    await enqueue('k1');
    void a.flush();
    await vi.advanceTimersByTimeAsync(130_000);
    await b.flush();
    await vi.advanceTimersByTimeAsync(10_000);
    await a.flush();
    expect(sends).toEqual(['a:k1']);
    expect(await outbox.depth('notify:hook')).toEqual({ pending: 0, deadLettered: 0 });
  });

  it('a rate-limited alert waits for its turn unclaimed', async () => {
    const { a, outbox, sends, enqueue } = twoInstances({ rate_limit_per_minute: 1 }, {});
    await enqueue('k1', 'k2');
    void a.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sends).toEqual(['a:k1']);
    // Nobody holds k2 while A waits for the rate limit: it is free, on its first attempt.
    expect((await outbox.lease('notify:hook', 10, Date.now(), 1_000)).map((i) => [i.key, i.attempts])).toEqual([['k2', 1]]);
  });

  it('a holder killed mid-delivery holds the receiver\'s queue for its timeout plus 10 s, not a minute more', async () => {
    const { a, b, outbox, sends, enqueue } = twoInstances({ timeout: '10s' }, { k1: 3_600_000 });
    await enqueue('k1', 'k2');
    void a.flush(); // A claims k1 and "dies": its request never ends, and nothing of A acts again
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sends).toEqual(['a:k1']);
    await vi.advanceTimersByTimeAsync(18_000);
    await b.flush(); // 19 s: within the claim (10 s timeout + 10 s), B takes nothing
    expect(sends).toEqual(['a:k1']);
    await vi.advanceTimersByTimeAsync(2_000);
    await b.flush(); // 21 s: the claim lapsed; B delivers k1 again (same key) and the queue behind it
    expect(sends).toEqual(['a:k1', 'b:k1', 'b:k2']);
    expect(await outbox.depth('notify:hook')).toEqual({ pending: 0, deadLettered: 0 });
  });
});
