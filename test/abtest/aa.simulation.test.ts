import { describe, expect, it } from 'vitest';
import { COMPARED_METRICS, type ComparedMetric } from '../../src/abtest/compare.js';
import { ACTION_KINDS } from '../../src/core/decision.js';
import { BASE_ARM, simulate } from './simulate.js';

/**
 * A/A experiments under continuous monitoring: both arms draw from the same
 * distribution and the decision is re-evaluated after every batch of 100
 * events (30 looks, 1,500 events per arm at the deadline). Every promotion or
 * rollback is wrong. Figures are reported in docs/statistics.md.
 */
describe('A/A under continuous monitoring (1,000 seeded experiments)', () => {
  const runs = Array.from({ length: 1000 }, (_, i) =>
    simulate({ seed: 1000 + i, kind: ACTION_KINDS[i % ACTION_KINDS.length]!, baseline: BASE_ARM, candidate: BASE_ARM, share: 0.5, batch: 100, looks: 30 }, true),
  );
  const rate = (pred: (r: (typeof runs)[number]) => boolean): number => runs.filter(pred).length / runs.length;
  const wrongRollbacks = rate((r) => r.decision === 'rollback');
  const wrongPromotions = rate((r) => r.decision === 'promote');
  const naive = rate((r) => r.naiveRejected);
  const excluded = Object.fromEntries(COMPARED_METRICS.map((m) => [m, rate((r) => r.excludedZero[m])])) as Record<ComparedMetric, number>;
  console.info(`A/A: wrong rollbacks ${wrongRollbacks}, wrong promotions ${wrongPromotions}, naive peeking ${naive}, CS ever excluded 0: ${JSON.stringify(excluded)}`);

  it('wrong rollbacks ≤ 2 % and wrong promotions ≤ 2 %', () => {
    expect(wrongRollbacks).toBeLessThanOrEqual(0.02);
    expect(wrongPromotions).toBeLessThanOrEqual(0.02);
    expect(runs.every((r) => r.decision === 'inconclusive' || r.decision === 'rollback' || r.decision === 'promote')).toBe(true);
  });

  it('naive repeated fixed-sample testing on the same data is badly inflated', () => {
    expect(naive).toBeGreaterThan(0.2);
  });

  it('every metric CS, the p95 one included, stays within its alpha share (0.05 / 9) over all looks', () => {
    const share = 0.05 / COMPARED_METRICS.length;
    const meanBased = Math.max(excluded.latency_ms, excluded.quality, excluded.satisfaction, excluded.error_rate, excluded.accuracy);
    for (const metric of COMPARED_METRICS) expect(excluded[metric], metric).toBeLessThanOrEqual(2 * share);
    expect(excluded.latency_p95_ms).toBeLessThanOrEqual(meanBased);
  });
});

describe('A/A at a 10 % candidate share (unequal arms)', () => {
  const runs = Array.from({ length: 300 }, (_, i) =>
    simulate({ seed: 90_000 + i, kind: ACTION_KINDS[i % ACTION_KINDS.length]!, baseline: BASE_ARM, candidate: BASE_ARM, share: 0.1, batch: 200, looks: 30 }),
  );
  it('still makes ≤ 2 % wrong decisions', () => {
    const wrong = runs.filter((r) => r.decision === 'rollback' || r.decision === 'promote').length / runs.length;
    console.info(`A/A at 10 %: wrong decisions ${wrong}`);
    expect(wrong).toBeLessThanOrEqual(0.02);
  });
});
