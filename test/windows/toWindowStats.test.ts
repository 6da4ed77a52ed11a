import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../src/core/event.js';
import { StatsBucket } from '../../src/windows/statsBucket.js';
import { refreshWindowStats, toWindowStats } from '../../src/windows/toWindowStats.js';
import { mulberry32 } from '../../src/sim/random.js';

type Extra = Partial<Omit<TelemetryEvent, 'ts' | 'route' | 'variant'>>;
const ev = (extra: Extra = {}): TelemetryEvent => ({ ts: 0, route: 'r', variant: 'v', latencyMs: 100, isError: false, ...extra });

function statsOf(events: readonly TelemetryEvent[]) {
  const bucket = new StatsBucket();
  for (const e of events) bucket.add(e);
  return toWindowStats('r', 'v', 'few_shot', bucket, 1000, 2000);
}

describe('toWindowStats definitions (DESIGN §3)', () => {
  it('reports every metric as null, never 0, when there is no data', () => {
    const s = statsOf([]);
    expect(s).toMatchObject({
      route: 'r', variant: 'v', pattern: 'few_shot', windowStartMs: 1000, windowEndMs: 2000,
      count: 0, errorCount: 0, latencyMs: null, meanLatencyMs: null, errorRate: null, costPerTaskUsd: null,
      totalCostUsd: null, tokensPerRequest: null, tokensPerQualityPoint: null, meanQuality: null, qualityCount: 0,
      accuracy: null, accuracyCount: 0, consistency: null, consistencyCount: 0, satisfaction: null, satisfactionCount: 0,
    });
  });

  it('error rate = failed / calls', () => {
    const s = statsOf([ev(), ev({ isError: true }), ev(), ev({ isError: true, errorType: 'timeout' })]);
    expect(s.count).toBe(4);
    expect(s.errorCount).toBe(2);
    expect(s.errorRate).toBe(0.5);
  });

  it('cost per task = total cost / successful calls; events without cost do not count', () => {
    const s = statsOf([
      ev({ costUsd: 0.1 }),
      ev({ costUsd: 0.2 }),
      ev({ costUsd: 0.3, isError: true }), // failed: its spend counts, it is not a task
      ev(), // no cost known: neither numerator nor divisor
    ]);
    expect(s.totalCostUsd).toBeCloseTo(0.6, 12);
    expect(s.costPerTaskUsd).toBeCloseTo(0.3, 12);
  });

  it('cost per task is null when every costed call failed, total cost still reported', () => {
    const s = statsOf([ev({ costUsd: 0.05, isError: true })]);
    expect(s.costPerTaskUsd).toBeNull();
    expect(s.totalCostUsd).toBe(0.05);
  });

  it('tokens per request averages over events carrying tokens; tokens per quality point divides by mean quality × 100', () => {
    const s = statsOf([
      ev({ inputTokens: 300, outputTokens: 100, quality: 0.8 }),
      ev({ inputTokens: 500, quality: 0.6 }), // output missing counts 0
      ev({ quality: 1 }), // no tokens: not in the token average
    ]);
    expect(s.tokensPerRequest).toBe(450);
    expect(s.meanQuality).toBeCloseTo(0.8, 12);
    expect(s.qualityCount).toBe(3);
    expect(s.tokensPerQualityPoint).toBeCloseTo(450 / 80, 12);
  });

  it('tokens per quality point is null without quality or with zero mean quality', () => {
    expect(statsOf([ev({ inputTokens: 10 })]).tokensPerQualityPoint).toBeNull();
    expect(statsOf([ev({ inputTokens: 10, quality: 0 })]).tokensPerQualityPoint).toBeNull();
  });

  it('accuracy and consistency are shares among events carrying the field', () => {
    const s = statsOf([
      ev({ correct: true, consistent: false }),
      ev({ correct: false }),
      ev({ correct: true }),
      ev({ correct: true, consistent: true }),
      ev(),
      ev(),
    ]);
    expect(s.accuracy).toBe(0.75);
    expect(s.accuracyCount).toBe(4);
    expect(s.consistency).toBe(0.5);
    expect(s.consistencyCount).toBe(2);
  });

  it('satisfaction is the mean over events carrying it', () => {
    const s = statsOf([ev({ satisfaction: 1 }), ev({ satisfaction: 0.5 }), ev()]);
    expect(s.satisfaction).toBe(0.75);
    expect(s.satisfactionCount).toBe(2);
  });

  it('latency percentiles come from the sketch, mean from the sum, failed calls included', () => {
    const events: TelemetryEvent[] = [];
    for (let i = 1; i <= 1000; i++) events.push(ev({ latencyMs: i, isError: i % 10 === 0 }));
    const s = statsOf(events);
    expect(s.meanLatencyMs).toBeCloseTo(500.5, 9);
    const within = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.01);
    within(s.latencyMs!.p50, 500);
    within(s.latencyMs!.p95, 950);
    within(s.latencyMs!.p99, 990);
  });
});

