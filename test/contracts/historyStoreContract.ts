import { describe, expect, it } from 'vitest';
import { HOUR_MS, type HourlyRollup } from '../../src/foresight/hourlyRollup.js';
import type { HistoryStore } from '../../src/foresight/historyStore.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');

/** An hour with `count` calls and a recognizable p95 (distinct per hour). */
export function hour(index: number, count = 10): HourlyRollup {
  return {
    hourStartMs: T0 + index * HOUR_MS,
    count,
    errorCount: 1,
    latencyP50Ms: 500 + index,
    latencyP95Ms: 1500 + index,
    latencyP99Ms: 2500 + index,
    latencySumMs: 600 * count,
    costSumUsd: 0.01 * count,
    costSuccessEvents: count - 1,
    spendUsd: { production: 0.01 * count, testing: 0, research: 0 },
    tokenEvents: count,
    tokensSum: 700 * count,
    qualitySum: 0.9 * count,
    qualityCount: count,
    correctTrue: count - 1,
    correctTotal: count,
  };
}

/** A persistent adapter's extra: the same store as a restarted daemon opens it. */
export interface Durable {
  /** Waits until what was appended is stored for good. */
  flush(store: HistoryStore): Promise<void>;
  /** A new store on the same storage (a restart), loaded. */
  reopen(store: HistoryStore): Promise<HistoryStore>;
}

/**
 * The HistoryStore contract every adapter honours: the memory adapter, and
 * the Redis one (`durable`: what was flushed is there again after a restart).
 * `make` returns an empty store keeping `retentionHours` hours per route and
 * at most `maxRoutes` routes.
 */
export function historyStoreContract(
  name: string,
  make: (retentionHours: number, maxRoutes: number) => HistoryStore | Promise<HistoryStore>,
  durable?: Durable,
): void {
  describe(`HistoryStore contract: ${name}`, () => {
    it('gives back appended hours oldest first, the range half-open [from, to)', async () => {
      const store = await make(24 * 28, 10);
      for (const i of [0, 2, 1, 3]) store.append('r', hour(i));
      expect(store.hours('r', T0, T0 + 4 * HOUR_MS).map((h) => h.latencyP95Ms)).toEqual([1500, 1501, 1502, 1503]);
      expect(store.hours('r', T0 + HOUR_MS, T0 + 3 * HOUR_MS).map((h) => h.hourStartMs)).toEqual([T0 + HOUR_MS, T0 + 2 * HOUR_MS]);
      expect(store.hours('r', T0 + 3 * HOUR_MS, T0 + 3 * HOUR_MS)).toEqual([]);
      expect(store.hours('other', T0, T0 + 4 * HOUR_MS)).toEqual([]);
      expect(store.size).toBe(4);
    });

    it('hands back values equal to what was appended (every field)', async () => {
      const store = await make(24, 10);
      const { hourStartMs: _start, spendUsd: _spend, ...part } = hour(5, 20);
      const withVariants: HourlyRollup = { ...hour(5, 33), served: 'v1', variants: { v1: part, 'v2~few_shot': { ...part, count: 13, latencyP95Ms: null } } };
      store.append('r', withVariants);
      expect(store.hours('r', T0, T0 + 24 * HOUR_MS)).toEqual([withVariants]);
    });

    it('an hour appended again replaces the stored one', async () => {
      const store = await make(24, 10);
      store.append('r', hour(1, 10));
      store.append('r', hour(1, 20));
      expect(store.hours('r', T0, T0 + 2 * HOUR_MS).map((h) => h.count)).toEqual([20]);
      expect(store.size).toBe(1);
    });

    it('keeps only the retention behind the newest hour of each route', async () => {
      const store = await make(48, 10);
      for (let i = 0; i < 24 * 10; i++) store.append('r', hour(i));
      const kept = store.hours('r', 0, Number.MAX_SAFE_INTEGER);
      expect(kept).toHaveLength(48);
      expect(kept[0]!.hourStartMs).toBe(T0 + (24 * 10 - 48) * HOUR_MS);
      expect(store.size).toBe(48);
    });

    it('holds at most maxRoutes routes, evicting the one appended to least recently', async () => {
      const store = await make(24, 2);
      store.append('a', hour(0));
      store.append('b', hour(0));
      store.append('a', hour(1));
      store.append('c', hour(0));
      expect(store.routes()).toEqual(['a', 'c']);
      expect(store.size).toBe(3);
    });
  
    if (durable === undefined) return;

    it('after a restart gives back every flushed hour, equal in every field, replaced hours replaced', async () => {
      const store = await make(24 * 28, 10);
      for (let i = 0; i < 30; i++) store.append('r', hour(i, 10 + i));
      store.append('s', hour(3, 7));
      store.append('r', hour(29, 99));
      await durable.flush(store);
      const again = await durable.reopen(store);
      expect(again.hours('r', 0, Number.MAX_SAFE_INTEGER)).toEqual(store.hours('r', 0, Number.MAX_SAFE_INTEGER));
      expect(again.hours('r', T0 + 29 * HOUR_MS, T0 + 30 * HOUR_MS)).toEqual([hour(29, 99)]);
      expect(again.hours('s', 0, Number.MAX_SAFE_INTEGER)).toEqual([hour(3, 7)]);
      expect(again.routes()).toEqual(['r', 's']);
      expect(again.size).toBe(31);
    });

    it('after a restart keeps the retention and the routes appended to most recently', async () => {
      const store = await make(48, 2);
      for (let i = 0; i < 100; i++) store.append('old', hour(i));
      await durable.flush(store);
      store.append('b', hour(0));
      await durable.flush(store);
      store.append('c', hour(0));
      await durable.flush(store);
      const again = await durable.reopen(store);
      expect(again.routes()).toEqual(['b', 'c']);
      const wide = await make(48, 10);
      for (let i = 0; i < 100; i++) wide.append('old', hour(i));
      await durable.flush(wide);
      const kept = (await durable.reopen(wide)).hours('old', 0, Number.MAX_SAFE_INTEGER);
      expect(kept).toHaveLength(48);
      expect(kept[0]!.hourStartMs).toBe(T0 + 52 * HOUR_MS);
    });
  });
}
