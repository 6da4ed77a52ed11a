import { describe, expect, it } from 'vitest';
import { RuleSchema } from '../../src/config/schema.js';
import { METRICS, type MetricName } from '../../src/core/decision.js';
import { detect, metricSamples, metricValue, resolveThreshold, updateBaseline } from '../../src/detectors/index.js';
import { StatsBucket } from '../../src/windows/statsBucket.js';
import { toWindowStats } from '../../src/windows/toWindowStats.js';
import { config, stats, T0 } from './fixtures.js';

const rule = (input: Record<string, unknown>) => RuleSchema.parse({ name: 'r', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, ...input });

describe('metricValue / metricSamples', () => {
  const window = { ...stats(T0, { p95: 2000, count: 100 }), errorCount: 10, errorRate: 0.1, satisfaction: 0.7, satisfactionCount: 7 };
  const expected: Record<MetricName, [number | null, number]> = {
    latency_p50_ms: [1000, 100],
    latency_p95_ms: [2000, 100],
    latency_p99_ms: [3000, 100],
    error_rate: [0.1, 100],
    cost_per_task_usd: [0.05, 90],
    tokens_per_request: [3000, 100],
    tokens_per_quality_point: [50, 100],
    accuracy: [0.99, 100],
    consistency: [0.99, 100],
    satisfaction: [0.7, 7],
  };
  it.each(METRICS.map((m) => [m]))('maps %s to its WindowStats field and sample count', (metric) => {
    expect([metricValue(window, metric), metricSamples(window, metric)]).toEqual(expected[metric]);
  });
  it('is null (not 0) when the window has no data', () => {
    const empty = stats(T0, { count: 0, p95: null, accuracy: null });
    expect(metricValue(empty, 'latency_p95_ms')).toBeNull();
    expect(metricValue(empty, 'accuracy')).toBeNull();
    expect(metricValue(empty, 'satisfaction')).toBeNull();
  });
});

describe('resolveThreshold', () => {
  const targets = config({ targets: { latency_p95_ms: 2000, accuracy: 0.95 } }).targets;
  const ctx = { targets, baseline: null, baselineMinSamples: 100 };
  it.each([
    ['absolute', rule({ threshold: 3000 }), 3000, { kind: 'absolute' }],
    ['target gt widens up', rule({ threshold: { target: 'latency_p95_ms', margin_pct: 20 } }), 2400, { kind: 'target', target: 'latency_p95_ms', reference: 2000, margin_pct: 20 }],
    ['target lt widens down', rule({ metric: 'accuracy', op: 'lt', threshold: { target: 'accuracy', margin_pct: 10 } }), 0.855, { kind: 'target', target: 'accuracy', reference: 0.95, margin_pct: 10 }],
  ] as const)('%s', (_name, r, value, from) => {
    const resolved = resolveThreshold(r, ctx)!;
    expect(resolved.value).toBeCloseTo(value, 9);
    expect(resolved.from).toEqual(from);
  });
  it('a baseline threshold needs baseline.min_samples samples', () => {
    const r = rule({ metric: 'tokens_per_quality_point', threshold: { baseline: true, margin_pct: 20 } });
    const young = updateBaseline(null, { value: 50, samples: 99, windowStartMs: 0, windowEndMs: 300_000 }, 3_600_000);
    expect(resolveThreshold(r, { ...ctx, baseline: young })).toBeNull();
    const grown = updateBaseline(young, { value: 50, samples: 99, windowStartMs: 10_000, windowEndMs: 310_000 }, 3_600_000);
    const resolved = resolveThreshold(r, { ...ctx, baseline: grown })!;
    expect(resolved.value).toBeCloseTo(60, 9);
    expect(resolved.from).toEqual({ kind: 'baseline', reference: 50, margin_pct: 20, baseline_samples: 102 });
  });
});

