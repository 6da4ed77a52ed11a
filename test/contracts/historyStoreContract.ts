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

/**
 * The HistoryStore contract every adapter honours (memory now; a persistent
 * one joins with one more `historyStore.<adapter>.test.ts`). `make` returns an
 * empty store keeping `retentionHours` hours per route and at most `maxRoutes` routes.
 */
export function historyStoreContract(name: string, make: (retentionHours: number, maxRoutes: number) => HistoryStore): void {
  describe(`HistoryStore contract: ${name}`, () => {
    it('gives back appended hours oldest first, the range half-open [from, to)', () => {
      const store = make(24 * 28, 10);
      for (const i of [0, 2, 1, 3]) store.append('r', hour(i));
      expect(store.hours('r', T0, T0 + 4 * HOUR_MS).map((h) => h.latencyP95Ms)).toEqual([1500, 1501, 1502, 1503]);
      expect(store.hours('r', T0 + HOUR_MS, T0 + 3 * HOUR_MS).map((h) => h.hourStartMs)).toEqual([T0 + HOUR_MS, T0 + 2 * HOUR_MS]);
      expect(store.hours('r', T0 + 3 * HOUR_MS, T0 + 3 * HOUR_MS)).toEqual([]);
      expect(store.hours('other', T0, T0 + 4 * HOUR_MS)).toEqual([]);
      expect(store.size).toBe(4);
    });

    it('hands back values equal to what was appended (every field)', () => {
      const store = make(24, 10);
      store.append('r', hour(5, 33));
      expect(store.hours('r', T0, T0 + 24 * HOUR_MS)).toEqual([hour(5, 33)]);
    });

    it('an hour appended again replaces the stored one', () => {
      const store = make(24, 10);
      store.append('r', hour(1, 10));
      store.append('r', hour(1, 20));
      expect(store.hours('r', T0, T0 + 2 * HOUR_MS).map((h) => h.count)).toEqual([20]);
      expect(store.size).toBe(1);
    });

    it('keeps only the retention behind the newest hour of each route', () => {
      const store = make(48, 10);
      for (let i = 0; i < 24 * 10; i++) store.append('r', hour(i));
      const kept = store.hours('r', 0, Number.MAX_SAFE_INTEGER);
      expect(kept).toHaveLength(48);
      expect(kept[0]!.hourStartMs).toBe(T0 + (24 * 10 - 48) * HOUR_MS);
      expect(store.size).toBe(48);
    });

    it('holds at most maxRoutes routes, evicting the one appended to least recently', () => {
      const store = make(24, 2);
      store.append('a', hour(0));
      store.append('b', hour(0));
      store.append('a', hour(1));
      store.append('c', hour(0));
      expect(store.routes()).toEqual(['a', 'c']);
      expect(store.size).toBe(3);
    });
  });
}
