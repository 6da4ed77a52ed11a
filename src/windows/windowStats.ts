import type { Pattern } from '../core/patterns.js';

/** Latency percentiles in milliseconds (≤ 1 % relative error). */
export interface LatencyPercentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/**
 * Statistics of one (route, variant) — or one experiment arm — over a rolling
 * window in event time. A metric with no data is `null`, never 0.
 *
 * Definitions (DESIGN §3): error rate = failed / calls; cost per task = total
 * cost / successful calls; tokens per quality point = mean (input + output)
 * tokens / (mean quality × 100); accuracy = share of `correct: true` among
 * events that carry `correct`; consistency likewise.
 */
export interface WindowStats {
  readonly route: string;
  readonly variant: string;
  /** Most recently seen pattern of this variant, if any event carried one. */
  readonly pattern: Pattern | null;
  /** Window bounds, epoch ms event time: [windowStartMs, windowEndMs). */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly count: number;
  readonly errorCount: number;
  readonly latencyMs: LatencyPercentiles | null;
  readonly meanLatencyMs: number | null;
  readonly errorRate: number | null;
  readonly costPerTaskUsd: number | null;
  readonly totalCostUsd: number | null;
  readonly tokensPerRequest: number | null;
  readonly tokensPerQualityPoint: number | null;
  readonly meanQuality: number | null;
  readonly qualityCount: number;
  readonly accuracy: number | null;
  readonly accuracyCount: number;
  readonly consistency: number | null;
  readonly consistencyCount: number;
  readonly satisfaction: number | null;
  readonly satisfactionCount: number;
  /**
   * The spread behind the estimates, for confidence intervals. Always set by
   * {@link toWindowStats}; absent only on statistics built by hand, whose
   * intervals then collapse to the point estimates.
   */
  readonly spread?: WindowSpread;
}

/** Order statistics of a window's latencies (its quantile sketch, read-only). */
export interface LatencyRanks {
  /** Latency (ms) at a 0-based rank of the sorted window, within `relativeAccuracy`; null when empty. */
  valueAtRank(rank: number): number | null;
  /** Relative error bound of every value returned. */
  readonly relativeAccuracy: number;
}

/**
 * Sums behind the window's means and ratios that the point estimates drop:
 * squares and cross-products, so a detector can put a confidence interval
 * around each metric (see docs/statistics.md).
 *
 * @remarks `latency` reads the window's live sketch: use it during the
 * evaluation these statistics were built for, not later.
 */
export interface WindowSpread {
  readonly latency: LatencyRanks;
  /** Events carrying tokens, Σ tokens and Σ tokens² (tokens = input + output). */
  readonly tokenEvents: number;
  readonly tokensSum: number;
  readonly tokensSquaredSum: number;
  readonly qualitySum: number;
  readonly qualitySquaredSum: number;
  /** Σ tokens × quality over the events carrying both, and their count. */
  readonly tokensQualitySum: number;
  readonly tokensQualityCount: number;
  /** Events carrying a cost, Σ cost², and Σ cost over the successful ones (USD). */
  readonly costEvents: number;
  readonly costSquaredSumUsd2: number;
  readonly costSuccessSumUsd: number;
  readonly costSuccessEvents: number;
  readonly satisfactionSum: number;
  readonly satisfactionSquaredSum: number;
}
