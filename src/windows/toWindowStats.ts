import type { Pattern } from '../core/patterns.js';
import type { StatsBucket } from './statsBucket.js';
import type { LatencyPercentiles, WindowSpread, WindowStats } from './windowStats.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Turns the aggregates of a window into its statistics (DESIGN §3). Every
 * ratio whose divisor is zero is null ("no data"), never 0 or Infinity:
 * - errorRate = errorCount / count
 * - costPerTaskUsd = cost of the calls carrying `costUsd` / those of them that
 *   succeeded (null when none succeeded); totalCostUsd = that cost (null when
 *   no event carried a cost)
 * - tokensPerRequest = (input + output tokens) / events carrying tokens
 * - tokensPerQualityPoint = tokensPerRequest / (meanQuality × 100) (null when
 *   either is null or mean quality is 0)
 * - accuracy / consistency = share of `true` among events carrying the field
 * - latency percentiles from the sketch (≤ its relative accuracy), mean from the sum.
 *
 * @param windowStartMs and @param windowEndMs bound the window, epoch ms [start, end).
 */
export function toWindowStats(
  route: string,
  variant: string,
  pattern: Pattern | null,
  total: StatsBucket,
  windowStartMs: number,
  windowEndMs: number,
): WindowStats {
  return refreshWindowStats(blankWindowStats(route, variant, total), pattern, total, windowStartMs, windowEndMs, false);
}

/**
 * {@link toWindowStats} written into `into` — statistics of the same series and
 * the same `total` that this function or `toWindowStats` returned before — which
 * is returned: no allocation while the window has latencies. With `unchanged`
 * (nothing was added to or removed from `total` since `into` was written),
 * only the bounds and pattern are written: every value stands as it was.
 *
 * @remarks For a caller that judges a series at every bucket boundary and
 * keeps nothing past the judgement (the engine): whoever holds the object
 * sees it change at the next boundary.
 */
export function refreshWindowStats(
  into: WindowStats,
  pattern: Pattern | null,
  total: StatsBucket,
  windowStartMs: number,
  windowEndMs: number,
  unchanged: boolean,
): WindowStats {
  const s = into as Mutable<WindowStats>;
  s.pattern = pattern;
  s.windowStartMs = windowStartMs;
  s.windowEndMs = windowEndMs;
  // Every other field is a function of `total` alone: an unchanged total leaves them as written.
  if (unchanged) return s;
  const count = total.count;
  const meanQuality = ratio(total.qualitySum, total.qualityCount);
  const tokensPerRequest = ratio(total.inputTokens + total.outputTokens, total.tokenEvents);
  s.count = count;
  s.errorCount = total.errorCount;
  s.latencyMs = percentiles(total, s.latencyMs);
  s.meanLatencyMs = ratio(total.latencySumMs, count);
  s.errorRate = ratio(total.errorCount, count);
  s.costPerTaskUsd = ratio(total.costSumUsd, total.costSuccessEvents);
  s.totalCostUsd = total.costEvents > 0 ? total.costSumUsd : null;
  s.tokensPerRequest = tokensPerRequest;
  s.tokensPerQualityPoint = tokensPerRequest !== null && meanQuality !== null && meanQuality > 0 ? tokensPerRequest / (meanQuality * 100) : null;
  s.meanQuality = meanQuality;
  s.qualityCount = total.qualityCount;
  s.accuracy = ratio(total.correctTrue, total.correctTotal);
  s.accuracyCount = total.correctTotal;
  s.consistency = ratio(total.consistentTrue, total.consistentTotal);
  s.consistencyCount = total.consistentTotal;
  s.satisfaction = ratio(total.satisfactionSum, total.satisfactionCount);
  s.satisfactionCount = total.satisfactionCount;
  const spread = s.spread as Mutable<WindowSpread>;
  spread.latency = total.latencyMs;
  spread.tokenEvents = total.tokenEvents;
  spread.tokensSum = total.inputTokens + total.outputTokens;
  spread.tokensSquaredSum = total.tokensSquaredSum;
  spread.qualitySum = total.qualitySum;
  spread.qualitySquaredSum = total.qualitySquaredSum;
  spread.tokensQualitySum = total.tokensQualitySum;
  spread.tokensQualityCount = total.tokensQualityCount;
  spread.costEvents = total.costEvents;
  spread.costSquaredSumUsd2 = total.costSquaredSumUsd2;
  spread.costSuccessSumUsd = total.costSuccessSumUsd;
  spread.costSuccessEvents = total.costSuccessEvents;
  spread.satisfactionSum = total.satisfactionSum;
  spread.satisfactionSquaredSum = total.satisfactionSquaredSum;
  return s;
}

/** Every field in place (one object shape for all statistics, so their readers stay monomorphic); values are written by {@link refreshWindowStats}. */
function blankWindowStats(route: string, variant: string, total: StatsBucket): WindowStats {
  return {
    route, variant, pattern: null, windowStartMs: 0, windowEndMs: 0, count: 0, errorCount: 0, latencyMs: null, meanLatencyMs: null,
    errorRate: null, costPerTaskUsd: null, totalCostUsd: null, tokensPerRequest: null, tokensPerQualityPoint: null, meanQuality: null,
    qualityCount: 0, accuracy: null, accuracyCount: 0, consistency: null, consistencyCount: 0, satisfaction: null, satisfactionCount: 0,
    spread: {
      latency: total.latencyMs, tokenEvents: 0, tokensSum: 0, tokensSquaredSum: 0, qualitySum: 0, qualitySquaredSum: 0, tokensQualitySum: 0,
      tokensQualityCount: 0, costEvents: 0, costSquaredSumUsd2: 0, costSuccessSumUsd: 0, costSuccessEvents: 0, satisfactionSum: 0, satisfactionSquaredSum: 0,
    },
  };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

const PERCENTILES = [0.5, 0.95, 0.99] as const;

/** Scratch for {@link percentiles}: read at once, never handed out. */
const QUANTILES: (number | null)[] = [null, null, null];

/** The sketch's percentiles, written into `into` when there is one (a series' previous percentiles), else a new object; null when empty. */
function percentiles(total: StatsBucket, into: LatencyPercentiles | null): LatencyPercentiles | null {
  const [p50, p95, p99] = total.latencyMs.quantilesInto(PERCENTILES, QUANTILES);
  if (p50 == null || p95 == null || p99 == null) return null;
  if (into === null) return { p50, p95, p99 };
  const m = into as Mutable<LatencyPercentiles>;
  m.p50 = p50;
  m.p95 = p95;
  m.p99 = p99;
  return m;
}
