import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../src/core/event.js';
import { betaQuantile, binomialCdf, lnGamma, normalCdf, normalQuantile, regularizedBeta } from '../../src/detectors/distributions.js';
import { clopperPearson, metricInterval } from '../../src/detectors/metricInterval.js';
import { metricValue } from '../../src/detectors/metricValue.js';
import { mulberry32, normal } from '../../src/sim/random.js';
import { StatsBucket } from '../../src/windows/statsBucket.js';
import { toWindowStats } from '../../src/windows/toWindowStats.js';

type Extra = Partial<Omit<TelemetryEvent, 'ts' | 'route' | 'variant'>>;
const ev = (extra: Extra = {}): TelemetryEvent => ({ ts: 0, route: 'r', variant: 'v', latencyMs: 100, isError: false, ...extra });

function statsOf(events: readonly TelemetryEvent[]) {
  const bucket = new StatsBucket();
  for (const e of events) bucket.add(e);
  return toWindowStats('r', 'v', 'few_shot', bucket, 0, 300_000);
}

function exactBinomialCdf(k: number, n: number, p: number): number {
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(lnGamma(n + 1) - lnGamma(i + 1) - lnGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  return sum;
}

describe('distribution functions', () => {
  it('normal quantiles match the tables to 1e-9', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 9);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 9);
    expect(normalQuantile(0.9995)).toBeCloseTo(3.2905267314919, 9);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963984540054, 9);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
  });

  it('binomial CDF equals the exact sum, small and large n', () => {
    for (const [k, n, p] of [[0, 10, 0.3], [55, 60, 0.95], [5, 60, 0.05], [2800, 3000, 0.95], [149, 3000, 0.05]] as const) {
      const exact = exactBinomialCdf(k, n, p);
      expect(Math.abs(binomialCdf(k, n, p) - exact)).toBeLessThan(1e-11 + 1e-9 * exact);
    }
    expect(binomialCdf(-1, 10, 0.5)).toBe(0);
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
  });

  it('beta quantile inverts the regularized incomplete beta', () => {
    for (const [p, a, b] of [[0.005, 5, 56], [0.995, 57, 4], [0.5, 1, 1], [0.1, 0.5, 0.5]] as const) {
      expect(regularizedBeta(betaQuantile(p, a, b), a, b)).toBeCloseTo(p, 12);
    }
  });

  it('Clopper–Pearson agrees with closed forms at the edges', () => {
    // x = 0: upper = 1 − tail^(1/n); x = n: lower = tail^(1/n).
    expect(clopperPearson(0, 10, 0.025).upper).toBeCloseTo(1 - 0.025 ** (1 / 10), 12);
    expect(clopperPearson(10, 10, 0.025).lower).toBeCloseTo(0.025 ** (1 / 10), 12);
    expect(clopperPearson(0, 10, 0.025).lower).toBe(0);
  });
});

