import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_RULES } from '../../src/config/schema.js';
import type { DecisionRecord, TriggerRecord } from '../../src/core/decision.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { DAY, HOUR, runDays, SeasonalTraffic, START, type SeasonalRoute } from '../helpers/seasonalTraffic.js';

// Window rules off, 1-minute buckets: days of traffic in seconds (the anomaly rule runs at every boundary).
const config = parseConfig({ time: { bucket: '1m', window: '5m' }, rules: DEFAULT_RULES.map((r) => ({ name: r.name, enabled: false })) });

const anomalies = (records: readonly { type: string }[], route?: string): TriggerRecord[] =>
  (records as TriggerRecord[]).filter((r) => r.type === 'trigger' && r.rule === 'anomaly' && (route === undefined || r.route === route));

describe('anomaly', () => {
  it('flags an error-rate jump (0.5 % → 4 %, under every static rule) within the hour, and resolves after it ends', () => {
    const jumpAt = 4 * DAY + 14 * HOUR + 20 * 60_000; // day 4, 14:20 UTC, at the daily peak
    const route: SeasonalRoute = {
      route: 'flaky', ratePerSecond: 0.5, medianMs: 900, latencyCycle: 0.3, trafficCycle: 0.5,
      errorRate: 0.005, errorJump: { atMs: jumpAt, forMs: 3 * HOUR, rate: 0.04 },
    };
    const quiet: SeasonalRoute = { route: 'quiet', ratePerSecond: 0.5, medianMs: 900, latencyCycle: 0.3, trafficCycle: 0.5 };
    const { records } = runDays(config, [route, quiet], 5);
    expect(anomalies(records, 'quiet')).toEqual([]);
    const flagged = anomalies(records, 'flaky');
    expect(flagged.map((r) => [r.metric, r.state])).toEqual([['error_rate', 'firing'], ['error_rate', 'resolved']]);
    const fired = flagged[0]!;
    const leadMinutes = (fired.ts - START - jumpAt) / 60_000;
    console.log(`error-rate jump flagged ${leadMinutes.toFixed(1)} min after it began; band ${JSON.stringify((fired.evidence as any).expected.band)}`);
    expect(leadMinutes).toBeGreaterThan(0);
    expect(leadMinutes).toBeLessThan(60);
    const evidence = fired.evidence as Record<string, any>;
    expect(evidence.expected.baseline).toBe('seasonal');
    expect(evidence.observed.ci[0]).toBeGreaterThan(evidence.expected.band[1]);
    expect(fired.value).toBeLessThan(0.05); // under every static threshold: no default rule watches error rate
    expect(flagged[1]!.ts).toBeGreaterThan(START + jumpAt + 3 * HOUR);
  }, 120_000);

  it('stays quiet on healthy seasonal routes over many seeds (false alarms over route-days)', () => {
    let alarms = 0;
    let routeDays = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const routes: SeasonalRoute[] = [
        { route: 'a', ratePerSecond: 0.3, medianMs: 900, latencyCycle: 0.35, trafficCycle: 0.6, errorRate: 0.01 },
        { route: 'b', ratePerSecond: 0.2, medianMs: 600, latencyCycle: 0.1, costUsd: 0.07, errorRate: 0.002 },
      ];
      const { records } = runDays(config, routes, 5, seed);
      const found = anomalies(records).filter((r) => r.state === 'firing');
      for (const r of found) console.log(`false alarm: seed ${seed} ${r.route} ${r.metric} day ${((r.ts - START) / DAY).toFixed(2)} value ${r.value} band ${JSON.stringify((r.evidence as any).expected.band)}`);
      alarms += found.length;
      routeDays += 2 * (5 - 1); // the band needs a day of history
    }
    console.log(`anomaly false alarms: ${alarms} over ${routeDays} healthy route-days`);
    expect(alarms).toBe(0);
  }, 300_000);

  it('resolves an open anomaly when its route is retired (traffic stopped), instead of leaving it open forever', () => {
    const jumpAt = 4 * DAY + 14 * HOUR;
    const route: SeasonalRoute = { route: 'dying', ratePerSecond: 0.5, medianMs: 900, latencyCycle: 0.3, trafficCycle: 0.5, errorRate: 0.005, errorJump: { atMs: jumpAt, forMs: 3 * HOUR, rate: 0.05 } };
    const engine = new PipelineEngine(config);
    const traffic = new SeasonalTraffic([route]);
    const records: DecisionRecord[] = [];
    for (let t = START + HOUR; t <= START + jumpAt + HOUR; t += HOUR) records.push(...engine.ingest(traffic.until(t)));
    expect(anomalies(records).map((r) => [r.metric, r.state])).toEqual([['error_rate', 'firing']]);
    // The app stops calling the route mid-episode: idle time passes until the route is retired.
    for (let i = 0; i < 12 && engine.routeNames().includes('dying'); i++) records.push(...engine.advanceIdle(5 * 60_000));
    expect(engine.routeNames()).not.toContain('dying');
    const flagged = anomalies(records);
    expect(flagged.map((r) => [r.metric, r.state])).toEqual([['error_rate', 'firing'], ['error_rate', 'resolved']]);
    const resolved = flagged[1]!;
    expect((resolved.evidence as Record<string, unknown>).reason).toBe('no_traffic');
    expect(resolved.ts).toBeGreaterThan(flagged[0]!.ts);
    expect(resolved.ts).toBeLessThanOrEqual(START + jumpAt + 2 * HOUR);
  }, 120_000);
});
