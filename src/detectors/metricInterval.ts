import type { MetricName } from '../core/decision.js';
import type { WindowStats } from '../windows/windowStats.js';
import { betaQuantile, binomialCdf, normalQuantile } from './distributions.js';

/**
 * How a metric's interval was computed (trigger evidence `ci_method`):
 * - `clopper_pearson`: exact binomial interval of a proportion (error rate,
 *   accuracy, consistency); coverage ≥ the level for every n and p.
 * - `order_statistic`: distribution-free interval of a quantile (p50/p95/p99)
 *   from the binomial law of ranks, widened by the sketch's relative error;
 *   coverage ≥ the level for any continuous latency distribution.
 * - `normal_mean`: mean ± z·s/√n (tokens per request, satisfaction); asymptotic.
 * - `delta_log_ratio`: ratio of means (cost per task, tokens per quality
 *   point) on the log scale, variance by the delta method including the
 *   numerator–denominator covariance; asymptotic.
 * - `point`: no spread known (hand-built statistics): the point estimate.
 */
export type IntervalMethod = 'clopper_pearson' | 'order_statistic' | 'normal_mean' | 'delta_log_ratio' | 'point';

/** A two-sided interval at a confidence level; an unbounded side is ±Infinity (JSON `null`). */
export interface MetricInterval {
  readonly lower: number;
  readonly upper: number;
  readonly method: IntervalMethod;
}

const QUANTILE_LEVEL: Partial<Record<MetricName, number>> = { latency_p50_ms: 0.5, latency_p95_ms: 0.95, latency_p99_ms: 0.99 };

/**
 * The two-sided `confidence` interval of `metric` in a window whose point
 * value is `value` (from {@link metricValue}); each side is a one-sided bound
 * at (1 + confidence)/2. Always contains `value`. Total: a level ≤ 0.5, no
 * spread data, or a degenerate sample give the point `[value, value]`.
 */
export function metricInterval(stats: WindowStats, metric: MetricName, value: number, confidence: number): MetricInterval {
  const spread = stats.spread;
  if (spread === undefined || !(confidence > 0.5) || !(confidence < 1)) return point(value);
  const tail = (1 - confidence) / 2;
  const z = normalQuantile(1 - tail);
  switch (metric) {
    case 'latency_p50_ms':
    case 'latency_p95_ms':
    case 'latency_p99_ms':
      return quantileInterval(stats, QUANTILE_LEVEL[metric] ?? 0.5, value, tail);
    case 'error_rate':
      return clopperPearson(stats.errorCount, stats.count, tail);
    case 'accuracy':
      return clopperPearson(Math.round(value * stats.accuracyCount), stats.accuracyCount, tail);
    case 'consistency':
      return clopperPearson(Math.round(value * stats.consistencyCount), stats.consistencyCount, tail);
    case 'tokens_per_request':
      return meanInterval(value, spread.tokensSquaredSum, spread.tokenEvents, z);
    case 'satisfaction':
      return meanInterval(value, spread.satisfactionSquaredSum, stats.satisfactionCount, z);
    case 'cost_per_task_usd': {
      // R = Σcost / Σsuccess over the events carrying a cost; linearized: Σ(cost_i − R·success_i)² / S².
      const s = spread.costSuccessEvents;
      if (!(s > 0) || !(value > 0)) return point(value);
      const variance = (spread.costSquaredSumUsd2 - 2 * value * spread.costSuccessSumUsd + value * value * s) / (s * s);
      return logInterval(value, Math.sqrt(Math.max(0, variance)) / value, z);
    }
    case 'tokens_per_quality_point': {
      const nt = spread.tokenEvents;
      const nq = stats.qualityCount;
      if (!(nt > 1) || !(nq > 1) || !(value > 0)) return point(value);
      const a = spread.tokensSum / nt;
      const b = spread.qualitySum / nq;
      if (!(a > 0) || !(b > 0)) return point(value);
      const varA = (Math.max(0, spread.tokensSquaredSum / nt - a * a) * nt) / (nt - 1) / nt;
      const varB = (Math.max(0, spread.qualitySquaredSum / nq - b * b) * nq) / (nq - 1) / nq;
      const nBoth = spread.tokensQualityCount;
      const covAB = nBoth > 0 ? ((spread.tokensQualitySum / nBoth - a * b) * nBoth) / (nt * nq) : 0;
      const relVariance = varA / (a * a) + varB / (b * b) - (2 * covAB) / (a * b);
      return logInterval(value, Math.sqrt(Math.max(0, relVariance)), z);
    }
  }
}

function point(value: number): MetricInterval {
  return { lower: value, upper: value, method: 'point' };
}

/**
 * Clopper–Pearson bounds already computed, by tail, then by (n, k): the number n(n + 1)/2 + k while n is a whole
 * number below {@link CP_NUMERIC_N} (no key string per call), else `n|k`. A table starts afresh at
 * {@link CP_CACHE_LIMIT} entries.
 */
const cpCache = new Map<number, Map<number | string, MetricInterval>>();
/** Below this, n(n + 1)/2 + k is an exact double and unique per (n, k). */
const CP_NUMERIC_N = 10_000_000;
/** Entries kept before the cache starts afresh (≈ 5 MB). */
const CP_CACHE_LIMIT = 50_000;

