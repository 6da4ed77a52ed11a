import { describe, expect, it } from 'vitest';
import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { ConflictError, InvariantError, OverloadedError, PromptpilotError, TransientIoError } from '../../src/core/errors.js';
import { makeEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import type { LoggedDecision } from '../../src/ports/ports.js';
import { OutboxRelay } from '../../src/runtime/outboxRelay.js';
import { MAX_RETRY_BACKOFF_MS, PipelineRunner, retryBackoffMs } from '../../src/runtime/pipelineRunner.js';

/** A decision log with a knob: the next N appends fail transiently. */
class FlakyLog extends MemoryDecisionLog {
  failNext = 0;
  override async append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new TransientIoError('store away');
    }
    return super.append(records);
  }
}

/** Lets pending callbacks run (a turn of the event loop at a time) until `done`, or fails after 1,000 turns. */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}

/** Whether `promise` settles within 100 turns of the event loop (no timer involved). */
async function settledWithin(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  for (let turn = 0; turn < 100 && !settled; turn++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

const slowTraffic = () => Array.from({ length: 3000 }, (_, i) => ({ ...makeEvent(1_700_000_000_000 + i * 200, 'r', 'v', 4000) }));

describe('PipelineRunner', () => {
  it('never drops a decision when the log append fails transiently: it retries until durable', async () => {
    const log = new FlakyLog();
    log.failNext = 3;
    let retries = 0;
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), log, { onStoreFailure: () => retries++, sleep: async () => {} });
    const records = await runner.submit({ kind: 'events', events: slowTraffic() });
    expect(records.length).toBeGreaterThan(0);
    expect(retries).toBe(3);
    expect(await log.size()).toBe(records.length);
  });

  it('hands the logged decisions on in log order, retrying a transient failure of that step too', async () => {
    const log = new MemoryDecisionLog(100_000, 0);
    const handed: LoggedDecision[] = [];
    let failNext = 2;
    let retries = 0;
    const afterLog = async (logged: readonly LoggedDecision[]): Promise<void> => {
      if (failNext-- > 0) throw new TransientIoError('outbox away');
      handed.push(...logged);
    };
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), log, { afterLog, onStoreFailure: () => retries++, sleep: async () => {} });
    const records = await runner.submit({ kind: 'events', events: slowTraffic() });
    expect(records.length).toBeGreaterThan(0);
    expect(retries).toBe(2);
    expect(handed.map((l) => l.record)).toEqual(records);
    expect(handed.map((l) => l.seq)).toEqual(records.map((_, i) => i + 1));
  });

  it('a full outbox pushes back: the step waits for room, the queue fills and refuses sources, and every decision reaches the sink once', async () => {
    const records = await new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog()).submit({ kind: 'events', events: slowTraffic() });
    expect(records.length).toBeGreaterThanOrEqual(2);
    const outbox = new MemoryOutbox({ maxPending: 1 });
    const delivered: number[] = [];
    let refusals = 0;
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog(100_000, 0), {
      maxQueuedEvents: 5,
      afterLog: async (logged) => {
        await outbox.enqueue(logged.map((l) => ({ destination: 'sink', key: String(l.seq), payload: l.seq })), 0);
      },
      onStoreFailure: (err) => {
        expect(err).toBeInstanceOf(OverloadedError);
        refusals++;
      },
      // The relay, while the step waits: after a few retries the sink takes what is pending.
      sleep: async () => {
        if (refusals < 3) return;
        for (const item of await outbox.lease('sink', 10, 0, 1000)) {
          delivered.push(item.payload as number);
          await outbox.ack([item.id]);
        }
      },
    });
    const first = runner.submit({ kind: 'command', run: () => [records[0]!] });
    const second = runner.submit({ kind: 'command', run: () => [records[1]!] });
    const events = runner.submit({ kind: 'events', events: slowTraffic().slice(0, 5) });
    // While the second step waits for room in the outbox, more events are refused at the door (HTTP 503, Kafka pause).
    await expect(runner.submit({ kind: 'events', events: slowTraffic().slice(5, 6) })).rejects.toBeInstanceOf(OverloadedError);
    await Promise.all([first, second, events]);
    for (const item of await outbox.lease('sink', 10, 0, 1000)) delivered.push(item.payload as number);
    expect(refusals).toBeGreaterThanOrEqual(3);
    expect(delivered).toEqual([1, 2]);
  });

  it('after an outbox-full episode the backoff starts over: the relay making room ends a 30 s wait at once', async () => {
    const records = await new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog()).submit({ kind: 'events', events: slowTraffic() });
    const outbox = new MemoryOutbox({ maxPending: 1 });
    await outbox.enqueue([{ destination: 'sink', key: 'earlier', payload: 0 }], 0); // the outbox is full
    let sinkUp = false;
    const delivered: unknown[] = [];
    const waits: number[] = [];
    const hung: (() => void)[] = [];
    const runner: PipelineRunner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog(100_000, 0), {
      afterLog: async (logged) => outbox.enqueue(logged.map((l) => ({ destination: 'sink', key: String(l.seq), payload: l.seq })), 0).then(() => {}),
      // Eleven waits pass at once (the sink stays away long enough for the backoff to reach its cap); then a wait lasts until ended.
      sleep: (ms) => {
        waits.push(ms);
        return waits.length <= 11 ? Promise.resolve() : new Promise((resolve) => hung.push(resolve));
      },
    });
    const relay = new OutboxRelay(outbox, new Map([['sink', async (items) => {
      if (!sinkUp) throw new TransientIoError('sink away');
      delivered.push(...items.map((i) => i.payload));
    }]]), { clock: { now: () => 0 }, backoffMs: () => 0, onReleased: () => runner.retryNow() });
    const step = runner.submit({ kind: 'command', run: () => [records[0]!] });
    await turnsUntil(() => waits.length === 12);
    expect(waits).toEqual([200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000, 30_000]);
    expect(retryBackoffMs(100)).toBe(MAX_RETRY_BACKOFF_MS);
    await relay.flush(); // the sink is still away: nothing leaves the outbox, the step keeps waiting
    expect(await settledWithin(step)).toBe(false);
    sinkUp = true;
    await relay.flush(); // delivers the earlier message: room in the outbox, the step retries now, not 30 s later
    expect(await settledWithin(step)).toBe(true);
    await expect(step).resolves.toEqual([records[0]]);
    await relay.flush();
    expect(delivered).toEqual([0, 1]);
    expect(waits).toHaveLength(12);
    hung.forEach((resolve) => resolve()); // the ended wait's own timer firing later changes nothing
    await expect(runner.submit({ kind: 'command', run: () => [records[1]!] })).resolves.toEqual([records[1]]);
  });

  it('a wait ended while the store still refuses starts the backoff over from 200 ms', async () => {
    const log = new FlakyLog();
    log.failNext = 12;
    const waits: number[] = [];
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), log, {
      sleep: (ms) => {
        waits.push(ms);
        return waits.length === 10 ? new Promise(() => {}) : Promise.resolve();
      },
    });
    const step = runner.submit({ kind: 'events', events: slowTraffic() });
    await turnsUntil(() => waits.length === 10);
    runner.retryNow();
    await step;
    expect(waits).toEqual([200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 200, 400]);
  });

  it.each([
    ['an unknown error', new TypeError("Cannot read properties of undefined (reading 'seq')"), "Cannot read properties of undefined (reading 'seq')"],
    ['a PromptpilotError that is not retriable', new InvariantError('MemoryOutbox: enqueue after close'), 'MemoryOutbox: enqueue after close'],
  ])('%s while recording decisions stops the pipeline loudly instead of being retried forever', async (_name, error, message) => {
    const fatal: unknown[] = [];
    const retried: unknown[] = [];
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog(), {
      afterLog: async () => {
        throw error;
      },
      onFatal: (err) => fatal.push(err),
      onStoreFailure: (err) => retried.push(err),
      sleep: async () => {},
    });
    const step = runner.submit({ kind: 'events', events: slowTraffic() });
    await expect(step).rejects.toBeInstanceOf(InvariantError);
    await expect(step).rejects.toThrow(`pipeline stopped: recording decisions failed for good: ${message}`);
    expect((runner.failed as PromptpilotError).cause).toBe(error);
    expect(fatal).toEqual([runner.failed]);
    expect(retried).toEqual([]);
    await expect(runner.submit({ kind: 'tick', elapsedMs: 0 })).rejects.toBe(runner.failed);
  });

  it('processes inputs strictly in order', async () => {
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog());
    const order: number[] = [];
    await Promise.all([0, 1, 2].map((i) => runner.submit({ kind: 'command', run: () => (order.push(i), []) })));
    expect(order).toEqual([0, 1, 2]);
  });

  it('refuses events past maxQueuedEvents with OverloadedError, taking nothing of them, and says when it is full and when not', async () => {
    const engine = new PipelineEngine(parseConfig({}));
    const saturation: boolean[] = [];
    const runner = new PipelineRunner(engine, new MemoryDecisionLog(), { maxQueuedEvents: 4, onSaturation: (full) => saturation.push(full) });
    // The first input is in its step; what is submitted in the same turn waits behind it and counts.
    const blocker = runner.submit({ kind: 'command', run: () => [] });
    const events = (n: number, from = 0) => Array.from({ length: n }, (_, i) => makeEvent(1_700_000_000_000 + from + i, 'r', 'v', 100));
    const first = runner.submit({ kind: 'events', events: events(3) });
    const second = runner.submit({ kind: 'events', events: events(2, 10) });
    expect(runner.full).toBe(true);
    expect(runner.queued).toBe(3);
    // ticks and commands are never refused for load
    const tick = runner.submit({ kind: 'tick', elapsedMs: 0 });
    await expect(second).rejects.toBeInstanceOf(OverloadedError);
    await expect(second).rejects.toMatchObject({ retriable: true, code: 'OVERLOADED' });
    await Promise.all([blocker, first, tick]);
    expect(runner.queued).toBe(0);
    expect(runner.full).toBe(false);
    expect(saturation).toEqual([true, false]);
    expect(engine.stateSizes().routes).toBe(1);
    // one batch larger than the whole bound is still taken when nothing waits
    await expect(runner.submit({ kind: 'events', events: events(10, 100) })).resolves.toEqual([]);
  });

  it('an unknown error in the engine step stops the pipeline loudly: reported once, every later input refused, drain still ends', async () => {
    const fatal: unknown[] = [];
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog(), { onFatal: (err) => fatal.push(err) });
    const boom = runner.submit({ kind: 'command', run: () => { throw new TypeError('x is undefined'); } });
    const behind = runner.submit({ kind: 'events', events: slowTraffic().slice(0, 10) });
    await expect(boom).rejects.toBeInstanceOf(InvariantError);
    await expect(boom).rejects.toThrow('pipeline stopped: the engine step failed: x is undefined');
    await expect(behind).rejects.toBe(runner.failed);
    await expect(runner.submit({ kind: 'tick', elapsedMs: 0 })).rejects.toBe(runner.failed);
    expect(fatal).toEqual([runner.failed]);
    expect(runner.inFlight).toBe(0);
    await runner.drain();
  });

  it('a command refused on purpose fails only itself', async () => {
    const fatal: unknown[] = [];
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog(), { onFatal: (err) => fatal.push(err) });
    await expect(runner.submit({ kind: 'command', run: () => { throw new ConflictError('experiment already running'); } })).rejects.toBeInstanceOf(ConflictError);
    await expect(runner.submit({ kind: 'tick', elapsedMs: 0 })).resolves.toEqual([]);
    expect(runner.failed).toBeNull();
    expect(fatal).toEqual([]);
  });

  it('with sliceMs, works in bounded slices: I/O callbacks due meanwhile run between two steps, and the order of steps holds', async () => {
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // an engine step that takes `ms`
      }
      return [];
    };
    const order: string[] = [];
    const step = (i: number) => ({ kind: 'command' as const, run: () => (order.push(`step ${i}`), busy(5)) });
    const run = async (options: { sliceMs?: number }) => {
      order.length = 0;
      const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog(), options);
      const done = Promise.all(Array.from({ length: 12 }, (_, i) => runner.submit(step(i))));
      // what a probe's socket callback would be: due now, runs at the loop's next turn
      setImmediate(() => order.push('io'));
      await done;
      await new Promise((r) => setImmediate(r));
      return order.indexOf('io');
    };
    // without slices every queued step runs before the loop gets a turn
    expect(await run({})).toBe(12);
    // 12 steps of 5 ms in 20 ms slices: the loop gets its turn long before the last step
    const ioAt = await run({ sliceMs: 20 });
    expect(ioAt).toBeLessThan(8);
    expect(order.filter((o) => o !== 'io')).toEqual(Array.from({ length: 12 }, (_, i) => `step ${i}`));
  });
});