describe('metric intervals: coverage by simulation (seeded)', () => {
  const RUNS = 2000;
  const CONFIDENCE = 0.99; // each side errs at most 0.5 %

  it('accuracy (Clopper–Pearson) at n = 60, p = 0.9: the bound passes the truth in ≤ 0.5 % of windows per side', () => {
    const rng = mulberry32(11);
    let above = 0;
    let below = 0;
    for (let run = 0; run < RUNS; run++) {
      const s = statsOf(Array.from({ length: 60 }, () => ev({ correct: rng() < 0.9 })));
      const ci = metricInterval(s, 'accuracy', metricValue(s, 'accuracy')!, CONFIDENCE);
      expect(ci.method).toBe('clopper_pearson');
      if (ci.lower > 0.9) above++;
      if (ci.upper < 0.9) below++;
    }
    expect(above / RUNS).toBeLessThanOrEqual(0.005 + 0.003);
    expect(below / RUNS).toBeLessThanOrEqual(0.005 + 0.003);
  });

  it('p95 (order statistic) of lognormal latencies at n = 60 and 300 never claims a breach of the true p95 more than 0.5 % of the time', () => {
    const truthP95 = 1000 * Math.exp(0.3 * 1.6448536269514722);
    for (const n of [60, 300]) {
      const rng = mulberry32(n);
      let above = 0;
      let below = 0;
      for (let run = 0; run < RUNS; run++) {
        const s = statsOf(Array.from({ length: n }, () => ev({ latencyMs: 1000 * Math.exp(0.3 * normal(rng)) })));
        const ci = metricInterval(s, 'latency_p95_ms', metricValue(s, 'latency_p95_ms')!, CONFIDENCE);
        expect(ci.method).toBe('order_statistic');
        expect(ci.lower).toBeLessThanOrEqual(s.latencyMs!.p95);
        if (ci.lower > truthP95) above++;
        if (ci.upper < truthP95) below++;
      }
      expect(above / RUNS).toBeLessThanOrEqual(0.008);
      expect(below / RUNS).toBeLessThanOrEqual(0.008);
    }
  });

  it('cost per task (delta method on the log ratio) with skewed costs and 2 % failures covers at n = 60', () => {
    // cost lognormal(median 0.01, sd 0.5), 2 % failed calls are charged to the successful ones.
    const meanCost = 0.01 * Math.exp(0.125);
    const truth = meanCost / 0.98;
    const rng = mulberry32(5);
    let above = 0;
    let below = 0;
    for (let run = 0; run < RUNS; run++) {
      const s = statsOf(Array.from({ length: 60 }, () => ev({ costUsd: 0.01 * Math.exp(0.5 * normal(rng)), isError: rng() < 0.02 })));
      const ci = metricInterval(s, 'cost_per_task_usd', metricValue(s, 'cost_per_task_usd')!, CONFIDENCE);
      expect(ci.method).toBe('delta_log_ratio');
      if (ci.lower > truth) above++;
      if (ci.upper < truth) below++;
    }
    // Asymptotic: allow twice the nominal rate per side at this small n.
    expect(above / RUNS).toBeLessThanOrEqual(0.01);
    expect(below / RUNS).toBeLessThanOrEqual(0.01);
  });

  it('tokens per quality point (ratio of two means, covariance included) covers at n = 60', () => {
    const rng = mulberry32(9);
    // tokens lognormal(median 1000, sd 0.3) → mean 1000·e^0.045; quality N(0.8, 0.1) → truth = mean tokens / 80.
    const truth = (1000 * Math.exp(0.045)) / 80;
    let outside = 0;
    for (let run = 0; run < RUNS; run++) {
      const s = statsOf(Array.from({ length: 60 }, () => {
        const z = normal(rng);
        return ev({ inputTokens: Math.round(1000 * Math.exp(0.3 * z)), outputTokens: 0, quality: Math.min(1, Math.max(0, 0.8 + 0.1 * (0.5 * z + 0.866 * normal(rng)))) });
      }));
      const ci = metricInterval(s, 'tokens_per_quality_point', metricValue(s, 'tokens_per_quality_point')!, CONFIDENCE);
      if (ci.lower > truth || ci.upper < truth) outside++;
    }
    expect(outside / RUNS).toBeLessThanOrEqual(0.02);
  });

  it('every interval contains its point estimate; a level of 0 gives the point', () => {
    const s = statsOf([ev({ latencyMs: 50, correct: true, costUsd: 0.01, inputTokens: 10, quality: 0.5, satisfaction: 0.7 }), ev({ latencyMs: 70, correct: false, costUsd: 0.03, inputTokens: 30, quality: 0.9, satisfaction: 0.9 })]);
    for (const metric of ['latency_p95_ms', 'accuracy', 'cost_per_task_usd', 'tokens_per_request', 'tokens_per_quality_point', 'satisfaction', 'error_rate'] as const) {
      const value = metricValue(s, metric)!;
      const ci = metricInterval(s, metric, value, 0.99);
      expect(ci.lower).toBeLessThanOrEqual(value);
      expect(ci.upper).toBeGreaterThanOrEqual(value);
      expect(metricInterval(s, metric, value, 0)).toEqual({ lower: value, upper: value, method: 'point' });
    }
  });
});

describe('clopperPearson memoization', () => {
  it('gives exactly the beta quantiles for every (k, n, tail), however often and in whatever order it is asked', () => {
    const direct = (k: number, n: number, tail: number) => [k === 0 ? 0 : betaQuantile(tail, k, n - k + 1), k === n ? 1 : betaQuantile(1 - tail, k + 1, n - k)];
    const random = mulberry32(11);
    for (let i = 0; i < 2_000; i++) {
      const n = 1 + Math.floor(random() * 300);
      const k = Math.floor(random() * (n + 1));
      const tail = [0.05, 0.025, 0.005][i % 3]!;
      const got = clopperPearson(k, n, tail);
      expect([got.lower, got.upper]).toEqual(direct(k, n, tail));
    }
  });

  it('a caller changing its result changes nothing for the next caller: the shared result is frozen', () => {
    const first = clopperPearson(3, 40, 0.05) as { lower: number; upper: number };
    const upper = first.upper;
    expect(() => {
      first.upper = 0;
    }).toThrow(TypeError);
    expect(clopperPearson(3, 40, 0.05).upper).toBe(upper);
  });
});
