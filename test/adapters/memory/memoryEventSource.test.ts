import { describe, expect, it } from 'vitest';
import { MemoryEventSource } from '../../../src/adapters/memory/memoryEventSource.js';
import { InvariantError } from '../../../src/core/errors.js';
import type { SourceBatch } from '../../../src/ports/ports.js';
import { event } from '../../contracts/fixtures.js';

/** Beyond the EventSource contract: what the memory source promises on its own. */

function collect(source: MemoryEventSource): { batches: SourceBatch[]; completed: () => boolean } {
  const batches: SourceBatch[] = [];
  let completed = false;
  source.batches$.subscribe({ next: (b) => batches.push(b), complete: () => (completed = true) });
  return { batches, completed: () => completed };
}

const tsOf = (batches: readonly SourceBatch[]): number[] => batches.flatMap((b) => b.events.map((e) => e.ts - 1_700_000_000_000));

describe('MemoryEventSource', () => {
  it('delivers one batch per push, in push order across routes, synchronously once started', async () => {
    const source = new MemoryEventSource();
    const { batches } = collect(source);
    source.push([event(1, 'a')]);
    expect(batches).toHaveLength(0);
    await source.start();
    source.push([event(2, 'b'), event(3, 'a')]);
    expect(batches.map((b) => b.events.length)).toEqual([1, 2]);
    expect(tsOf(batches)).toEqual([1, 2, 3]);
  });

  it('holds pushes while paused and releases them in order on resume', async () => {
    const source = new MemoryEventSource();
    const { batches } = collect(source);
    await source.start();
    source.setPaused(true);
    source.push([event(1, 'a')]);
    source.push([event(2, 'b')]);
    expect(batches).toHaveLength(0);
    expect(source.paused).toBe(true);
    expect(source.bufferedEvents).toBe(2);
    source.setPaused(false);
    expect(tsOf(batches)).toEqual([1, 2]);
    expect(source.bufferedEvents).toBe(0);
  });

  it('a subscriber that pauses or pushes while handling a batch keeps push order', async () => {
    const source = new MemoryEventSource();
    const seen: number[] = [];
    source.batches$.subscribe((batch) => {
      const ts = (batch.events[0]?.ts ?? 0) - 1_700_000_000_000;
      seen.push(ts);
      if (ts === 1) source.push([event(3, 'a')]);
      if (ts === 2) source.setPaused(true);
    });
    source.push([event(1, 'a')]);
    source.push([event(2, 'a')]);
    await source.start();
    expect(seen).toEqual([1, 2]);
    source.setPaused(false);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('counts delivered, committed and in-flight work; commit is idempotent', async () => {
    const source = new MemoryEventSource();
    const { batches } = collect(source);
    await source.start();
    source.push([event(1, 'a'), event(2, 'a')]);
    source.push([], [{ index: 0, field: 'ts', message: 'required field is missing', origin: 'http' }]);
    expect([source.uncommittedBatches, source.inFlightEvents, source.committedBatches]).toEqual([2, 2, 0]);
    await batches[0]?.commit();
    await batches[0]?.commit();
    expect([source.uncommittedBatches, source.inFlightEvents, source.committedBatches, source.committedEvents]).toEqual([1, 0, 1, 2]);
    await batches[1]?.commit();
    expect([source.uncommittedBatches, source.committedRejections]).toEqual([0, 1]);
  });

  it('an empty push emits nothing', async () => {
    const source = new MemoryEventSource();
    const { batches } = collect(source);
    await source.start();
    expect(source.push([])).toBe(true);
    expect(source.push([], [])).toBe(true);
    expect(batches).toHaveLength(0);
  });

  it('refuses to start without a subscriber (batches are not replayed to late subscribers)', async () => {
    await expect(new MemoryEventSource().start()).rejects.toBeInstanceOf(InvariantError);
  });

  it('stop releases pushes held by a pause, refuses later pushes and ignores setPaused', async () => {
    const source = new MemoryEventSource();
    const { batches, completed } = collect(source);
    await source.start();
    source.setPaused(true);
    source.push([event(1, 'a')]);
    const stopping = source.stop();
    expect(tsOf(batches)).toEqual([1]);
    expect(source.push([event(2, 'a')])).toBe(false);
    source.setPaused(true);
    expect(source.paused).toBe(false);
    await batches[0]?.commit();
    await stopping;
    expect(completed()).toBe(true);
    expect(tsOf(batches)).toEqual([1]);
  });

  it('stop before start completes without delivering anything', async () => {
    const source = new MemoryEventSource();
    const { batches, completed } = collect(source);
    source.push([event(1, 'a')]);
    await source.stop();
    expect(completed()).toBe(true);
    expect(batches).toHaveLength(0);
    await source.start();
    expect(batches).toHaveLength(0);
  });
});
