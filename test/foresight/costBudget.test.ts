import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_RULES } from '../../src/config/schema.js';
import type { TriggerRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { DAY, HOUR, runDays, START, type SeasonalRoute } from '../helpers/seasonalTraffic.js';

const config = parseConfig({
  time: { bucket: '1m', window: '5m' },
  rules: DEFAULT_RULES.map((r) => ({ name: r.name, enabled: false })),
  monitoring: { anomaly: { enabled: false }, predictive_degradation: { enabled: false } },
  budgets: { cost: { enabled: true } }, // $100/day, production share 70 %
});

// ~17,000 calls a day with a strong daily traffic cycle; ~$50 a day against the $70 production share.
const shop: SeasonalRoute = { route: 'shop', ratePerSecond: 0.2, medianMs: 800, trafficCycle: 0.6, costUsd: 0.0029 };

const budgetTriggers = (records: readonly { type: string }[]): TriggerRecord[] =>
  (records as TriggerRecord[]).filter((r) => r.type === 'trigger' && r.rule === 'cost_budget_daily');

describe('cost_budget_daily', () => {
  it('warns hours before a day heading past its budget spends it, then goes critical when spent; quiet days stay silent', () => {
    // Day 4: every call costs 1.6× (≈ $80 a day) from midnight on.
    const { records } = runDays(config, [{ ...shop, costStep: { atMs: 4 * DAY, factor: 1.6 } }], 5);
    const triggers = budgetTriggers(records);
    expect(triggers.filter((r) => r.ts < START + 4 * DAY)).toEqual([]); // four quiet days: nothing
    const warning = triggers.find((r) => r.severity === 'warning' && r.state === 'firing')!;
    const critical = triggers.find((r) => r.severity === 'critical' && r.state === 'firing')!;
    expect(warning.route).toBe('*');
    expect(warning.metric).toBe('daily_spend_usd');
    expect(warning.threshold).toBeCloseTo(70, 9);
    const e = warning.evidence as Record<string, any>;
    expect(e.share).toBe('production');
    expect(e.projection).toBe('daily_profile');
    expect(e.spent_usd).toBeLessThan(70);
    expect(e.projected_usd).toBeGreaterThan(70);
    const leadHours = (critical.ts - warning.ts) / HOUR;
    console.log(`budget warning at ${((warning.ts - START - 4 * DAY) / HOUR).toFixed(1)} h into the day (spent $${e.spent_usd.toFixed(2)}, projected $${e.projected_usd.toFixed(2)}), spent at ${((critical.ts - START - 4 * DAY) / HOUR).toFixed(1)} h: ${leadHours.toFixed(1)} h ahead; expected exhaustion ${((e.expected_exhaustion - START - 4 * DAY) / HOUR).toFixed(1)} h`);
    expect(leadHours).toBeGreaterThan(3);
    expect(Math.abs(e.expected_exhaustion - critical.ts)).toBeLessThan(3 * HOUR);
    // Once per day each, resolved when the day ends.
    expect(triggers.filter((r) => r.state === 'firing').map((r) => r.severity)).toEqual(['warning', 'critical']);
    expect(triggers.filter((r) => r.state === 'resolved').every((r) => r.ts >= START + 5 * DAY)).toBe(true);
  }, 120_000);

  it('quiet cheap days raise nothing over many seeds (false alarms over days)', () => {
    let alarms = 0;
    let days = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const { records } = runDays(config, [shop, { ...shop, route: 'faq', costUsd: 0.0006, trafficCycle: 0.2 }], 4, seed);
      alarms += budgetTriggers(records).length;
      days += 4;
    }
    console.log(`cost_budget_daily false alarms: ${alarms} over ${days} quiet days (~$60 of $70 a day)`);
    expect(alarms).toBe(0);
  }, 300_000);
});

describe('testing share', () => {
  it('candidate traffic spends from the testing share; once it is spent the day goes critical and ramps hold until the next UTC day', () => {
    const engine = new PipelineEngine(parseConfig({ budgets: { cost: { enabled: true, daily_limit_usd: 10 } } })); // testing share $2
    const events: TelemetryEvent[] = [];
    for (let i = 0; i < 3000; i++) {
      const e = makeEvent(START + 8 * HOUR + i * 1000, 'r', i % 2 === 0 ? 'v1' : 'v2', 800);
      e.costUsd = 0.002;
      if (i % 2 === 1) Object.assign(e, { arm: 'candidate', experiment: 'exp-x', unit: `u${i}` });
      events.push(e);
    }
    const records = engine.ingest(events);
    const testing = budgetTriggers(records).filter((r) => (r.evidence as any).share === 'testing');
    expect(testing.map((r) => [r.severity, r.state])).toContainEqual(['critical', 'firing']);
    expect(budgetTriggers(records).filter((r) => (r.evidence as any).share === 'production' && r.severity === 'critical')).toEqual([]);
    expect(engine.foresight.budget.testingExhausted).toBe(true);
    expect(engine.experiments.rampsHeldUntilMs).toBe(START + DAY);
  });
});
