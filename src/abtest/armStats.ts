import type { TelemetryEvent } from '../core/event.js';

/**
 * Per-arm sufficient statistics for every metric the A/B tester compares.
 * A plain JSON-serializable object (it is stored as experiment state), updated
 * per event with {@link addEvent} and mergeable with {@link mergeArmStats}.
 *
 * @remarks Latency is kept twice: sums of ln(latency) for the mean test on log
 * latency, and a log-bucketed histogram (DDSketch-style, ≤ 1 % relative error)
 * for the p95 comparison. Ratio metrics keep the sums the delta method needs.
 */
export interface ArmStats {
  /** Events counted (calls). */
  n: number;
  /** Failed calls. */
  errors: number;
  /** Σ ln(max(latencyMs, 1)) and its square. */
  logLatencySum: number;
  logLatencySumSq: number;
  /** Latency histogram: bucket index (see {@link latencyBucket}) → count. */
  latencyBuckets: Record<string, number>;
  /** Events carrying `costUsd`: count, Σcost, Σcost², Σsuccess, Σcost·success. */
  costN: number;
  costSum: number;
  costSumSq: number;
  costSuccesses: number;
  costTimesSuccess: number;
  /** Events carrying token counts: count, Σ(input+output), Σ(input+output)². */
  tokenN: number;
  tokenSum: number;
  tokenSumSq: number;
  /** Events carrying tokens and quality: count, Σtokens, Σtokens², Σpoints, Σpoints², Σtokens·points (points = quality × 100). */
  tpqN: number;
  tpqTokens: number;
  tpqTokensSq: number;
  tpqPoints: number;
  tpqPointsSq: number;
  tpqCross: number;
  /** Events carrying `quality` in [0,1]: count, Σ, Σ². */
  qualityN: number;
  qualitySum: number;
  qualitySumSq: number;
  /** Events carrying `correct`: count and how many were correct. */
  accuracyN: number;
  correct: number;
  /** Events carrying `satisfaction` in [0,1]: count, Σ, Σ². */
  satisfactionN: number;
  satisfactionSum: number;
  satisfactionSumSq: number;
}

