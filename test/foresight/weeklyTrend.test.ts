import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_RULES } from '../../src/config/schema.js';
import type { TrendRecord } from '../../src/core/decision.js';
import { weekStartOf } from '../../src/foresight/trendWatch.js';
import { DAY, runDays, START, type SeasonalRoute } from '../helpers/seasonalTraffic.js';

const config = parseConfig({
  time: { bucket: '1m', window: '5m' },
  rules: DEFAULT_RULES.map((r) => ({ name: r.name, enabled: false })),
  monitoring: { anomaly: { enabled: false }, predictive_degradation: { enabled: false } },
});

describe('weekly trend analysis', () => {
  it('one record per route per week, week over week: a drifting route shows its rise, a steady one stays flat', () => {
    const routes: SeasonalRoute[] = [
      { route: 'drifting', ratePerSecond: 0.1, medianMs: 700, latencyCycle: 0.3, latencyDriftPctPerDay: 4, costUsd: 0.01 },
      { route: 'steady', ratePerSecond: 0.1, medianMs: 700, latencyCycle: 0.3, costUsd: 0.01 },
    ];
    const { records } = runDays(config, routes, 15);
    const trends = records.filter((r): r is TrendRecord => r.type === 'trend').sort((a, b) => a.week_start - b.week_start || a.route.localeCompare(b.route));
    expect(trends.map((t) => [t.route, (t.week_start - START) / DAY])).toEqual([
      ['drifting', 0], ['steady', 0], ['drifting', 7], ['steady', 7],
    ]);
    const [firstDrift, , drift, steady] = trends;
    expect(firstDrift!.metrics['latency_p95_ms']).toMatchObject({ previous: null, delta_pct: null });
    expect(drift!.metrics['calls']!.current).toBeGreaterThan(50_000);
    // p95 over a week drifting 4 %/day: 1.04^7 − 1 ≈ 31.6 % week over week.
    const p95Delta = drift!.metrics['latency_p95_ms']!.delta_pct!;
    const steadyDelta = steady!.metrics['latency_p95_ms']!.delta_pct!;
    console.log(`weekly p95 delta: drifting ${p95Delta.toFixed(1)} %, steady ${steadyDelta.toFixed(1)} %`);
    expect(p95Delta).toBeGreaterThan(25);
    expect(p95Delta).toBeLessThan(38);
    expect(Math.abs(steadyDelta)).toBeLessThan(5);
    expect(Math.abs(steady!.metrics['cost_per_task_usd']!.delta_pct!)).toBeLessThan(2);
    expect(steady!.metrics['spend_usd']!.current).toBeGreaterThan(500);
    expect(drift!.ts).toBe(START + 14 * DAY);
    expect(drift!.response_time_budget).toEqual({ total_ms: 5000, p95_within: true });
  }, 120_000);

  it('weeks start on Monday 00:00 UTC', () => {
    expect(weekStartOf(Date.parse('2026-01-05T00:00:00Z'))).toBe(Date.parse('2026-01-05T00:00:00Z'));
    expect(weekStartOf(Date.parse('2026-01-11T23:59:59Z'))).toBe(Date.parse('2026-01-05T00:00:00Z'));
    expect(weekStartOf(Date.parse('2026-01-12T00:00:00Z'))).toBe(Date.parse('2026-01-12T00:00:00Z'));
  });
});
