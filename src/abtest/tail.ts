import { bucketLatencyMs, LATENCY_GAMMA, latencyAtRank, latencyBucket, latencyDistribution, type ArmStats, type LatencyDistribution } from './armStats.js';
import { mixtureInterval, type IntervalFn } from './sequential.js';

/**
 * State of the peeking-safe p95 comparison: a latency threshold frozen from
 * the baseline's first samples, then per-arm histograms of the later events.
 *
 * @remarks Sample splitting makes the test exact in its assumptions: once t0 is
 * frozen, 1{X > t0} and 1{X > (1+m)·t0} are fixed functions of fresh iid
 * events, so ordinary (anytime-valid) two-proportion inference applies.
 */
export interface TailState {
  /** The baseline's p95 (ms) when it reached the freeze sample count; null before. */
  thresholdMs: number | null;
  /** Baseline events needed before the threshold freezes. */
  readonly freezeSamples: number;
  /** Post-freeze latency histograms (bucket → count) and counts. */
  baselineBuckets: Record<string, number>;
  candidateBuckets: Record<string, number>;
  baselineN: number;
  candidateN: number;
}

/** An unfrozen tail state. */
export function createTailState(freezeSamples: number): TailState {
  return { thresholdMs: null, freezeSamples: Math.max(20, freezeSamples), baselineBuckets: {}, candidateBuckets: {}, baselineN: 0, candidateN: 0 };
}

/**
 * Feeds one event (after it was added to its arm's stats): freezes the
 * threshold once the baseline has enough events, and counts later events.
 */
export function addTailEvent(tail: TailState, isCandidate: boolean, latencyMs: number, baseline: ArmStats): void {
  if (tail.thresholdMs === null) {
    if (baseline.n >= tail.freezeSamples) tail.thresholdMs = tailThresholdMs(latencyDistribution(baseline));
    return;
  }
  if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
  const key = String(latencyBucket(latencyMs));
  const buckets = isCandidate ? tail.candidateBuckets : tail.baselineBuckets;
  buckets[key] = (buckets[key] ?? 0) + 1;
  if (isCandidate) tail.candidateN++;
  else tail.baselineN++;
}

/**
 * The frozen threshold: the highest histogram bucket with at least 5 % of the
 * baseline strictly above it — the p95 for spread-out latencies. For tightly
 * clustered latencies (a cached or mocked model) the p95 falls in the top
 * occupied bucket with nothing above it, and the exceedance test could never
 * bound the change (its interval stayed open at +∞, found in review); the
 * threshold then moves down until there is mass above it, and the compared
 * quantile `level` says which one it is.
 */
function tailThresholdMs(dist: LatencyDistribution): number | null {
  if (dist.total === 0) return null;
  const needed = Math.max(1, Math.ceil(0.05 * dist.total));
  for (let i = dist.buckets.length - 1; i >= 0; i--) {
    const above = dist.total - dist.cumulative[i]!;
    if (above >= needed) return bucketLatencyMs(dist.buckets[i]!);
  }
  // Everything sits in the lowest occupied bucket: compare just below it.
  return bucketLatencyMs(dist.buckets[0]! - 1);
}

function countAbove(dist: LatencyDistribution, thresholdMs: number): number {
  // Not latencyBucket(): it floors at 1 ms, which put a sub-millisecond threshold in the
  // same bucket as everything below 1 ms and nothing was ever above it (found in review).
  const bucket = Math.ceil(Math.log(thresholdMs) / Math.log(LATENCY_GAMMA));
  let lo = 0;
  let hi = dist.buckets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (dist.buckets[mid]! > bucket) hi = mid;
    else lo = mid + 1;
  }
  return dist.total - (lo > 0 ? dist.cumulative[lo - 1]! : 0);
}

/** Relative-change interval of the tail quantile, with its point estimate and p-value. */
export interface TailComparison {
  readonly thresholdMs: number;
  /** Baseline share at or below the threshold after the freeze: the quantile level actually compared (≈ 0.95). */
  readonly level: number;
  readonly delta: number;
  /** The two arms' post-freeze latency quantiles at `level`, ms: `delta` is candidateMs / baselineMs − 1. */
  readonly baselineMs: number;
  readonly candidateMs: number;
  readonly lo: number;
  readonly hi: number;
  readonly p: number;
  readonly n: readonly [number, number];
}

const TAIL_TAU = 0.02;
const LOG_RANGE = 5;

/**
 * Interval for m = q_c(p)/q_b(p) − 1, the relative change of the
 * latency quantile at level p = F_b(t0) ≈ 0.95, by inverting the two-proportion
 * confidence sequence on θ_m = P_c(X > (1+m)·t0) − P_b(X > t0): the true m has
 * θ_m = 0, so it stays inside the interval at all times with probability ≥ 1 − α
 * (with the default mixture interval; `intervalFn` = the fixed-horizon one covers
 * it at the one look at complete runs).
 * Null until both arms have two post-freeze events.
 */
export function compareTail(tail: TailState, alpha: number, intervalFn: IntervalFn = mixtureInterval): TailComparison | null {
  const t0 = tail.thresholdMs;
  if (t0 === null || tail.baselineN < 2 || tail.candidateN < 2) return null;
  const db = latencyDistribution({ latencyBuckets: tail.baselineBuckets });
  const dc = latencyDistribution({ latencyBuckets: tail.candidateBuckets });
  const nb = db.total;
  const nc = dc.total;
  const xb = countAbove(db, t0);
  const pb = xb / nb;
  const sb = (xb + 0.5) / (nb + 1);
  const interval = (logRatio: number): { lo: number; hi: number; estimate: number; p: number } => {
    const xc = countAbove(dc, t0 * Math.exp(logRatio));
    const sc = (xc + 0.5) / (nc + 1);
    const ci = intervalFn(xc / nc - pb, (sb * (1 - sb)) / nb + (sc * (1 - sc)) / nc, TAIL_TAU, alpha);
    return { lo: ci.lo, hi: ci.hi, estimate: ci.estimate, p: ci.p };
  };
  // θ decreases in the log ratio; find where its lower bound, estimate and upper bound cross 0.
  const crossing = (pick: (x: ReturnType<typeof interval>) => number, strict: boolean): number => {
    let a = -LOG_RANGE;
    let b = LOG_RANGE;
    if (pick(interval(a)) <= 0 && strict) return -Infinity;
    if (pick(interval(b)) > 0) return Infinity;
    for (let i = 0; i < 28; i++) {
      const mid = (a + b) / 2;
      if (pick(interval(mid)) > 0) a = mid;
      else b = mid;
    }
    return (a + b) / 2;
  };
  const lo = crossing((x) => x.lo, true);
  const hi = crossing((x) => x.hi, false);
  // Point estimate: the ratio of the two arms' empirical quantiles at the compared level.
  // (Inverting the step-shaped θ gave the lower edge of its zero set: −1 % for identical data.)
  const level = 1 - pb;
  const qb = latencyAtRank(db, Math.max(1, Math.ceil(level * nb)));
  const qc = latencyAtRank(dc, Math.max(1, Math.ceil(level * nc)));
  const delta = qb > 0 && Number.isFinite(qb) && Number.isFinite(qc) ? qc / qb - 1 : 0;
  return {
    thresholdMs: t0,
    level,
    delta,
    baselineMs: qb,
    candidateMs: qc,
    lo: lo === -Infinity ? -1 : Math.expm1(lo),
    hi: Math.expm1(hi),
    p: interval(0).p,
    n: [nb, nc],
  };
}