/**
 * Exact (Clopper–Pearson) interval for x successes in n trials, each side at one-sided level 1 − tail.
 *
 * @remarks A pure function of integers (and the rule's tail), evaluated for every judged window of
 * every series: the beta quantiles dominated replay with many series (≈ 40 % of its time), while
 * the same few (k, n) pairs recur. Memoized; the results are the very same numbers.
 */
export function clopperPearson(x: number, n: number, tail: number): MetricInterval {
  if (!(n > 0)) return { lower: 0, upper: 1, method: 'clopper_pearson' };
  const k = Math.min(n, Math.max(0, Math.round(x)));
  let byTail = cpCache.get(tail);
  if (byTail === undefined) {
    byTail = new Map();
    cpCache.set(tail, byTail);
  }
  const key = Number.isInteger(n) && n < CP_NUMERIC_N ? (n * (n + 1)) / 2 + k : `${n}|${k}`;
  let interval = byTail.get(key);
  if (interval === undefined) {
    // Frozen and shared: every caller with the same (tail, n, k) reads the one value, nothing allocated per call.
    interval = Object.freeze({
      lower: k === 0 ? 0 : betaQuantile(tail, k, n - k + 1),
      upper: k === n ? 1 : betaQuantile(1 - tail, k + 1, n - k),
      method: 'clopper_pearson' as const,
    });
    if (byTail.size >= CP_CACHE_LIMIT) byTail.clear();
    byTail.set(key, interval);
  }
  return interval;
}

function meanInterval(mean: number, squaredSum: number, n: number, z: number): MetricInterval {
  if (!(n > 1)) return point(mean);
  const variance = (Math.max(0, squaredSum / n - mean * mean) * n) / (n - 1);
  const half = z * Math.sqrt(variance / n);
  return { lower: mean - half, upper: mean + half, method: 'normal_mean' };
}

function logInterval(value: number, seLog: number, z: number): MetricInterval {
  return { lower: value * Math.exp(-z * seLog), upper: value * Math.exp(z * seLog), method: 'delta_log_ratio' };
}

/**
 * Order-statistic interval for the q-quantile: with X₍₁₎ ≤ … ≤ X₍ₙ₎ (1-based),
 * P(X₍ⱼ₎ ≤ ξ_q) = P(Bin(n, q) ≥ j), so the lower bound is X₍ⱼ₎ for the largest
 * j with P(Bin(n, q) ≤ j − 1) ≤ tail (none: 0, latencies are ≥ 0) and the
 * upper bound X₍ₖ₎ for the smallest k with P(Bin(n, q) ≤ k − 1) ≥ 1 − tail
 * (none: +∞). Sketch values are within ±α relative of the true order
 * statistics, so the bounds are widened by that much.
 */
function quantileInterval(stats: WindowStats, q: number, value: number, tail: number): MetricInterval {
  const ranks = stats.spread?.latency;
  const n = Math.floor(stats.count);
  if (ranks === undefined || n < 1) return point(value);
  const pointRank = Math.floor(q * (n - 1)); // 0-based rank behind the reported quantile
  const [lowerRank, upperRank] = orderStatisticRanks(n, q, tail);
  const lower = lowerRank < 0 ? 0 : (ranks.valueAtRank(Math.min(lowerRank, pointRank)) ?? 0) / (1 + ranks.relativeAccuracy);
  const upper = upperRank < 0 ? Infinity : (ranks.valueAtRank(Math.max(upperRank, pointRank)) ?? Infinity) / (1 - ranks.relativeAccuracy);
  return { lower: Math.min(lower, value), upper: Math.max(upper, value), method: 'order_statistic' };
}

/** Order-statistic ranks already found, by q, tail, then n; a table starts afresh at {@link CP_CACHE_LIMIT} entries. */
const rankCache = new Map<number, Map<number, Map<number, readonly [number, number]>>>();

/**
 * The 0-based ranks of the order statistics bounding the q-quantile of n
 * values at one-sided level 1 − tail (see {@link quantileInterval}); −1 for a
 * side without a bound (lower: 0, upper: +∞).
 *
 * @remarks A pure function of (n, q, tail), evaluated for every judged window
 * of every latency rule: its binary searches over binomial CDFs cost more than
 * the rest of a rule's evaluation, while few (n, q, tail) recur. Memoized; the
 * ranks are the very same integers.
 */
function orderStatisticRanks(n: number, q: number, tail: number): readonly [number, number] {
  let byTail = rankCache.get(q);
  if (byTail === undefined) {
    byTail = new Map();
    rankCache.set(q, byTail);
  }
  let byN = byTail.get(tail);
  if (byN === undefined) {
    byN = new Map();
    byTail.set(tail, byN);
  }
  let found = byN.get(n);
  if (found !== undefined) return found;
  let lowerRank = -1;
  if (binomialCdf(0, n, q) <= tail) {
    let lo = 1; // satisfies the condition
    let hi = n;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (binomialCdf(mid - 1, n, q) <= tail) lo = mid;
      else hi = mid - 1;
    }
    lowerRank = lo - 1;
  }
  let upperRank = -1;
  if (binomialCdf(n - 1, n, q) >= 1 - tail) {
    let lo = 1;
    let hi = n; // satisfies the condition
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (binomialCdf(mid - 1, n, q) >= 1 - tail) hi = mid;
      else lo = mid + 1;
    }
    upperRank = hi - 1;
  }
  found = [lowerRank, upperRank];
  if (byN.size >= CP_CACHE_LIMIT) byN.clear();
  byN.set(n, found);
  return found;
}
