// Triggers on evidence, not noise: days of simulated traffic through the real replay code path.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DAY_MS, SIM_T0, replayRecords, writeSimulatedDays } from '../helpers/simulatedDays.js';

const MIN = 60_000;
const firings = (records: Record<string, any>[]) => records.filter((r) => r['type'] === 'trigger' && r['state'] === 'firing');

describe('healthy low-traffic routes (12 calls/min)', () => {
  it('stay quiet for 3 simulated days on all four demo routes: no trigger, no action, no experiment', async () => {
    const { path, events, config } = writeSimulatedDays({ ratePerSecond: 0.2, days: 3 });
    expect(events).toBeGreaterThan(4 * 3 * 17_000);
    const records = await replayRecords(path, config);
    expect(records).toEqual([]);
  });

  it('on the point estimate instead (confidence 0) the same kind of traffic raises dozens of triggers a day', async () => {
    const pointRules = parseConfig({}).rules.map((rule) => ({ ...rule, confidence: 0 }));
    const { path, config } = writeSimulatedDays({ ratePerSecond: 0.2, days: 1, overrides: { rules: pointRules } });
    const records = await replayRecords(path, config);
    expect(firings(records).length).toBeGreaterThan(24);
    expect(records.some((r) => r['type'] === 'experiment' && r['status'] === 'started')).toBe(true);
  });

  it('a route breaching once a day (accuracy −25 points for an hour at noon) opens one episode per day, with its evidence', async () => {
    const degradations = [0, 1].map((day) => ({ route: 'extract-entities', at: `${day * 24 + 12}h`, duration: '1h', accuracy_delta: -0.25 }));
    const { path, config } = writeSimulatedDays({ ratePerSecond: 0.2, days: 2, degradations });
    const records = await replayRecords(path, config);
    const drops = firings(records).filter((r) => r['rule'] === 'accuracy_drop');
    expect(drops.map((r) => r['route'])).toEqual(['extract-entities', 'extract-entities']);
    drops.forEach((r, day) => {
      const noon = SIM_T0 + day * DAY_MS + 12 * 60 * MIN;
      expect(r['ts']).toBeGreaterThan(noon);
      expect(r['ts']).toBeLessThan(noon + 60 * MIN);
      expect(r['evidence']).toMatchObject({ confidence: 0.99, ci_method: 'clopper_pearson' });
      const [lower, upper] = r['evidence']['ci'] as [number, number];
      expect(lower).toBeLessThanOrEqual(r['value']);
      expect(upper).toBeLessThan(r['threshold']); // the whole interval lies below 90 %
      expect(r['evidence']['samples']).toBeGreaterThanOrEqual(30);
    });
    expect(records.filter((r) => r['type'] === 'trigger' && r['rule'] === 'accuracy_drop' && r['state'] === 'resolved')).toHaveLength(2);
    // Nothing on the three routes that stayed healthy.
    expect(records.filter((r) => r['route'] !== 'extract-entities')).toEqual([]);
  });
});

describe('degradations at 10 calls/s still fire about as fast as before', () => {
  it('measures the delay from the degradation start to each firing, with the evidence requirement and with the former point-estimate rules', async () => {
    const degradations = [
      { route: 'support-triage', at: '30m', duration: '1h', latency_factor: 2.2 },
      { route: 'contract-review', at: '30m', duration: '1h', cost_factor: 2.4 },
      { route: 'extract-entities', at: '30m', duration: '1h', accuracy_delta: -0.09 },
    ];
    const { path, config } = writeSimulatedDays({ ratePerSecond: 10, days: 45 / (24 * 60), degradations });
    const delaysS = async (rulesConfig: typeof config): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const r of firings(await replayRecords(path, rulesConfig))) {
        const key = `${String(r['route'])} ${String(r['rule'])}`;
        out[key] ??= (r['ts'] - SIM_T0 - 30 * MIN) / 1000;
      }
      return out;
    };
    const evidence = await delaysS(config);
    // Before evidence was required: the point estimate, with the longer holds that were its only noise guard.
    const FORMER_FOR_MS: Record<string, number> = { accuracy_drop: 2 * MIN, consistency_drop: 2 * MIN, quality_improvement_opportunity: 5 * MIN };
    const point = await delaysS(parseConfig({ ...config, rules: config.rules.map((rule) => ({ ...rule, confidence: 0, for: FORMER_FOR_MS[rule.name] ?? rule.for })) }));
    const expected = [
      'contract-review cost_threshold_breach',
      'contract-review efficiency_drop',
      'extract-entities accuracy_drop',
      'extract-entities quality_improvement_opportunity',
      'support-triage performance_degradation',
      'support-triage response_time_warning',
    ];
    expect(Object.keys(evidence).sort()).toEqual(expected);
    // The point estimate also fires on noise here: contract-review's accuracy (95.5 %) sits just above its 95 % target.
    expect(Object.keys(point).sort()).toEqual(expect.arrayContaining(expected));
    for (const key of expected) {
      // At most 3 buckets (30 s) later than before, and within 7 minutes.
      expect(evidence[key]!, key).toBeLessThanOrEqual(point[key]! + 30);
      expect(evidence[key]!, key).toBeLessThanOrEqual(420);
    }
  });
});
