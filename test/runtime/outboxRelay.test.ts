import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { MemoryDecisionSink } from '../../src/adapters/memory/memoryDecisionSink.js';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { InvariantError, TransientIoError } from '../../src/core/errors.js';
import { makeEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import type { OutboxItem } from '../../src/ports/ports.js';
import { decisionDeliverer, enqueueDecisions } from '../../src/runtime/decisionOutbox.js';
import { OutboxRelay, type OutboxFailure } from '../../src/runtime/outboxRelay.js';
import { PipelineRunner } from '../../src/runtime/pipelineRunner.js';
import { action, mixedRecords, trigger } from '../contracts/fixtures.js';

const T0 = 1_700_000_000_000;

/** A virtual clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = T0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A sink-like delivery with knobs: fail the next N calls (with `error`), or hang until released. */
class KnobbedDelivery {
  readonly delivered: OutboxItem[] = [];
  calls = 0;
  failNext = 0;
  error: Error = new TransientIoError('broker away');
  private gate: Promise<void> | null = null;
  private open: () => void = () => {};

  hang(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open();
    this.gate = null;
  }

  readonly deliver = async (items: readonly OutboxItem[]): Promise<void> => {
    this.calls++;
    if (this.gate !== null) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw this.error;
    }
    this.delivered.push(...items);
  };
}

async function enqueue(outbox: MemoryOutbox, destination: string, keys: readonly string[], nowMs = T0): Promise<void> {
  await outbox.enqueue(keys.map((key) => ({ destination, key, payload: { key } })), nowMs);
}

describe('OutboxRelay', () => {
  it('delivers each destination in enqueue order and acks what arrived', async () => {
    const outbox = new MemoryOutbox();
    const a = new KnobbedDelivery();
    const b = new KnobbedDelivery();
    const relay = new OutboxRelay(outbox, new Map([['a', a.deliver], ['b', b.deliver]]), { clock: manualClock(), batchSize: 2 });
    await enqueue(outbox, 'a', ['1', '2', '3', '4', '5']);
    await enqueue(outbox, 'b', ['x']);
    expect(await relay.flush()).toBe(6);
    expect(a.delivered.map((i) => i.key)).toEqual(['1', '2', '3', '4', '5']);
    expect(a.calls).toBe(3);
    expect(b.delivered.map((i) => i.key)).toEqual(['x']);
    expect(await outbox.depth()).toEqual({ pending: 0, deadLettered: 0 });
  });

  it('retries a failed delivery after its backoff, in order, and loses nothing', async () => {
    const outbox = new MemoryOutbox();
    const clock = manualClock();
    const sink = new KnobbedDelivery();
    const failures: OutboxFailure[] = [];
    const relay = new OutboxRelay(outbox, new Map([['d', sink.deliver]]), { clock, backoffMs: (n) => n * 1_000, onFailure: (f) => failures.push(f) });
    sink.failNext = 2;
    await enqueue(outbox, 'd', ['1', '2']);
    expect(await relay.flush()).toBe(0);
    expect(failures.map((f) => f.retryAtMs)).toEqual([T0 + 1_000]);
    await enqueue(outbox, 'd', ['3']);
    expect(await relay.flush()).toBe(0); // not due yet: nothing tried, nothing overtakes
    expect(sink.calls).toBe(1);
    clock.advance(1_000);
    expect(await relay.flush()).toBe(0);
    expect(failures.map((f) => f.retryAtMs)).toEqual([T0 + 1_000, T0 + 3_000]);
    clock.advance(2_000);
    expect(await relay.flush()).toBe(3);
    expect(sink.delivered.map((i) => [i.key, i.attempts])).toEqual([['1', 3], ['2', 3], ['3', 2]]);
    expect(await outbox.depth()).toEqual({ pending: 0, deadLettered: 0 });
  });

  it('dead-letters after maxAttempts, and at once on a non-retriable error; the messages behind then flow', async () => {
    const outbox = new MemoryOutbox();
    const clock = manualClock();
    const sink = new KnobbedDelivery();
    const released: string[] = [];
    const relay = new OutboxRelay(outbox, new Map([['d', sink.deliver]]), {
      clock, batchSize: 1, maxAttempts: 2, backoffMs: () => 10,
      // What leaves the pending queue, delivered or dead-lettered, makes room (the runner retries a step waiting for it).
      onReleased: (destination, messages) => released.push(`${destination}:${messages}`),
    });
    sink.failNext = 2;
    await enqueue(outbox, 'd', ['1', '2']);
    await relay.flush();
    clock.advance(10);
    expect(await relay.flush()).toBe(1);
    expect((await outbox.deadLetters('d', 10)).map((i) => [i.key, i.lastError])).toEqual([['1', 'gave up after 2 attempts: broker away']]);
    expect(sink.delivered.map((i) => i.key)).toEqual(['2']);

    sink.error = new InvariantError('payload rejected');
    sink.failNext = 1;
    await enqueue(outbox, 'd', ['3', '4']);
    expect(await relay.flush()).toBe(1);
    expect((await outbox.deadLetters('d', 10)).map((i) => [i.key, i.lastError])).toEqual([['1', 'gave up after 2 attempts: broker away'], ['3', 'not retriable: payload rejected']]);
    expect(await outbox.depth('d')).toEqual({ pending: 0, deadLettered: 2 });
    expect(released).toEqual(['d:1', 'd:1', 'd:1', 'd:1']); // dead 1, delivered 2, dead 3, delivered 4; a retry releases nothing
  });

  it('a hanging destination holds back only itself', async () => {
    const outbox = new MemoryOutbox();
    const slow = new KnobbedDelivery();
    const fast = new KnobbedDelivery();
    const relay = new OutboxRelay(outbox, new Map([['slow', slow.deliver], ['fast', fast.deliver]]), { clock: manualClock() });
    slow.hang();
    await enqueue(outbox, 'slow', ['s']);
    relay.kick();
    await enqueue(outbox, 'fast', ['f1', 'f2']);
    relay.kick();
    await expect.poll(() => fast.delivered.length).toBe(2);
    expect(slow.delivered).toEqual([]);
    slow.release();
    await relay.stop();
    expect(slow.delivered.map((i) => i.key)).toEqual(['s']);
    expect(await outbox.depth()).toEqual({ pending: 0, deadLettered: 0 });
  });

  it('ignores destinations it has no delivery for, leaving their messages in the outbox', async () => {
    const outbox = new MemoryOutbox();
    const relay = new OutboxRelay(outbox, new Map(), { clock: manualClock() });
    await enqueue(outbox, 'webhook:elsewhere', ['1']);
    expect(await relay.flush()).toBe(0);
    expect(await outbox.depth()).toEqual({ pending: 1, deadLettered: 0 });
  });
});

