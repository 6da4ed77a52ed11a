import { chiSquare1P } from './sequential.js';

/** Result of the sample-ratio-mismatch check. */
export interface SrmCheck {
  /** Observed events per arm: [baseline, candidate]. */
  readonly observed: readonly [number, number];
  /** Expected events per arm under the configured split. */
  readonly expected: readonly [number, number];
  /** Pearson chi-square statistic (1 degree of freedom). */
  readonly statistic: number;
  readonly p: number;
  /** True when p < the configured threshold: every automated decision is blocked and the caller alerts. */
  readonly mismatch: boolean;
}

/**
 * Chi-square goodness-of-fit test of the observed arm counts against the
 * expected candidate count (Σ of the candidate share in force when each event
 * was assigned, so a ramp is accounted for).
 */
export function checkSampleRatio(baselineCount: number, candidateCount: number, expectedCandidate: number, pThreshold: number): SrmCheck {
  const total = baselineCount + candidateCount;
  const expC = Math.min(Math.max(expectedCandidate, 0), total);
  const expB = total - expC;
  let statistic = 0;
  if (expB > 0) statistic += (baselineCount - expB) ** 2 / expB;
  else if (baselineCount > 0) statistic = Infinity;
  if (expC > 0) statistic += (candidateCount - expC) ** 2 / expC;
  else if (candidateCount > 0) statistic = Infinity;
  const p = statistic === Infinity ? 0 : chiSquare1P(statistic);
  return { observed: [baselineCount, candidateCount], expected: [expB, expC], statistic, p, mismatch: total > 0 && p < pThreshold };
}
