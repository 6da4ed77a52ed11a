import { describe, expect, it } from 'vitest';
import { StatsSeries } from '../../src/windows/statsSeries.js';
import type { WindowStats } from '../../src/windows/windowStats.js';

function window(route: string, endMs: number, p95 = endMs / 1000, variant = 'v'): WindowStats {
  return {
    route, variant, pattern: null, windowStartMs: endMs - 300_000, windowEndMs: endMs, count: 10, errorCount: 0,
    latencyMs: { p50: p95 / 2, p95, p99: p95 * 2 }, meanLatencyMs: p95 / 2, errorRate: 0, costPerTaskUsd: null, totalCostUsd: null,
    tokensPerRequest: null, tokensPerQualityPoint: null, meanQuality: null, qualityCount: 0, accuracy: 0.9, accuracyCount: 10,
    consistency: null, consistencyCount: 0, satisfaction: null, satisfactionCount: 0,
  };
}

describe('StatsSeries', () => {
  it('sliding: keeps the newest points only, oldest first', () => {
    const series = new StatsSeries({ maxPoints: 4, maxRoutes: 10, mode: 'sliding' });
    for (let i = 1; i <= 10; i++) series.record(window('r', i * 10_000));
    const points = series.of('r')!.variants[0]!.points;
    expect(points.map((p) => p.t)).toEqual([70_000, 80_000, 90_000, 100_000]);
    expect(points[3]).toEqual({ t: 100_000, count: 10, p50: 50, p95: 100, p99: 200, error_rate: 0, cost_per_task_usd: null, tokens_per_quality_point: null, accuracy: 0.9 });
  });

  it('thinning: covers the whole run at evenly falling resolution, never more than the cap', () => {
    const series = new StatsSeries({ maxPoints: 8, maxRoutes: 10, mode: 'thinning' });
    for (let i = 0; i < 100; i++) series.record(window('r', i * 10_000));
    const t = series.of('r')!.variants[0]!.points.map((p) => p.t / 10_000);
    expect(t.length).toBeLessThanOrEqual(9);
    expect(t[0]).toBe(0);
    expect(t.at(-1)).toBeGreaterThanOrEqual(100 - 16);
    const gaps = new Set(t.slice(1).map((x, i) => x - t[i]!));
    expect(gaps.size).toBe(1);
  });

  it('bounded in routes: a new route replaces the one quiet for longest; variants sorted', () => {
    const series = new StatsSeries({ maxPoints: 4, maxRoutes: 2, mode: 'sliding' });
    series.record(window('a', 10_000));
    series.record(window('b', 50_000));
    series.record(window('a', 60_000, 1, 'z'));
    series.record(window('a', 60_000, 1, 'c'));
    series.record(window('c', 70_000));
    expect(series.routeNames()).toEqual(['a', 'c']);
    expect(series.of('a')!.variants.map((v) => v.variant)).toEqual(['c', 'v', 'z']);
    expect(series.of('b')).toBeNull();
  });
});