describe('decisions through the outbox', () => {
  const slowTraffic = () => Array.from({ length: 3000 }, (_, i) => ({ ...makeEvent(T0 + i * 200, 'r', 'v', 4000) }));

  it('a sink that hangs does not stall ingest; once it answers it receives every decision in log order', async () => {
    const clock = manualClock();
    const outbox = new MemoryOutbox();
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const sink = new MemoryDecisionSink({ onPublish: () => gate });
    const named = [{ destination: 'sink:0', sink }];
    const relay = new OutboxRelay(outbox, new Map([['sink:0', decisionDeliverer(sink)]]), { clock, batchSize: 2 });
    const enqueueAll = enqueueDecisions(outbox, named, clock.now);
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog(), {
      afterLog: async (logged) => {
        await enqueueAll(logged);
        relay.kick();
      },
    });
    const records: DecisionRecord[] = [];
    for (const events of [slowTraffic().slice(0, 1500), slowTraffic().slice(1500)]) records.push(...(await runner.submit({ kind: 'events', events })));
    expect(records.length).toBeGreaterThan(2);
    expect(sink.records).toEqual([]);
    expect((await outbox.depth()).pending).toBe(records.length);
    open();
    await relay.stop();
    expect(sink.records).toEqual(records);
    expect(await outbox.depth()).toEqual({ pending: 0, deadLettered: 0 });
  });

  it('decision records keep every field through the outbox', async () => {
    const outbox = new MemoryOutbox();
    const sink = new MemoryDecisionSink();
    const records = [...mixedRecords(), trigger('support', 9_000), action('x', 1)];
    await enqueueDecisions(outbox, [{ destination: 'm', sink }], () => T0)(records.map((record, i) => ({ seq: i + 1, record })));
    await new OutboxRelay(outbox, new Map([['m', decisionDeliverer(sink)]]), { clock: manualClock() }).flush();
    expect(sink.records).toEqual(records);
  });
});
