import { describe, expect, it } from 'vitest';
import type { ArmEvent } from '../../src/abtest/armStats.js';
import { evaluateGate } from '../../src/abtest/gate.js';
import { BASE_ARM, defaultAbtest, drawEvent, mulberry32, type ArmModel } from './simulate.js';

const config = defaultAbtest();

function run(seed: number, n: number, model: Partial<ArmModel> = {}): ArmEvent[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => drawEvent({ ...BASE_ARM, ...model }, rand));
}

const statusOf = (result: ReturnType<typeof evaluateGate>, name: string): string | undefined => result.gates.find((g) => g.name === name)?.status;

describe('evaluateGate (pre-deployment performance gate)', () => {
  it('passes two runs from the same distribution, saying it used fixed-horizon intervals', () => {
    // 20k calls per run: proving accuracy within −2 % relative (1.8 points) needs that many.
    const result = evaluateGate(run(1, 20_000), run(2, 20_000), config);
    expect(result.verdict).toBe('pass');
    expect(result.intervals).toBe('fixed_horizon');
    expect(result.reason).toMatch(/fixed-horizon/);
    expect(result.gates.map((g) => g.name)).toEqual([
      'response_time_regression', 'token_efficiency_regression', 'quality_degradation', 'cost_increase',
      'response_time_spike', 'error_rate_increase', 'satisfaction_drop',
    ]);
    expect(result.gates.every((g) => g.status === 'passed')).toBe(true);
  });

  it('fails a 25 % latency regression, naming response_time_regression', () => {
    const result = evaluateGate(run(3, 5000), run(4, 5000, { medianMs: BASE_ARM.medianMs * 1.25 }), config);
    expect(result.verdict).toBe('fail');
    expect(statusOf(result, 'response_time_regression')).toBe('failed');
    expect(result.reason).toMatch(/response_time_regression/);
    const evidence = result.gates.find((g) => g.name === 'response_time_regression')!.evidence['latency_ms']!;
    expect(evidence.delta).toBeGreaterThan(0.2);
    expect(evidence.ci![0]).toBeGreaterThan(0.1);
  });

  it('fails a 5-point accuracy drop, naming quality_degradation', () => {
    const result = evaluateGate(run(5, 5000), run(6, 5000, { accuracy: BASE_ARM.accuracy - 0.05 }), config);
    expect(result.verdict).toBe('fail');
    expect(statusOf(result, 'quality_degradation')).toBe('failed');
    expect(result.reason).toBe('failed: quality_degradation');
  });

  it('fails a 30 % cost increase, naming cost_increase', () => {
    const result = evaluateGate(run(7, 5000), run(8, 5000, { usdPerToken: BASE_ARM.usdPerToken * 1.3 }), config);
    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe('failed: cost_increase');
  });

  it('is inconclusive on tiny samples, even when they look bad', () => {
    const result = evaluateGate(run(9, 30), run(10, 30, { medianMs: BASE_ARM.medianMs * 1.3 }), config);
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/too few samples/);
  });

  it('is inconclusive when the runs are too small to prove the margins', () => {
    const result = evaluateGate(run(11, 300), run(12, 300), config);
    expect(result.verdict).toBe('inconclusive');
  });

  it('is inconclusive, not passed, when only the accuracy interval reaches past its limit (every metric of a gate must be proven)', () => {
    const result = evaluateGate(run(1, 5000), run(2, 5000), config);
    const quality = result.gates.find((g) => g.name === 'quality_degradation')!;
    const accuracy = quality.evidence['accuracy']!;
    expect(accuracy.ci![0]).toBeLessThan(-quality.threshold * accuracy.baseline!);
    expect(quality.status).toBe('inconclusive');
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toBe('not proven: quality_degradation');
  });

  it('skips gates whose metric no run carries', () => {
    const strip = (events: ArmEvent[]): ArmEvent[] => events.map((e) => ({ latencyMs: e.latencyMs, isError: e.isError }));
    const result = evaluateGate(strip(run(13, 5000)), strip(run(14, 5000)), config);
    expect(statusOf(result, 'cost_increase')).toBe('skipped');
    expect(statusOf(result, 'response_time_regression')).toBe('passed');
    expect(result.verdict).toBe('pass');
  });
});