describe('StatsBucket merge / subtract', () => {
  const a = [ev({ costUsd: 0.1, inputTokens: 10, quality: 0.5, correct: true, consistent: true, satisfaction: 0.2 }), ev({ isError: true, latencyMs: 900 })];
  const b = [ev({ costUsd: 0.3, outputTokens: 7, quality: 1, correct: false, consistent: false, satisfaction: 1, latencyMs: 5 })];

  it('merge equals a bucket of the union, subtract gives back the first', () => {
    const ba = new StatsBucket();
    a.forEach((e) => ba.add(e));
    const bb = new StatsBucket();
    b.forEach((e) => bb.add(e));
    const union = new StatsBucket();
    [...a, ...b].forEach((e) => union.add(e));
    const before = toWindowStats('r', 'v', null, ba, 0, 1);
    ba.merge(bb);
    expect(toWindowStats('r', 'v', null, ba, 0, 1)).toEqual(toWindowStats('r', 'v', null, union, 0, 1));
    ba.subtract(bb);
    const after = toWindowStats('r', 'v', null, ba, 0, 1);
    // Counts and the sketch come back exactly; float sums up to rounding.
    expect(after.latencyMs).toEqual(before.latencyMs);
    expect(after.count).toBe(before.count);
    expect(after.accuracyCount).toBe(before.accuracyCount);
    for (const key of ['costPerTaskUsd', 'totalCostUsd', 'satisfaction', 'meanQuality', 'tokensPerRequest', 'meanLatencyMs'] as const) {
      expect(after[key]).toBeCloseTo(before[key]!, 12);
    }
  });

  it('subtracting everything gives an empty bucket with exact zero sums', () => {
    const total = new StatsBucket();
    const parts = [a, b].map((events) => {
      const s = new StatsBucket();
      events.forEach((e) => s.add(e));
      total.merge(s);
      return s;
    });
    parts.forEach((p) => total.subtract(p));
    expect(total.isEmpty).toBe(true);
    expect(total.costSumUsd).toBe(0);
    expect(total.latencySumMs).toBe(0);
    expect(toWindowStats('r', 'v', null, total, 0, 1).latencyMs).toBeNull();
  });
});

describe('refreshWindowStats', () => {
  it('rewrites a series\' statistics in place to exactly what toWindowStats gives for the same total', () => {
    const r = mulberry32(5);
    const total = new StatsBucket();
    let stats = toWindowStats('r', 'v', null, total, 0, 1000); // empty: percentiles null
    for (let step = 1; step <= 60; step++) {
      const calls = Math.floor(r() * 4);
      for (let i = 0; i < calls; i++) {
        total.add(ev({ latencyMs: 50 + r() * 3000, isError: r() < 0.1, inputTokens: 300, outputTokens: Math.floor(r() * 200), quality: r(), correct: r() < 0.9, costUsd: r() / 100 }));
      }
      const refreshed = refreshWindowStats(stats, 'few_shot', total, step * 1000, step * 1000 + 1000, calls === 0);
      expect(refreshed).toBe(stats);
      expect(refreshed).toEqual(toWindowStats('r', 'v', 'few_shot', total, step * 1000, step * 1000 + 1000));
      stats = refreshed;
    }
    expect(stats.count).toBeGreaterThan(0);
  });
});
