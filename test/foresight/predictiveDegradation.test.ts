import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_RULES } from '../../src/config/schema.js';
import type { TriggerRecord } from '../../src/core/decision.js';
import { DAY, HOUR, runDays, START, trueP95Ms, type SeasonalRoute } from '../helpers/seasonalTraffic.js';

// Window rules off and 1-minute buckets: days of traffic in seconds. The forecast reads sealed hours only,
// so neither changes what it sees.
const config = parseConfig({ time: { bucket: '1m', window: '5m' }, rules: DEFAULT_RULES.map((r) => ({ name: r.name, enabled: false })) });

const seasonal: SeasonalRoute = { route: 'seasonal', ratePerSecond: 0.2, medianMs: 800, latencyCycle: 0.3, trafficCycle: 0.5 };
const drifting: SeasonalRoute = { route: 'drifting', ratePerSecond: 0.2, medianMs: 700, latencyCycle: 0.3, trafficCycle: 0.5, latencyDriftPctPerDay: 4 };

const pricey: SeasonalRoute = { route: 'pricey', ratePerSecond: 0.1, medianMs: 600, latencyCycle: 0.2, costUsd: 0.08, costDriftPctPerDay: 5 };

const forecasts = (records: readonly { type: string }[], route: string): TriggerRecord[] =>
  (records as TriggerRecord[]).filter((r) => r.type === 'trigger' && r.rule === 'predictive_degradation' && r.route === route);

describe('predictive_degradation', () => {
  it('forecasts a drifting route days before its p95 crosses the threshold; a seasonal stationary route never fires', () => {
    const { records } = runDays(config, [seasonal, drifting, pricey], 12);
    expect(forecasts(records, 'seasonal')).toEqual([]);
    const fired = forecasts(records, 'drifting').filter((r) => r.state === 'firing');
    expect(fired).toHaveLength(1);
    const first = fired[0]!;
    expect(first.metric).toBe('latency_p95_ms');
    expect(first.threshold).toBe(2400);
    // The true p95 (simulated) first exceeds 2400 ms at the peak of some day: find that hour.
    let breachMs = START;
    while (trueP95Ms(drifting, breachMs) <= 2400) breachMs += HOUR / 4;
    const leadDays = (breachMs - first.ts) / DAY;
    const evidence = first.evidence as Record<string, any>;
    console.log(`drift forecast at day ${((first.ts - START) / DAY).toFixed(2)}, true breach at day ${((breachMs - START) / DAY).toFixed(2)}: lead ${leadDays.toFixed(2)} days; expected crossing day ${((evidence.crossing.expected - START) / DAY).toFixed(2)}`);
    expect(leadDays).toBeGreaterThan(1);
    expect(evidence.crossing.expected).toBeGreaterThan(first.ts - HOUR);
    expect(evidence.crossing.expected).toBeLessThanOrEqual(first.ts + 3 * DAY);
    // The expected crossing is near the true one (within a day).
    expect(Math.abs(evidence.crossing.expected - breachMs)).toBeLessThan(DAY);
    expect(evidence.forecast.interval[0]).toBeLessThan(evidence.forecast.value);
    expect(evidence.forecast.interval[1]).toBeGreaterThan(evidence.forecast.value);
    expect(evidence.trend_pct_per_day).toBeGreaterThan(2);
    expect(evidence.trend_pct_per_day).toBeLessThan(6);
    expect(evidence.seasonality).toBe('daily');

    // Cost per task drifting 5 %/day from $0.08 crosses $0.125 (budget + 25 %) after ~9.1 days.
    const cost = forecasts(records, 'pricey').filter((r) => r.state === 'firing');
    expect(cost.map((r) => r.metric)).toEqual(['cost_per_task_usd']);
    const costBreachMs = START + (Math.log(0.125 / 0.08) / Math.log(1.05)) * DAY;
    console.log(`cost forecast at day ${((cost[0]!.ts - START) / DAY).toFixed(2)}, true breach at day ${((costBreachMs - START) / DAY).toFixed(2)}`);
    expect(costBreachMs - cost[0]!.ts).toBeGreaterThan(DAY);
  }, 120_000);

  it('never fires on healthy seasonal routes over many seeds (false alarms over route-days)', () => {
    let alarms = 0;
    let routeDays = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const routes: SeasonalRoute[] = [
        { route: 'a', ratePerSecond: 0.1, medianMs: 900, latencyCycle: 0.35, trafficCycle: 0.6 },
        { route: 'b', ratePerSecond: 0.1, medianMs: 600, latencyCycle: 0.1, costUsd: 0.07 },
      ];
      const { records } = runDays(config, routes, 8, seed);
      alarms += forecasts(records, 'a').length + forecasts(records, 'b').length;
      routeDays += 2 * (8 - 3); // forecasting starts after 3 days of history
    }
    console.log(`predictive_degradation false alarms: ${alarms} over ${routeDays} healthy route-days`);
    expect(alarms).toBe(0);
  }, 300_000);
});
