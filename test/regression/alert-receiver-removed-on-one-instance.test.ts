// Regression: two daemons on one Redis, a reload on B removed (renamed) the webhook receiver `hook` while A still had
// it. A's next alert for `hook` went into the shared outbox, B's relay claimed it and dead-lettered it ("receiver
// hook is no longer configured"): the alert never reached the receiver A was configured for. With a shared outbox
// an instance now leaves a receiver it no longer has to the instances that still have it; alone on its outbox it
// still drains a removed receiver's queue into the dead letters.
import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { parseConfig } from '../../src/config/load.js';
import { AlertNotifier, type ReceiverSend } from '../../src/runtime/alertNotifier.js';
import { createLogger } from '../../src/runtime/logger.js';

const hook = { name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook' };
const withHook = parseConfig({ log: { level: 'silent' }, notify: { receivers: [hook] } });
const withoutHook = parseConfig({ log: { level: 'silent' }, notify: { receivers: [{ ...hook, name: 'hook2', url: 'http://127.0.0.1:9/hook2' }] } });

function instance(who: string, outbox: MemoryOutbox, sends: string[], sharedOutbox: boolean): AlertNotifier {
  const send: ReceiverSend = async (receiver, key) => {
    sends.push(`${who}:${receiver.name}:${key}`);
    return { kind: 'delivered', status: 200 };
  };
  return new AlertNotifier(withHook.notify, outbox, { clock: { now: () => Date.now() }, send, logger: createLogger(withHook), sharedOutbox });
}

const enqueue = (outbox: MemoryOutbox, key: string) => outbox.enqueue([{ destination: 'notify:hook', key, payload: { body: `{"key":"${key}"}` } }], Date.now());

describe('a receiver removed by a reload on one instance', () => {
  it('with a shared outbox: the other instance, which still has it, delivers its alerts', async () => {
    const outbox = new MemoryOutbox();
    const sends: string[] = [];
    const a = instance('a', outbox, sends, true);
    const b = instance('b', outbox, sends, true);
    b.reconfigure(withoutHook.notify);
    await enqueue(outbox, 'k1');
    await b.flush();
    expect(await outbox.depth('notify:hook')).toEqual({ pending: 1, deadLettered: 0 });
    await a.flush();
    expect(sends).toEqual(['a:hook:k1']);
    expect(await outbox.depth('notify:hook')).toEqual({ pending: 0, deadLettered: 0 });
    // Added back on b: b delivers it again.
    b.reconfigure(withHook.notify);
    await enqueue(outbox, 'k2');
    await b.flush();
    expect(sends).toEqual(['a:hook:k1', 'b:hook:k2']);
  });

  it('alone on its outbox: what is queued for it is dead-lettered, not kept for ever', async () => {
    const outbox = new MemoryOutbox();
    const sends: string[] = [];
    const only = instance('only', outbox, sends, false);
    await enqueue(outbox, 'k1');
    only.reconfigure(withoutHook.notify);
    await only.flush();
    expect(sends).toEqual([]);
    expect(await outbox.depth('notify:hook')).toEqual({ pending: 0, deadLettered: 1 });
  });
});
