import type { AbTestConfig } from '../config/schema.js';
import type { MetricEvidence } from '../core/decision.js';
import { latencyDistribution, latencyQuantileMs, type ArmStats } from './armStats.js';
import { intervalFunction, type IntervalFn, type IntervalKind } from './sequential.js';
import { compareTail, type TailState } from './tail.js';

/**
 * Metrics the A/B tester compares. Every one can trigger a decision, so the
 * experiment's alpha is split evenly across all of them (Bonferroni): each
 * metric's confidence sequence runs at level alpha / COMPARED_METRICS.length.
 */
export const COMPARED_METRICS = [
  'latency_ms',
  'latency_p95_ms',
  'error_rate',
  'accuracy',
  'quality',
  'satisfaction',
  'cost_per_task_usd',
  'tokens_per_request',
  'tokens_per_quality_point',
] as const;
export type ComparedMetric = (typeof COMPARED_METRICS)[number];

/**
 * How a comparison's delta is expressed: `relative` = candidate / baseline − 1
 * (0.25 is +25 %); `points` = candidate − baseline of a proportion (0.05 is +5 points).
 */
export type DeltaUnit = 'relative' | 'points';

/** One metric compared between the arms, with its interval on the delta (anytime-valid or fixed-horizon, see {@link compareArms}). */
export interface Comparison {
  readonly metric: ComparedMetric;
  readonly unit: DeltaUnit;
  readonly baseline: number | null;
  readonly candidate: number | null;
  /** Point estimate of the delta; null when either arm lacks data. */
  readonly delta: number | null;
  /** Confidence sequence on the delta at this metric's alpha share; [-Inf, Inf] without data. */
  readonly lo: number;
  readonly hi: number;
  /** Anytime-valid p-value against "no difference" (1/e-value, or the smallest level whose CS excludes 0). */
  readonly p: number | null;
  readonly n: readonly [number, number];
  /** p95 only: the frozen threshold (ms) and the quantile level it compares. */
  readonly thresholdMs?: number;
  readonly level?: number;
}

/** Per-metric alpha: the experiment's alpha split across {@link COMPARED_METRICS}. */
export function metricAlpha(config: Pick<AbTestConfig, 'alpha'>): number {
  return config.alpha / COMPARED_METRICS.length;
}

const MIN_TAU = 0.01;
const P95 = 0.95;

