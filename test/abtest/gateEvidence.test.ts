import { describe, expect, it } from 'vitest';
import type { ArmEvent } from '../../src/abtest/armStats.js';
import { evaluateGate, GateAccumulator, type GateEvaluation } from '../../src/abtest/gate.js';
import { BASE_ARM, defaultAbtest, drawEvent, mulberry32, type ArmModel } from './simulate.js';

const config = defaultAbtest();

function run(seed: number, n: number, model: Partial<ArmModel> = {}, map: (e: ArmEvent, i: number) => ArmEvent = (e) => e): ArmEvent[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => map(drawEvent({ ...BASE_ARM, ...model }, rand), i));
}

const gateOf = (result: GateEvaluation, name: string) => result.gates.find((g) => g.name === name)!;

/** The candidate's slowest calls get slower: the body (and geometric mean) barely moves, the p95 does. */
function slowTail(factor: number, share: number): (e: ArmEvent, i: number) => ArmEvent {
  const rand = mulberry32(99);
  return (e) => (e.latencyMs > BASE_ARM.medianMs * 1.8 && rand() < share ? { ...e, latencyMs: e.latencyMs * factor } : e);
}

describe('gate: the verdict never claims more than its evidence', () => {
  it('fails a slow-tail p95 regression that the geometric mean hides', () => {
    const result = evaluateGate(run(21, 20_000), run(22, 20_000, {}, slowTail(1.3, 1)), config);
    const rt = gateOf(result, 'response_time_regression');
    expect(rt.evidence['latency_ms']!.delta!).toBeLessThan(0.1); // the mean alone would pass
    expect(rt.evidence['latency_p95_ms']!.ci![0]!).toBeGreaterThan(0.1);
    expect(rt.status).toBe('failed');
    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe('failed: response_time_regression');
  });

  it('does not pass a p95 whose interval straddles the +10 % limit (it used to pass as "proven")', () => {
    const result = evaluateGate(run(23, 3000), run(24, 3000, {}, slowTail(1.13, 1)), config);
    const rt = gateOf(result, 'response_time_regression');
    const p95 = rt.evidence['latency_p95_ms']!;
    expect(p95.ci![0]!).toBeLessThan(0.1);
    expect(p95.ci![1]!).toBeGreaterThan(0.1);
    expect(rt.status).toBe('inconclusive');
    expect(result.verdict).not.toBe('pass');
    expect(result.reason).toMatch(/response_time_regression/);
  });

  it.each([
    ['equivalent', {}],
    ['slower', { medianMs: BASE_ARM.medianMs * 1.25 }],
    ['cheaper and faster', { medianMs: BASE_ARM.medianMs * 0.7, usdPerToken: BASE_ARM.usdPerToken * 0.6 }],
    ['less accurate', { accuracy: 0.8, qualityMean: 0.75 }],
  ] as const)('evidence is internally consistent (%s): delta inside its interval, its sign that of the arm values', (_name, model) => {
    const result = evaluateGate(run(31, 4000), run(32, 4000, model), config);
    for (const [metric, e] of Object.entries(result.evidence)) {
      if (e.delta === null || e.ci === null) continue;
      expect(e.ci[0], metric).toBeLessThanOrEqual(e.delta);
      expect(e.ci[1], metric).toBeGreaterThanOrEqual(e.delta);
      const expected = e['unit'] === 'points' ? e.candidate! - e.baseline! : e.candidate! / e.baseline! - 1;
      expect(e.delta, metric).toBeCloseTo(expected, 9);
    }
  });
});

