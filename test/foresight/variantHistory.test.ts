import { describe, expect, it } from 'vitest';
import { RouteQuery } from '../../src/app/routeQuery.js';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_RULES } from '../../src/config/schema.js';
import type { DecisionRecord, TrendRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { mulberry32 } from '../../src/sim/random.js';
import { gaussian } from '../helpers/scenario.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-01-05 00:00 UTC. */
const START = Date.parse('2026-01-05T00:00:00Z');
// Window rules off: this is about what the history keeps, not what the window rules make of it.
const config = (extra: Record<string, unknown> = {}) => parseConfig({ rules: DEFAULT_RULES.map((r) => ({ name: r.name, enabled: false })), ...extra });

/** Median latency per variant, ms: the canary v2 is 20 % faster. */
const MEDIAN: Record<string, number> = { v1: 1000, v2: 800, v3: 900, v4: 900 };

/**
 * Fifteen days of one route at 0.05 calls/s: v1 alone for three days, then a
 * 10 % canary v2; v2 promoted at 01:00 on day 7 (week 2) and served to 90 %.
 * An hour names the variant in production when it was sealed, just after its
 * end: the hour of the promotion and the one before it (sealed after it) name v2.
 */
function run(cfg = config(), extraCanaries = false): { engine: PipelineEngine; records: DecisionRecord[] } {
  const engine = new PipelineEngine(cfg);
  const rng = mulberry32(11);
  const records: DecisionRecord[] = [];
  let batch: TelemetryEvent[] = [];
  for (let t = START; t < START + 15 * DAY; t += 20_000) {
    const day = (t - START) / DAY;
    if (t === START + 7 * DAY + HOUR) {
      records.push(...engine.ingest(batch));
      batch = [];
      engine.experiments.registry.setCurrent('answer', 'v2');
    }
    const u = rng();
    let variant = day < 3 ? 'v1' : t < START + 7 * DAY + HOUR ? (u < 0.9 ? 'v1' : 'v2') : u < 0.9 ? 'v2' : 'v1';
    if (extraCanaries && day >= 3 && u > 0.98) variant = u > 0.99 ? 'v3' : 'v4';
    const e = makeEvent(t, 'answer', variant, Math.round(MEDIAN[variant]! * Math.exp(0.3 * gaussian(rng))));
    e.costUsd = 0.002;
    batch.push(e);
    if (batch.length >= 500) {
      records.push(...engine.ingest(batch));
      batch = [];
    }
  }
  records.push(...engine.ingest(batch), ...engine.flush());
  return { engine, records };
}

describe('per-variant history', () => {
  const { engine, records } = run();
  const hours = engine.foresight.history.hours('answer', START, START + 15 * DAY);

  it('an hour of one variant names it and keeps no per-variant copy; an hour with a canary keeps both, the served one first', () => {
    const first = hours.find((h) => h.hourStartMs === START + 10 * HOUR)!;
    expect(first.served).toBe('v1');
    expect(first.variants).toBeUndefined();
    const canary = hours.find((h) => h.hourStartMs === START + 4 * DAY + 10 * HOUR)!;
    expect(canary.served).toBe('v1');
    expect(Object.keys(canary.variants!)).toEqual(['v1', 'v2']);
    expect(canary.variants!['v1']!.count + canary.variants!['v2']!.count).toBe(canary.count);
    expect(canary.variants!['v2']!.latencyP95Ms!).toBeLessThan(canary.variants!['v1']!.latencyP95Ms!);
    const promoted = hours.find((h) => h.hourStartMs === START + 8 * DAY + 10 * HOUR)!;
    expect(promoted.served).toBe('v2');
  });

  it('the history API by variant: the candidate\'s hours from its first call, served after its promotion', () => {
    const view = new RouteQuery(engine).variantHistoryOf('answer', 'v2', 15 * 24)!;
    expect(view.variant).toBe('v2');
    expect(view.hours[0]!.hourStartMs).toBe(START + 3 * DAY);
    expect(view.hours.every((h) => h.served === h.hourStartMs >= START + 7 * DAY)).toBe(true);
    expect(new RouteQuery(engine).variantHistoryOf('answer', 'nope', 24)!.hours).toEqual([]);
  });

  it('the weekly trend compares what was served: v2 in week 2 against v1 in week 1', () => {
    const trends = records.filter((r): r is TrendRecord => r.type === 'trend');
    expect(trends.map((t) => new Date(t.week_start).toISOString().slice(0, 10))).toEqual(['2026-01-05', '2026-01-12']);
    const [week1, week2] = trends as [TrendRecord, TrendRecord];
    expect(week1['served']).toMatchObject({ current: 'v1', previous: null });
    const served = week2['served'] as { current: string; previous: string; metrics: Record<string, { delta_pct: number }> };
    expect(served).toMatchObject({ current: 'v2', previous: 'v1' });
    console.log(`served p95 week over week: ${served.metrics['latency_p95_ms']!.delta_pct.toFixed(1)} % (v1 → v2); route-wide ${(week2.metrics['latency_p95_ms']!.delta_pct ?? NaN).toFixed(1)} %`);
    expect(served.metrics['latency_p95_ms']!.delta_pct).toBeLessThan(-15);
    expect(served.metrics['latency_p95_ms']!.delta_pct).toBeGreaterThan(-25);
  });

  it('bounded: at most max_variants per hour, the served one always among them', () => {
    const bounded = run(config({ monitoring: { history: { max_variants: 2 } } }), true).engine;
    const multi = bounded.foresight.history.hours('answer', START, START + 15 * DAY).filter((h) => h.variants !== undefined);
    expect(multi.length).toBeGreaterThan(24 * 10);
    for (const h of multi) {
      expect(Object.keys(h.variants!)).toHaveLength(2);
      expect(Object.keys(h.variants!)[0]).toBe(h.served);
    }
  });
});
