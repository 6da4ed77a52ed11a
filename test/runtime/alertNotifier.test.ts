import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { parseConfig } from '../../src/config/load.js';
import type { GapRecord } from '../../src/core/decision.js';
import { TransientIoError } from '../../src/core/errors.js';
import type { OutboxMessage } from '../../src/ports/ports.js';
import { AlertNotifier, type ReceiverSend } from '../../src/runtime/alertNotifier.js';
import { createLogger } from '../../src/runtime/logger.js';
import { trigger } from '../contracts/fixtures.js';

/** A memory outbox whose enqueue calls, in order, wait for a promise first or fail ('ok' once the list is used up). */
class GatedOutbox extends MemoryOutbox {
  readonly calls: (Promise<void> | 'fail')[] = [];
  override async enqueue(messages: readonly OutboxMessage[], nowMs: number): Promise<number> {
    const call = this.calls.shift();
    if (call === 'fail') throw new TransientIoError('outbox away');
    if (call !== undefined) await call;
    return super.enqueue(messages, nowMs);
  }
}

const gap: GapRecord = { type: 'gap', ts: 1, route: '*', dropped: 4, from_ts: 1, to_ts: 2, reason: '4 decisions lost: the decision log was unreachable' };

describe('AlertNotifier.notify', () => {
  it('runs one call at a time: a gap alert whose enqueue fails while the pipeline\'s is in flight is enqueued on its retry', async () => {
    const config = parseConfig({ log: { level: 'silent' }, notify: { receivers: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook' }] } });
    const outbox = new GatedOutbox();
    const delivered: string[] = [];
    const send: ReceiverSend = async (_receiver, _key, body) => {
      delivered.push((JSON.parse(body) as { decision: { type: string } }).decision.type);
      return { kind: 'delivered', status: 200 };
    };
    const notifier = new AlertNotifier(config.notify, outbox, { clock: { now: () => 0 }, send, logger: createLogger(config) });
    let release = (): void => {};
    // The pipeline's alert is being enqueued (slowly) when the gap record's comes, and the gap's enqueue fails.
    outbox.calls.push(new Promise<void>((resolve) => (release = resolve)), 'fail');
    const pipeline = notifier.notify([{ record: trigger('support', 0) }]);
    const failing = notifier.notify([{ record: gap }]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await pipeline;
    await expect(failing).rejects.toThrow('outbox away');
    await notifier.notify([{ record: gap }]);
    await notifier.flush();
    expect(delivered).toEqual(['trigger', 'gap']);
    await notifier.close();
  });
});