describe('gate: a metric the candidate lacks is never passed', () => {
  const withoutCostAndQuality = (e: ArmEvent): ArmEvent => ({ latencyMs: e.latencyMs, isError: e.isError, inputTokens: e.inputTokens, outputTokens: e.outputTokens, correct: e.correct, satisfaction: e.satisfaction });

  it('names the missing metrics and is inconclusive for their gates', () => {
    const result = evaluateGate(run(41, 20_000), run(42, 20_000, {}, withoutCostAndQuality), config);
    const cost = gateOf(result, 'cost_increase');
    expect(cost.status).toBe('inconclusive');
    expect(cost.missing).toEqual([{ metric: 'cost_per_task_usd', baseline_share: 1, candidate_share: 0 }]);
    expect(cost.reason).toMatch(/the candidate lacks cost_per_task_usd \(reported on 100 % of baseline events, 0 % of candidate events\)/);
    const quality = gateOf(result, 'quality_degradation');
    expect(quality.status).toBe('inconclusive');
    expect(quality.missing!.map((m) => m.metric)).toEqual(['quality']);
    expect(gateOf(result, 'token_efficiency_regression').missing!.map((m) => m.metric)).toEqual(['tokens_per_quality_point']);
    expect(result.gates.some((g) => g.status === 'skipped')).toBe(false);
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/cost_increase \(candidate lacks cost_per_task_usd\)/);
    expect(result.flags.join('\n')).toMatch(/lacks quality/);
  });

  it('counts a metric the candidate reports on a fraction of its events as missing', () => {
    const result = evaluateGate(run(43, 20_000), run(44, 20_000, {}, (e, i) => (i % 5 === 0 ? e : withoutCostAndQuality(e))), config);
    expect(gateOf(result, 'quality_degradation').missing).toEqual([{ metric: 'quality', baseline_share: 1, candidate_share: 0.2 }]);
    expect(result.verdict).toBe('inconclusive');
  });

  it('still fails a proven regression on the metrics the candidate does report', () => {
    const result = evaluateGate(run(45, 5000), run(46, 5000, { medianMs: BASE_ARM.medianMs * 1.3 }, withoutCostAndQuality), config);
    expect(result.verdict).toBe('fail');
    expect(gateOf(result, 'cost_increase').status).toBe('inconclusive');
  });

  it('flags costs reported in one run and computed from the price table in the other', () => {
    const gate = new GateAccumulator(config);
    for (const e of run(47, 20_000)) gate.addBaseline(e);
    for (const e of run(48, 20_000)) gate.addCandidate(e, { costComputed: true });
    const result = gate.evaluate();
    const cost = gateOf(result, 'cost_increase');
    expect(cost.flag).toMatch(/different sources: the baseline's are reported .* the candidate's computed/);
    expect(cost.status).toBe('inconclusive');
    expect(result.cost_sources).toEqual({ baseline: { reported: 20_000, computed: 0 }, candidate: { reported: 0, computed: 20_000 } });
    expect(result.verdict).toBe('inconclusive');
  });
});

describe('gate: fixed-horizon guarantees, by simulation', () => {
  // Each metric's interval is a two-sided (1 − α/9) Wald interval on two complete runs, so
  // P(a gate is proven violated | it holds) and P(a gate is proven to hold | it is violated)
  // are each at most α/18 per metric; the simulation shows both well under α = 5 %.
  const runs = 120;

  it(`A/A: identical candidates are proven to regress in fewer than 5 % of ${runs} gate runs`, () => {
    let fails = 0;
    for (let i = 0; i < runs; i++) if (evaluateGate(run(1000 + 2 * i, 2000), run(1001 + 2 * i, 2000), config).verdict === 'fail') fails++;
    expect(fails / runs).toBeLessThan(0.05);
  });

  it(`a candidate exactly 10 % slower (at the limit) passes in fewer than 5 % of ${runs} gate runs`, () => {
    let passes = 0;
    for (let i = 0; i < runs; i++) {
      const result = evaluateGate(run(5000 + 2 * i, 2000), run(5001 + 2 * i, 2000, { medianMs: BASE_ARM.medianMs * 1.1 }), config);
      if (gateOf(result, 'response_time_regression').status === 'passed') passes++;
    }
    expect(passes / runs).toBeLessThan(0.05);
  });
});

describe('gate: a reason never contradicts its status', () => {
  it('a gate made inconclusive by a missing metric does not say "passed" anywhere in its reason', () => {
    const strip = (e: ArmEvent): ArmEvent => ({ latencyMs: e.latencyMs, isError: e.isError, inputTokens: e.inputTokens, outputTokens: e.outputTokens, costUsd: e.costUsd, correct: e.correct });
    const result = evaluateGate(run(51, 20_000), run(52, 20_000, {}, strip), config);
    for (const g of result.gates) {
      const others = ['passed', 'failed', 'inconclusive', 'skipped'].filter((s) => s !== g.status);
      for (const word of others) expect(g.reason, g.name).not.toMatch(new RegExp(`\\b${word}\\b`));
    }
    expect(gateOf(result, 'quality_degradation').reason).toMatch(/^quality_degradation inconclusive: the candidate lacks quality .*; on what both runs report \(> -2\.0% relative\): accuracy/);
  });
});
