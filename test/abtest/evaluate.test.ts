import { describe, expect, it } from 'vitest';
import { addArmEvent, createExperimentState, evaluateExperiment, recordExperimentEvent, type ExperimentState } from '../../src/abtest/evaluate.js';
import type { TelemetryEvent } from '../../src/core/event.js';
import { BASE_ARM, defaultAbtest, drawEvent, mulberry32, type ArmModel } from './simulate.js';

const config = defaultAbtest();

function fill(state: ExperimentState, seed: number, nBaseline: number, nCandidate: number, candidate: ArmModel = BASE_ARM): ExperimentState {
  const rand = mulberry32(seed);
  const total = nBaseline + nCandidate;
  let b = 0;
  let c = 0;
  for (let i = 0; i < total; i++) {
    const pickCandidate = c < nCandidate && (b >= nBaseline || rand() < nCandidate / total);
    addArmEvent(state, pickCandidate, drawEvent(pickCandidate ? candidate : BASE_ARM, rand));
    state.expectedCandidate += nCandidate / total;
    if (pickCandidate) c++;
    else b++;
  }
  return state;
}

describe('evaluateExperiment', () => {
  it('blocks every automated decision on a sample-ratio mismatch and flags it', () => {
    const state = fill(createExperimentState(0), 1, 1000, 1000, { ...BASE_ARM, medianMs: 3000 });
    state.expectedCandidate = 800; // the split said 40 %, we got 50 %
    const result = evaluateExperiment(state, config, 'pattern_simplification', 60_000);
    expect(result.srm.mismatch).toBe(true);
    expect(result.decision).toBe('continue');
    expect(result.reason).toMatch(/sample ratio mismatch/);
  });

  it('waits for min_samples_per_arm even when the candidate looks terrible', () => {
    const state = fill(createExperimentState(0), 2, 60, 60, { ...BASE_ARM, medianMs: 4000 });
    const result = evaluateExperiment(state, config, 'token_optimization', 60_000);
    expect(result.decision).toBe('continue');
    expect(result.reason).toMatch(/waiting for 100 samples/);
  });

  it('ends inconclusive at the deadline and keeps the baseline', () => {
    const state = fill(createExperimentState(0), 3, 300, 300);
    const before = evaluateExperiment(state, config, 'pattern_simplification', config.max_duration - 1);
    expect(before.decision).toBe('continue');
    const after = evaluateExperiment(state, config, 'pattern_simplification', config.max_duration);
    expect(after.decision).toBe('inconclusive');
    expect(after.reason).toMatch(/baseline kept/);
  });

  it('does not let a trivial shift decide on a huge sample (effect floor)', () => {
    // 0.7 % faster on 300,000 calls per arm: the CS proves it, the 1 % floor refuses to act on it.
    const state = fill(createExperimentState(0), 4, 300_000, 300_000, { ...BASE_ARM, medianMs: BASE_ARM.medianMs * 0.993 });
    const result = evaluateExperiment(state, config, 'pattern_simplification', 60_000);
    const latency = result.evidence['latency_ms']!;
    expect(latency.ci![1]).toBeLessThan(0);
    expect(result.decision).toBe('continue');
    const noFloor = evaluateExperiment(state, { ...config, effect_floor_pct: 0 }, 'pattern_simplification', 60_000);
    expect(noFloor.decision).toBe('promote');
  });

  it('returns DESIGN §5 evidence for every metric with data', () => {
    const state = fill(createExperimentState(0), 5, 500, 500, { ...BASE_ARM, medianMs: 2400 });
    const result = evaluateExperiment(state, config, 'token_optimization', 60_000);
    expect(result.decision).toBe('rollback');
    for (const key of ['latency_ms', 'latency_p95_ms', 'error_rate', 'accuracy', 'quality', 'satisfaction', 'cost_per_task_usd', 'tokens_per_request', 'tokens_per_quality_point']) {
      const e = result.evidence[key]!;
      expect(e, key).toBeDefined();
      expect(e.n).toEqual([expect.any(Number), expect.any(Number)]);
      expect(e.ci).toHaveLength(2);
      expect(e.p).toBeGreaterThanOrEqual(0);
      expect(e.ci![0]).toBeLessThanOrEqual(e.delta!);
      expect(e.ci![1]).toBeGreaterThanOrEqual(e.delta!);
    }
    expect(result.evidence['latency_ms']!.delta).toBeGreaterThan(0.8);
    expect(result.evidence['latency_ms']!.p).toBeLessThan(1e-6);
  });

  it('records events by arm with the ramp share, and ignores events without an arm', () => {
    const state = createExperimentState(0);
    const event: TelemetryEvent = { ts: 1, route: 'r', variant: 'v', latencyMs: 100, isError: false };
    expect(recordExperimentEvent(state, { ...event, arm: 'candidate' }, 0.1)).toBe(true);
    expect(recordExperimentEvent(state, { ...event, arm: 'baseline' }, 0.1)).toBe(true);
    expect(recordExperimentEvent(state, event, 0.1)).toBe(false);
    expect([state.baseline.n, state.candidate.n]).toEqual([1, 1]);
    expect(state.expectedCandidate).toBeCloseTo(0.2, 12);
  });
});