interface Moments {
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

function moments(n: number, sum: number, sumSq: number): Moments {
  const mean = n > 0 ? sum / n : 0;
  const variance = n > 1 ? Math.max(0, (sumSq - n * mean * mean) / (n - 1)) : 0;
  return { n, mean, variance };
}

const NO_DATA = (metric: ComparedMetric, unit: DeltaUnit, n: readonly [number, number], baseline: number | null = null, candidate: number | null = null): Comparison => ({
  metric, unit, baseline, candidate, delta: null, lo: -Infinity, hi: Infinity, p: null, n,
});

/**
 * Relative comparison from log-scale estimates: θ = ln(candidate) − ln(baseline)
 * with variance `variance`; the interval is mapped back with exp(·) − 1.
 */
function relativeFromLog(metric: ComparedMetric, baseline: number, candidate: number, logDelta: number, variance: number, tau: number, alpha: number, n: readonly [number, number], interval: IntervalFn): Comparison {
  const ci = interval(logDelta, Math.max(variance, 1e-18), Math.max(tau, MIN_TAU), alpha);
  return { metric, unit: 'relative', baseline, candidate, delta: Math.expm1(logDelta), lo: Math.expm1(ci.lo), hi: Math.expm1(ci.hi), p: ci.p, n };
}

/**
 * Relative change when an arm's value is 0 (no log scale): (c − b)/b with the
 * given variance when the baseline is positive; a rise from a zero baseline is
 * an unbounded increase (+∞, proven); two zeros are no change.
 */
function relativeToBaseline(metric: ComparedMetric, baseline: number, candidate: number, variance: number, tau: number, alpha: number, n: readonly [number, number], interval: IntervalFn): Comparison {
  if (!(baseline > 0)) {
    const rise = candidate > 0;
    return { metric, unit: 'relative', baseline, candidate, delta: rise ? Infinity : 0, lo: rise ? Infinity : 0, hi: rise ? Infinity : 0, p: rise ? 0 : 1, n };
  }
  const delta = (candidate - baseline) / baseline;
  if (!(variance > 0)) return { metric, unit: 'relative', baseline, candidate, delta, lo: delta, hi: delta, p: delta === 0 ? 1 : 0, n };
  const ci = interval(delta, variance, Math.max(tau, MIN_TAU), alpha);
  return { metric, unit: 'relative', baseline, candidate, delta, lo: ci.lo, hi: ci.hi, p: ci.p, n };
}

/** Log of a ratio of means, variance of the log by the delta method (s²/(n m²) per arm). */
function meanRatio(metric: ComparedMetric, b: Moments, c: Moments, tau: number, alpha: number, interval: IntervalFn): Comparison {
  const n = [b.n, c.n] as const;
  if (b.n < 2 || c.n < 2) return NO_DATA(metric, 'relative', n, b.n > 0 ? b.mean : null, c.n > 0 ? c.mean : null);
  if (!(b.mean > 0) || !(c.mean > 0)) {
    // A log ratio is undefined when an arm's mean is 0 (quality or satisfaction all 0, no tokens):
    // compare the difference of means relative to the baseline instead (found in review: the
    // metric used to be skipped, so a candidate with quality 0 passed every gate).
    return relativeToBaseline(metric, b.mean, c.mean, (b.variance / b.n + c.variance / c.n) / Math.max(b.mean * b.mean, 1e-18), tau, alpha, n, interval);
  }
  const variance = b.variance / (b.n * b.mean * b.mean) + c.variance / (c.n * c.mean * c.mean);
  return relativeFromLog(metric, b.mean, c.mean, Math.log(c.mean / b.mean), variance, tau, alpha, n, interval);
}

interface RatioSums {
  readonly n: number;
  readonly x: number;
  readonly xx: number;
  readonly y: number;
  readonly yy: number;
  readonly xy: number;
}

/** Delta-method variance of ln(ΣX/ΣY) for one arm: (s_xx/x̄² + s_yy/ȳ² − 2 s_xy/(x̄ȳ)) / n. */
function logRatioVariance(s: RatioSums): number {
  const xBar = s.x / s.n;
  const yBar = s.y / s.n;
  const sxx = (s.xx - s.n * xBar * xBar) / (s.n - 1);
  const syy = (s.yy - s.n * yBar * yBar) / (s.n - 1);
  const sxy = (s.xy - s.n * xBar * yBar) / (s.n - 1);
  return Math.max(0, sxx / (xBar * xBar) + syy / (yBar * yBar) - (2 * sxy) / (xBar * yBar)) / s.n;
}

function ratioMetric(metric: ComparedMetric, b: RatioSums, c: RatioSums, tau: number, alpha: number, interval: IntervalFn): Comparison {
  const n = [b.n, c.n] as const;
  const value = (s: RatioSums): number | null => (s.n > 0 && s.y > 0 ? s.x / s.y : null);
  const rb = value(b);
  const rc = value(c);
  if (b.n < 2 || c.n < 2 || rb === null || rc === null) return NO_DATA(metric, 'relative', n, rb, rc);
  if (!(rb > 0) || !(rc > 0)) return relativeToBaseline(metric, rb, rc, 0, tau, alpha, n, interval);
  return relativeFromLog(metric, rb, rc, Math.log(rc / rb), logRatioVariance(b) + logRatioVariance(c), tau, alpha, n, interval);
}

/** Difference of two proportions in points; variance uses (x + ½)/(n + 1) so an arm with no events still has spread. */
function proportion(metric: ComparedMetric, xb: number, nb: number, xc: number, nc: number, tau: number, alpha: number, interval: IntervalFn): Comparison {
  const n = [nb, nc] as const;
  if (nb < 2 || nc < 2) return NO_DATA(metric, 'points', n, nb > 0 ? xb / nb : null, nc > 0 ? xc / nc : null);
  const pb = xb / nb;
  const pc = xc / nc;
  const sb = (xb + 0.5) / (nb + 1);
  const sc = (xc + 0.5) / (nc + 1);
  const variance = (sb * (1 - sb)) / nb + (sc * (1 - sc)) / nc;
  const ci = interval(pc - pb, variance, Math.max(tau, MIN_TAU), alpha);
  return { metric, unit: 'points', baseline: pb, candidate: pc, delta: pc - pb, lo: ci.lo, hi: ci.hi, p: ci.p, n };
}

/**
 * The p95 comparison from the frozen-threshold tail test ({@link compareTail}):
 * the reported values are the two arms' post-freeze quantiles at the compared
 * level, the very numbers the delta is the ratio of (so delta, interval and
 * arm values never disagree); null until that threshold is frozen.
 */
function p95Comparison(b: ArmStats, c: ArmStats, tail: TailState | null, alpha: number, interval: IntervalFn): Comparison {
  const n = [b.n, c.n] as const;
  const t = tail === null ? null : compareTail(tail, alpha, interval);
  if (t === null) {
    const qb = latencyQuantileMs(latencyDistribution(b), P95);
    const qc = latencyQuantileMs(latencyDistribution(c), P95);
    return NO_DATA('latency_p95_ms', 'relative', n, qb, qc);
  }
  return {
    metric: 'latency_p95_ms', unit: 'relative', baseline: t.baselineMs, candidate: t.candidateMs, delta: t.delta,
    lo: Math.min(t.lo, t.delta), hi: Math.max(t.hi, t.delta), p: t.p, n: t.n, thresholdMs: t.thresholdMs, level: t.level,
  };
}

/** Options of {@link compareArms}. */
export interface CompareOptions {
  /** `anytime_valid` (default) for a live experiment looked at continuously; `fixed_horizon` for one look at two complete runs. */
  readonly intervals?: IntervalKind;
}

/**
 * Compares every metric of the two arms with a confidence interval on the
 * delta at the metric's alpha share: an anytime-valid confidence sequence by
 * default, a fixed-horizon interval when `options.intervals` says so.
 */
export function compareArms(
  b: ArmStats,
  c: ArmStats,
  config: Pick<AbTestConfig, 'alpha' | 'gates' | 'rollback'>,
  tail: TailState | null = null,
  options: CompareOptions = {},
): Record<ComparedMetric, Comparison> {
  const interval = intervalFunction(options.intervals ?? 'anytime_valid');
  const alpha = metricAlpha(config);
  const lnMargin = (pct: number): number => Math.log1p(pct / 100);
  const lb = moments(b.n, b.logLatencySum, b.logLatencySumSq);
  const lc = moments(c.n, c.logLatencySum, c.logLatencySumSq);
  let latency: Comparison;
  if (b.n < 2 || c.n < 2) {
    latency = NO_DATA('latency_ms', 'relative', [b.n, c.n], b.n > 0 ? Math.exp(lb.mean) : null, c.n > 0 ? Math.exp(lc.mean) : null);
  } else {
    latency = relativeFromLog('latency_ms', Math.exp(lb.mean), Math.exp(lc.mean), lc.mean - lb.mean, lb.variance / b.n + lc.variance / c.n, lnMargin(config.gates.response_time_regression_pct), alpha, [b.n, c.n], interval);
  }
  const ratioSums = (s: ArmStats, kind: 'cost' | 'tpq'): RatioSums =>
    kind === 'cost'
      ? { n: s.costN, x: s.costSum, xx: s.costSumSq, y: s.costSuccesses, yy: s.costSuccesses, xy: s.costTimesSuccess }
      : { n: s.tpqN, x: s.tpqTokens, xx: s.tpqTokensSq, y: s.tpqPoints, yy: s.tpqPointsSq, xy: s.tpqCross };
  return {
    latency_ms: latency,
    latency_p95_ms: p95Comparison(b, c, tail, alpha, interval),
    error_rate: proportion('error_rate', b.errors, b.n, c.errors, c.n, config.rollback.error_rate_increase_points / 100, alpha, interval),
    accuracy: proportion('accuracy', b.correct, b.accuracyN, c.correct, c.accuracyN, 0.03, alpha, interval),
    quality: meanRatio('quality', moments(b.qualityN, b.qualitySum, b.qualitySumSq), moments(c.qualityN, c.qualitySum, c.qualitySumSq), lnMargin(config.gates.quality_degradation_pct), alpha, interval),
    satisfaction: meanRatio('satisfaction', moments(b.satisfactionN, b.satisfactionSum, b.satisfactionSumSq), moments(c.satisfactionN, c.satisfactionSum, c.satisfactionSumSq), lnMargin(config.rollback.satisfaction_drop_pct), alpha, interval),
    cost_per_task_usd: ratioMetric('cost_per_task_usd', ratioSums(b, 'cost'), ratioSums(c, 'cost'), lnMargin(config.gates.cost_increase_pct), alpha, interval),
    tokens_per_request: meanRatio('tokens_per_request', moments(b.tokenN, b.tokenSum, b.tokenSumSq), moments(c.tokenN, c.tokenSum, c.tokenSumSq), lnMargin(config.gates.token_efficiency_regression_pct), alpha, interval),
    tokens_per_quality_point: ratioMetric('tokens_per_quality_point', ratioSums(b, 'tpq'), ratioSums(c, 'tpq'), lnMargin(config.gates.token_efficiency_regression_pct), alpha, interval),
  };
}

/** True when the comparison has data on both arms. */
export function hasData(c: Comparison): boolean {
  return c.delta !== null;
}

/** The DESIGN §5 evidence shape of a comparison (`unit` and `alpha` added as extra fields; an unbounded ci side serializes as null). */
export function toEvidence(c: Comparison, alpha: number): MetricEvidence {
  // An unbounded side stays ±Infinity, which JSON writes as null.
  const ci = c.delta === null ? null : ([c.lo, c.hi] as const);
  const extra = c.thresholdMs === undefined ? {} : { threshold_ms: c.thresholdMs, quantile_level: c.level };
  return { baseline: c.baseline, candidate: c.candidate, delta: c.delta, ci, p: c.p, n: c.n, unit: c.unit, alpha, ...extra };
}
