import { describe, expect, it } from 'vitest';
import type { ActionKind } from '../../src/core/decision.js';
import { BASE_ARM, simulate, type ArmModel, type SimulationResult } from './simulate.js';

const SIMS = 200;

function many(kind: ActionKind, candidate: Partial<ArmModel>, opts: { share?: number; batch?: number; looks?: number; seed?: number } = {}): SimulationResult[] {
  return Array.from({ length: SIMS }, (_, i) =>
    simulate({ seed: (opts.seed ?? 5000) + i, kind, baseline: BASE_ARM, candidate: { ...BASE_ARM, ...candidate }, share: opts.share ?? 0.5, batch: opts.batch ?? 100, looks: opts.looks ?? 30 }),
  );
}

const share = (runs: readonly SimulationResult[], pred: (r: SimulationResult) => boolean): number => runs.filter(pred).length / runs.length;

/** Log-scale sd that raises the p95 by 25 % while the median stays put (a tail-only regression). */
const TAIL_SIGMA = BASE_ARM.sigma + Math.log(1.25) / 1.6449;

describe('+25 % p95 regression is rolled back within 1,500 samples per arm', () => {
  // A pattern enhancement is slower by design: its latency is held to the route's own limit by the
  // experiment manager (test/abtest/experimentManager.test.ts), not compared with the baseline here.
  it.each(['pattern_simplification', 'token_optimization'] as const)('whole distribution 25 percent slower: %s', (kind) => {
    const runs = many(kind, { medianMs: BASE_ARM.medianMs * 1.25 });
    const rolledBack = share(runs, (r) => r.decision === 'rollback' && r.n[0] <= 1500 && r.n[1] <= 1600);
    console.info(`p95 +25 % (scale), ${kind}: rolled back ${rolledBack}`);
    expect(rolledBack).toBeGreaterThanOrEqual(0.8);
  });

  it.each(['pattern_simplification', 'token_optimization'] as const)('tail only, median unchanged, p95 +25 percent: %s', (kind) => {
    const runs = many(kind, { sigma: TAIL_SIGMA });
    const rolledBack = share(runs, (r) => r.decision === 'rollback');
    console.info(`p95 +25 % (tail only), ${kind}: rolled back ${rolledBack}`);
    expect(rolledBack).toBeGreaterThanOrEqual(0.8);
    expect(runs.some((r) => r.decision === 'promote')).toBe(false);
  });
});

describe('rollback triggers', () => {
  it('a +60 % latency spike is rolled back within 300 candidate samples at a 10 % share', () => {
    const runs = many('token_optimization', { medianMs: BASE_ARM.medianMs * 1.6 }, { share: 0.1 });
    const fast = share(runs, (r) => r.decision === 'rollback' && r.n[1] <= 300);
    console.info(`+60 % spike at 10 %: rolled back within 300 candidate samples ${fast}`);
    expect(fast).toBeGreaterThanOrEqual(0.95);
  });

  it('+10 points of error rate is rolled back (simplification: by the error trigger itself)', () => {
    const simplification = many('pattern_simplification', { errorRate: BASE_ARM.errorRate + 0.1 });
    const byTrigger = share(simplification, (r) => r.decision === 'rollback' && /error_rate_increase failed/.test(r.reason));
    // For a token optimization the extra failures also raise cost per successful task, which may prove first.
    const tokens = share(many('token_optimization', { errorRate: BASE_ARM.errorRate + 0.1 }), (r) => r.decision === 'rollback');
    console.info(`+10 points errors: rolled back by the trigger ${byTrigger} (simplification), rolled back ${tokens} (token optimization)`);
    expect(byTrigger).toBeGreaterThanOrEqual(0.95);
    expect(tokens).toBeGreaterThanOrEqual(0.95);
  });

  it('a 15 % satisfaction drop is rolled back', () => {
    const runs = many('pattern_enhancement', { satisfactionMean: BASE_ARM.satisfactionMean * 0.85 }, { looks: 30 });
    const rolledBack = share(runs, (r) => r.decision === 'rollback');
    console.info(`-15 % satisfaction: rolled back ${rolledBack}`);
    expect(rolledBack).toBeGreaterThanOrEqual(0.8);
  });
});

describe('genuinely better candidates are promoted', () => {
  it('simplification: 30 % faster, same quality', () => {
    const promoted = share(many('pattern_simplification', { medianMs: BASE_ARM.medianMs * 0.7, medianTokens: 1200 }), (r) => r.decision === 'promote');
    console.info(`better simplification: promoted ${promoted}`);
    expect(promoted).toBeGreaterThanOrEqual(0.8);
  });

  it('token optimization: a third fewer tokens, same quality', () => {
    const promoted = share(many('token_optimization', { medianTokens: 1000 }), (r) => r.decision === 'promote');
    console.info(`better token optimization: promoted ${promoted}`);
    expect(promoted).toBeGreaterThanOrEqual(0.8);
  });

  it('enhancement: +6 points accuracy for 7 % more cost', () => {
    const promoted = share(many('pattern_enhancement', { accuracy: 0.96, medianTokens: 1600 }, { looks: 40 }), (r) => r.decision === 'promote');
    console.info(`better enhancement: promoted ${promoted}`);
    expect(promoted).toBeGreaterThanOrEqual(0.8);
  });

  it('enhancement that costs 40 % more is not promoted (cost gate)', () => {
    const runs = many('pattern_enhancement', { accuracy: 0.96, medianTokens: 2100 }, { looks: 40 });
    console.info(`enhancement +40 % cost: promoted ${share(runs, (r) => r.decision === 'promote')}, rolled back ${share(runs, (r) => r.decision === 'rollback')}`);
    expect(runs.some((r) => r.decision === 'promote')).toBe(false);
  });
});
