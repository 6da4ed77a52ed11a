import { describe, expect, it } from 'vitest';
import { assessGates } from '../../src/abtest/guards.js';
import { COMPARED_METRICS, type Comparison, type ComparedMetric } from '../../src/abtest/compare.js';

// The live tester treats the p95 and accuracy as guardrails: they fail a gate only when proven breached, so a
// "passed" gate says nothing proven about them. The reason must say so; the pre-deployment gate (strict) proves both.
const none = (metric: ComparedMetric): Comparison => ({ metric, unit: 'relative', baseline: null, candidate: null, delta: null, lo: -Infinity, hi: Infinity, p: null, n: [0, 0] });
const comparisons = (): Record<ComparedMetric, Comparison> => {
  const out = Object.fromEntries(COMPARED_METRICS.map((m) => [m, none(m)])) as Record<ComparedMetric, Comparison>;
  out.latency_ms = { ...none('latency_ms'), baseline: 4500, candidate: 2700, delta: -0.397, lo: -0.446, hi: -0.345, n: [2324, 393] };
  out.latency_p95_ms = { ...none('latency_p95_ms'), baseline: 4676, candidate: 2836, delta: -0.393, lo: -0.488, hi: 0.05, n: [2224, 377] };
  out.quality = { ...none('quality'), baseline: 0.8, candidate: 0.796, delta: -0.005, lo: -0.0199, hi: 0.009, n: [2324, 393] };
  // Accuracy 3.2 points worse, not proven either way: the interval spans the -1.9-point limit.
  out.accuracy = { ...none('accuracy'), unit: 'points', baseline: 0.95, candidate: 0.918, delta: -0.032, lo: -0.086, hi: 0.023, n: [2324, 393] };
  return out;
};
const config = { gates: { response_time_regression_pct: 10, token_efficiency_regression_pct: 5, quality_degradation_pct: 2, cost_increase_pct: 15 }, effect_floor_pct: 1 };

describe('gate reasons name the live tester\'s guardrails', () => {
  it('live: quality passes, and the reason says accuracy and the p95 only fail when proven breached', () => {
    const gates = assessGates(comparisons(), config, 'pattern_simplification');
    const quality = gates.find((g) => g.name === 'quality_degradation')!;
    expect(quality.status).toBe('passed');
    expect(quality.reason).toContain('accuracy guardrail: fails only if proven below -1.9 points');
    const rt = gates.find((g) => g.name === 'response_time_regression')!;
    expect(rt.reason).toContain('p95 guardrail: fails only if proven > +1.0%');
  });

  it('strict (pre-deployment gate): accuracy and the p95 must be proven within, so the same data does not pass', () => {
    const gates = assessGates(comparisons(), config, 'pattern_simplification', { strict: true });
    const quality = gates.find((g) => g.name === 'quality_degradation')!;
    expect(quality.status).not.toBe('passed');
    expect(quality.reason).not.toContain('guardrail');
    expect(gates.find((g) => g.name === 'response_time_regression')!.reason).toContain('p95 < +1.0%');
  });
});