describe('detect', () => {
  const threshold = { value: 1000, from: { kind: 'absolute' } as const };
  it.each([
    ['breached above', rule({}), 1100, { breached: true, clear: false }],
    ['inside the hysteresis band', rule({}), 960, { breached: false, clear: false }],
    ['clear by the band', rule({}), 950, { breached: false, clear: true }],
    ['exactly at threshold is not a breach', rule({}), 1000, { breached: false, clear: false }],
    ['zero hysteresis: not breached is clear', rule({ hysteresis_pct: 0 }), 1000, { breached: false, clear: true }],
  ] as const)('%s', (_name, r, p95, flags) => {
    expect(detect(stats(T0, { p95 }), r, threshold)).toMatchObject({ value: p95, threshold: 1000, samples: 100, ...flags });
  });
  it('lt rules: below is a breach, clear needs the band above', () => {
    const r = rule({ metric: 'accuracy', op: 'lt' });
    const t = { value: 0.9, from: { kind: 'absolute' } as const };
    expect(detect(stats(T0, { accuracy: 0.85 }), r, t)).toMatchObject({ breached: true, clear: false });
    expect(detect(stats(T0, { accuracy: 0.92 }), r, t)).toMatchObject({ breached: false, clear: false });
    expect(detect(stats(T0, { accuracy: 0.95 }), r, t)).toMatchObject({ breached: false, clear: true });
  });
  it.each([
    ['fewer samples than min_samples', stats(T0, { p95: 5000, count: 29 }), threshold],
    ['a null value', stats(T0, { p95: null }), threshold],
    ['no threshold yet', stats(T0, { p95: 5000 }), null],
    ['a non-finite value', stats(T0, { p95: Number.NaN }), threshold],
  ] as const)('is null for %s', (_name, s, t) => {
    expect(detect(s, rule({}), t)).toBeNull();
  });
  it('counts the metric\'s own samples (accuracy uses accuracyCount)', () => {
    const r = rule({ metric: 'accuracy', op: 'lt', threshold: 0.9 });
    expect(detect(stats(T0, { accuracy: 0.5, accuracyCount: 29 }), r, { value: 0.9, from: { kind: 'absolute' } })).toBeNull();
  });
});

describe('updateBaseline', () => {
  it('counts only the new share of overlapping windows and decays with the half-life', () => {
    let b = updateBaseline(null, { value: 100, samples: 300, windowStartMs: 0, windowEndMs: 300_000 }, 60_000);
    b = updateBaseline(b, { value: 200, samples: 300, windowStartMs: 60_000, windowEndMs: 360_000 }, 60_000);
    // 60 s of a 300 s window is new (60 events); the old weight of 300 halves to 150.
    expect(b!.samples).toBeCloseTo(360, 9);
    expect(b!.mean).toBeCloseTo((100 * 150 + 200 * 60) / 210, 9);
  });
  it('ignores a window that does not end after the last update', () => {
    const b = updateBaseline(null, { value: 100, samples: 10, windowStartMs: 0, windowEndMs: 300_000 }, 60_000);
    expect(updateBaseline(b, { value: 999, samples: 10, windowStartMs: 0, windowEndMs: 300_000 }, 60_000)).toBe(b);
  });
});

describe('detect: a breach needs evidence (the confidence interval past the threshold)', () => {
  const windowOf = (correct: number, n: number) => {
    const bucket = new StatsBucket();
    for (let i = 0; i < n; i++) bucket.add({ ts: 0, route: 'r', variant: 'v', latencyMs: 100, isError: false, correct: i < correct });
    return toWindowStats('r', 'v', 'few_shot', bucket, 0, 300_000);
  };
  const accuracyRule = rule({ metric: 'accuracy', op: 'lt', threshold: 0.9, hysteresis_pct: 1 });
  const absolute = { value: 0.9, from: { kind: 'absolute' } } as const;

  it('85 % of 60 calls is no evidence of accuracy below 90 %; 85 % of 3,000 is', () => {
    const small = detect(windowOf(51, 60), accuracyRule, absolute)!;
    expect(small).toMatchObject({ value: 0.85, breached: false, clear: false, confidence: 0.99, method: 'clopper_pearson' });
    expect(small.upper).toBeGreaterThan(0.9);
    const large = detect(windowOf(2550, 3000), accuracyRule, absolute)!;
    expect(large).toMatchObject({ value: 0.85, breached: true, confidence: 0.99 });
    expect(large.upper).toBeLessThan(0.9);
    expect(large.lower).toBeLessThan(0.85);
  });

  it('confidence 0 compares the point estimate, as before', () => {
    expect(detect(windowOf(51, 60), rule({ metric: 'accuracy', op: 'lt', threshold: 0.9, confidence: 0 }), absolute)).toMatchObject({ breached: true, method: 'point' });
  });

  it('config rejects a level between 0 and 0.5 or of 1 and more', () => {
    expect(() => rule({ confidence: 0.3 })).toThrow(/0 \(point estimate\)/);
    expect(() => rule({ confidence: 1 })).toThrow();
  });
});
