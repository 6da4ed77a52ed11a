import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sendToReceiver } from '../../src/adapters/notify/receiverClient.js';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { parseConfig } from '../../src/config/load.js';
import type { GapRecord } from '../../src/core/decision.js';
import { TransientIoError } from '../../src/core/errors.js';
import type { OutboxMessage } from '../../src/ports/ports.js';
import { AlertNotifier, type ReceiverSend } from '../../src/runtime/alertNotifier.js';
import { createLogger } from '../../src/runtime/logger.js';
import { SecretRedactor } from '../../src/runtime/secrets.js';
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

describe('AlertNotifier delivery failure log', () => {
  /** A notifier on the real HTTP sender, logging JSON lines at `level`, with one receiver at `url`. */
  function notifierAt(url: string, level: 'info' | 'debug'): { notifier: AlertNotifier; lines: Record<string, unknown>[] } {
    const config = parseConfig({ log: { level, format: 'json' }, notify: { receivers: [{ name: 'hook', type: 'webhook', url }], delivery: { max_attempts: 3 } } });
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(config, { write: (l: string) => (lines.push(JSON.parse(l) as Record<string, unknown>), true) } as unknown as NodeJS.WritableStream);
    const notifier = new AlertNotifier(config.notify, new MemoryOutbox(), { clock: { now: () => Date.now() }, send: (r, k, b, n) => sendToReceiver(r, k, b, n), logger });
    return { notifier, lines };
  }

  it('one warn line: receiver, URL without its query, HTTP status, attempt, next retry; no stack unless at debug', async () => {
    const server = createServer((_req, res) => res.writeHead(503).end('busy'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const { notifier, lines } = notifierAt(`http://127.0.0.1:${port}/hook?token=t0k3n#frag`, 'info');
      await notifier.notify([{ record: trigger('support', 0) }]);
      await notifier.flush();
      await notifier.close();
      const failures = lines.filter((l) => l['msg'] === 'alert delivery failed; will retry');
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ level: 40, receiver: 'hook', url: `http://127.0.0.1:${port}/hook`, status: 503, attempt: 1, retryAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(JSON.stringify(lines)).not.toMatch(/stack|t0k3n|frag/);

      const debug = notifierAt(`http://127.0.0.1:${port}/hook`, 'debug');
      await debug.notifier.notify([{ record: trigger('support', 0) }]);
      await debug.notifier.flush();
      await debug.notifier.close();
      const stack = debug.lines.find((l) => l['msg'] === 'alert delivery failure, with its stack');
      expect(stack).toMatchObject({ level: 20, receiver: 'hook', err: { stack: expect.any(String) } });
    } finally {
      server.close();
    }
  });

  it('no answer at all: the error code (ECONNREFUSED) in place of a status', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { notifier, lines } = notifierAt(`http://127.0.0.1:${port}/hook`, 'info');
    await notifier.notify([{ record: trigger('support', 0) }]);
    await notifier.flush();
    await notifier.close();
    const failure = lines.find((l) => l['msg'] === 'alert delivery failed; will retry');
    expect(failure).toMatchObject({ receiver: 'hook', code: 'ECONNREFUSED', attempt: 1 });
    expect(failure).not.toHaveProperty('err');
  });

  it('the logged URL carries no user or password (even with no redactor behind the logger)', async () => {
    const config = parseConfig({ log: { level: 'info', format: 'json' }, notify: { receivers: [{ name: 'am', type: 'alertmanager', url: 'https://ops:pa55word@am.internal:9093/?tenant=x' }] } });
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(config, { write: (l: string) => (lines.push(JSON.parse(l) as Record<string, unknown>), true) } as unknown as NodeJS.WritableStream, new SecretRedactor([]));
    const send: ReceiverSend = async () => ({ kind: 'retry', reason: 'HTTP 502', status: 502 });
    const notifier = new AlertNotifier(config.notify, new MemoryOutbox(), { clock: { now: () => Date.now() }, send, logger });
    await notifier.notify([{ record: trigger('support', 0) }]);
    await notifier.flush();
    await notifier.close();
    expect(lines.find((l) => l['msg'] === 'alert delivery failed; will retry')).toMatchObject({ receiver: 'am', url: 'https://am.internal:9093/', status: 502, attempt: 1 });
    expect(JSON.stringify(lines)).not.toMatch(/pa55word|ops:|tenant/);
  });
});
