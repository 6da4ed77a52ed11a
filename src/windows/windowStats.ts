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
}
