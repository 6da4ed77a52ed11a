import type { Pattern } from '../core/patterns.js';
import type { StatsBucket } from './statsBucket.js';
import type { LatencyPercentiles, WindowStats } from './windowStats.js';

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
 * @param latency the percentiles when already known: those this same `total`
 * gave when nothing was added to or removed from it since (a window judged
 * again with no bucket closed into or expired from it); computed when absent.
 */
export function toWindowStats(
  route: string,
  variant: string,
  pattern: Pattern | null,
  total: StatsBucket,
  windowStartMs: number,
  windowEndMs: number,
  latency?: LatencyPercentiles | null,
): WindowStats {
  const count = total.count;
  const meanQuality = ratio(total.qualitySum, total.qualityCount);
  const tokensPerRequest = ratio(total.inputTokens + total.outputTokens, total.tokenEvents);
  return {
    route,
    variant,
    pattern,
    windowStartMs,
    windowEndMs,
    count,
    errorCount: total.errorCount,
    latencyMs: latency === undefined ? percentiles(total) : latency,
    meanLatencyMs: ratio(total.latencySumMs, count),
    errorRate: ratio(total.errorCount, count),
    costPerTaskUsd: ratio(total.costSumUsd, total.costSuccessEvents),
    totalCostUsd: total.costEvents > 0 ? total.costSumUsd : null,
    tokensPerRequest,
    tokensPerQualityPoint:
      tokensPerRequest !== null && meanQuality !== null && meanQuality > 0 ? tokensPerRequest / (meanQuality * 100) : null,
    meanQuality,
    qualityCount: total.qualityCount,
    accuracy: ratio(total.correctTrue, total.correctTotal),
    accuracyCount: total.correctTotal,
    consistency: ratio(total.consistentTrue, total.consistentTotal),
    consistencyCount: total.consistentTotal,
    satisfaction: ratio(total.satisfactionSum, total.satisfactionCount),
    satisfactionCount: total.satisfactionCount,
    spread: {
      latency: total.latencyMs,
      tokenEvents: total.tokenEvents,
      tokensSum: total.inputTokens + total.outputTokens,
      tokensSquaredSum: total.tokensSquaredSum,
      qualitySum: total.qualitySum,
      qualitySquaredSum: total.qualitySquaredSum,
      tokensQualitySum: total.tokensQualitySum,
      tokensQualityCount: total.tokensQualityCount,
      costEvents: total.costEvents,
      costSquaredSumUsd2: total.costSquaredSumUsd2,
      costSuccessSumUsd: total.costSuccessSumUsd,
      costSuccessEvents: total.costSuccessEvents,
      satisfactionSum: total.satisfactionSum,
      satisfactionSquaredSum: total.satisfactionSquaredSum,
    },
  };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

const PERCENTILES = [0.5, 0.95, 0.99] as const;

/** Scratch for {@link percentiles}: read at once, never handed out. */
const QUANTILES: (number | null)[] = [null, null, null];

function percentiles(total: StatsBucket): LatencyPercentiles | null {
  const [p50, p95, p99] = total.latencyMs.quantilesInto(PERCENTILES, QUANTILES);
  if (p50 == null || p95 == null || p99 == null) return null;
  return { p50, p95, p99 };
}