/** Relative accuracy of the latency histogram (1 %). */
export const LATENCY_RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + LATENCY_RELATIVE_ACCURACY) / (1 - LATENCY_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Ratio between consecutive latency histogram bucket bounds. */
export const LATENCY_GAMMA = GAMMA;

/** An empty accumulator. */
export function createArmStats(): ArmStats {
  return {
    n: 0, errors: 0, logLatencySum: 0, logLatencySumSq: 0, latencyBuckets: {},
    costN: 0, costSum: 0, costSumSq: 0, costSuccesses: 0, costTimesSuccess: 0,
    tokenN: 0, tokenSum: 0, tokenSumSq: 0,
    tpqN: 0, tpqTokens: 0, tpqTokensSq: 0, tpqPoints: 0, tpqPointsSq: 0, tpqCross: 0,
    qualityN: 0, qualitySum: 0, qualitySumSq: 0,
    accuracyN: 0, correct: 0,
    satisfactionN: 0, satisfactionSum: 0, satisfactionSumSq: 0,
  };
}

/** Histogram bucket of a latency (ms, floored at 1 ms). */
export function latencyBucket(latencyMs: number): number {
  return Math.ceil(Math.log(Math.max(latencyMs, 1)) / LOG_GAMMA);
}

/** Representative latency (ms) of a bucket: within 1 % of every value in it. */
export function bucketLatencyMs(bucket: number): number {
  return (2 * Math.pow(GAMMA, bucket)) / (GAMMA + 1);
}

/** The fields of an event the accumulator reads (a TelemetryEvent qualifies). */
export type ArmEvent = Pick<TelemetryEvent, 'latencyMs' | 'isError' | 'costUsd' | 'inputTokens' | 'outputTokens' | 'quality' | 'correct' | 'satisfaction'>;

/** Adds one event to `stats` in place. Non-finite numbers are ignored field by field. */
export function addEvent(stats: ArmStats, event: ArmEvent): void {
  if (!Number.isFinite(event.latencyMs) || event.latencyMs < 0) return;
  stats.n++;
  const success = event.isError ? 0 : 1;
  stats.errors += 1 - success;
  const logLatency = Math.log(Math.max(event.latencyMs, 1));
  stats.logLatencySum += logLatency;
  stats.logLatencySumSq += logLatency * logLatency;
  const key = String(latencyBucket(event.latencyMs));
  stats.latencyBuckets[key] = (stats.latencyBuckets[key] ?? 0) + 1;
  const cost = event.costUsd;
  if (cost !== undefined && Number.isFinite(cost) && cost >= 0) {
    stats.costN++;
    stats.costSum += cost;
    stats.costSumSq += cost * cost;
    stats.costSuccesses += success;
    stats.costTimesSuccess += cost * success;
  }
  const hasTokens = event.inputTokens !== undefined || event.outputTokens !== undefined;
  const tokens = (event.inputTokens ?? 0) + (event.outputTokens ?? 0);
  if (hasTokens && Number.isFinite(tokens)) {
    stats.tokenN++;
    stats.tokenSum += tokens;
    stats.tokenSumSq += tokens * tokens;
  }
  const quality = event.quality;
  if (quality !== undefined && Number.isFinite(quality)) {
    stats.qualityN++;
    stats.qualitySum += quality;
    stats.qualitySumSq += quality * quality;
    if (hasTokens && Number.isFinite(tokens)) {
      const points = quality * 100;
      stats.tpqN++;
      stats.tpqTokens += tokens;
      stats.tpqTokensSq += tokens * tokens;
      stats.tpqPoints += points;
      stats.tpqPointsSq += points * points;
      stats.tpqCross += tokens * points;
    }
  }
  if (event.correct !== undefined) {
    stats.accuracyN++;
    if (event.correct) stats.correct++;
  }
  const satisfaction = event.satisfaction;
  if (satisfaction !== undefined && Number.isFinite(satisfaction)) {
    stats.satisfactionN++;
    stats.satisfactionSum += satisfaction;
    stats.satisfactionSumSq += satisfaction * satisfaction;
  }
}

/** A new accumulator holding both inputs' events (inputs are not modified). */
export function mergeArmStats(a: ArmStats, b: ArmStats): ArmStats {
  const out = createArmStats();
  for (const k of Object.keys(out) as (keyof ArmStats)[]) {
    if (k === 'latencyBuckets') continue;
    (out[k] as number) = (a[k] as number) + (b[k] as number);
  }
  const buckets: Record<string, number> = { ...a.latencyBuckets };
  for (const [key, count] of Object.entries(b.latencyBuckets)) buckets[key] = (buckets[key] ?? 0) + count;
  out.latencyBuckets = buckets;
  return out;
}

/** Sorted cumulative view of a latency histogram, for repeated quantile queries. */
export interface LatencyDistribution {
  readonly total: number;
  readonly buckets: readonly number[];
  readonly cumulative: readonly number[];
}

/** Builds the cumulative view of `stats`' latency histogram. */
export function latencyDistribution(stats: Pick<ArmStats, 'latencyBuckets'>): LatencyDistribution {
  const entries = Object.entries(stats.latencyBuckets)
    .map(([key, count]) => [Number(key), count] as const)
    .sort((x, y) => x[0] - y[0]);
  const buckets: number[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const [bucket, count] of entries) {
    total += count;
    buckets.push(bucket);
    cumulative.push(total);
  }
  return { total, buckets, cumulative };
}

/**
 * The latency (ms) of the observation with 1-based rank `rank` in sorted
 * order; 0 below rank 1 and +Infinity above the count.
 */
export function latencyAtRank(dist: LatencyDistribution, rank: number): number {
  if (rank < 1) return 0;
  if (rank > dist.total) return Infinity;
  let lo = 0;
  let hi = dist.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (dist.cumulative[mid]! >= rank) hi = mid;
    else lo = mid + 1;
  }
  return bucketLatencyMs(dist.buckets[lo]!);
}

/** The empirical `q`-quantile (q in [0,1]) of the latency, in ms; null when empty. */
export function latencyQuantileMs(dist: LatencyDistribution, q: number): number | null {
  if (dist.total === 0) return null;
  return latencyAtRank(dist, Math.max(1, Math.ceil(q * dist.total)));
}
