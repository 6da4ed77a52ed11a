import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/foresight/hourlyRollup.js';
import { MemoryHistoryStore } from '../../src/foresight/memoryHistoryStore.js';
import { historyStoreContract, hour } from './historyStoreContract.js';

historyStoreContract('MemoryHistoryStore', (retentionHours, maxRoutes) => new MemoryHistoryStore({ retentionMs: retentionHours * HOUR_MS, maxRoutes }));

describe('MemoryHistoryStore: monitoring.history.max_entries', () => {
  it('holds at most max_entries, the least recently appended route losing its oldest hours first', () => {
    const store = new MemoryHistoryStore({ retentionMs: 1_000 * HOUR_MS, maxRoutes: 100, maxEntries: 10 });
    for (let i = 0; i < 6; i++) store.append('quiet', hour(i));
    for (let i = 0; i < 6; i++) store.append('busy', hour(i));
    expect(store.entryCount).toBe(10);
    // 'quiet' stopped appending first: it gave up its two oldest hours, 'busy' kept all six
    expect(store.hours('quiet', 0, Infinity).map((h) => h.hourStartMs)).toEqual([2, 3, 4, 5].map((i) => hour(i).hourStartMs));
    expect(store.hours('busy', 0, Infinity)).toHaveLength(6);
    for (let i = 6; i < 10; i++) store.append('busy', hour(i));
    expect(store.routes()).toEqual(['busy']);
    expect(store.hours('busy', 0, Infinity).map((h) => h.hourStartMs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => hour(i).hourStartMs));
    expect(store.droppedHours).toBe(6);
    // a 'busy' hour now gives way to its own oldest
    store.append('busy', hour(10));
    expect(store.hours('busy', 0, Infinity)[0]!.hourStartMs).toBe(hour(1).hourStartMs);
    expect(store.size).toBe(10);
  });

  it('counts an hour once plus once per per-variant rollup it keeps', () => {
    const store = new MemoryHistoryStore({ retentionMs: 1_000 * HOUR_MS, maxRoutes: 100, maxEntries: 6 });
    const withVariants = (i: number) => ({ ...hour(i), variants: { a: hour(i), b: hour(i) } });
    store.append('r', withVariants(0));
    store.append('r', withVariants(1));
    expect(store.entryCount).toBe(6);
    store.append('r', withVariants(1)); // the same hour again replaces it
    expect(store.entryCount).toBe(6);
    store.append('r', hour(2));
    expect(store.entryCount).toBe(4);
    expect(store.hours('r', 0, Infinity).map((h) => h.hourStartMs)).toEqual([1, 2].map((i) => hour(i).hourStartMs));
  });
});
