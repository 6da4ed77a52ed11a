import { describe, expect, it } from 'vitest';
import { PATTERNS, type Pattern } from '../../src/core/patterns.js';
import { mulberry32, PATTERN_PROFILES, simulateCall, type CallConditions, type SimulatedCall } from '../../src/sim/index.js';

const N = 20_000;

function draw(pattern: Pattern, conditions: CallConditions = {}, seed = 7): SimulatedCall[] {
  const rng = mulberry32(seed);
  return Array.from({ length: N }, () => simulateCall(rng, pattern, conditions));
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const ok = (calls: SimulatedCall[]): SimulatedCall[] => calls.filter((c) => !c.isError);
const share = (calls: SimulatedCall[], pick: (c: SimulatedCall) => boolean | undefined): number => calls.filter((c) => pick(c) === true).length / calls.length;

describe('simulateCall', () => {
  it.each([
    ['zero_shot', 1200],
    ['few_shot', 1800],
    ['chain_of_thought', 3200],
    ['tree_of_thought', 5800],
    ['self_consistency', 8500],
  ] as const)('%s answers in %d ms on average (reference guide matrix), within 4 %', (pattern, meanMs) => {
    const latency = mean(ok(draw(pattern)).map((c) => c.latencyMs));
    expect(Math.abs(latency - meanMs) / meanMs).toBeLessThan(0.04);
  });

  it('has a realistic tail: p99 well above p95, p95 well above the median', () => {
    const sorted = ok(draw('few_shot')).map((c) => c.latencyMs).sort((a, b) => a - b);
    const q = (p: number): number => sorted[Math.floor(p * (sorted.length - 1))] ?? 0;
    expect(q(0.95) / q(0.5)).toBeGreaterThan(1.4);
    expect(q(0.99) / q(0.95)).toBeGreaterThan(1.15);
  });

  it('token overhead, accuracy, quality and consistency rise with pattern strength', () => {
    const byPattern = PATTERNS.map((p) => {
      const calls = ok(draw(p));
      return {
        tokens: mean(calls.map((c) => c.inputTokens + c.outputTokens)),
        accuracy: share(calls, (c) => c.correct),
        quality: mean(calls.map((c) => c.quality ?? 0)),
        consistency: share(calls, (c) => c.consistent),
      };
    });
    for (let i = 1; i < byPattern.length; i++) {
      const [prev, cur] = [byPattern[i - 1]!, byPattern[i]!];
      expect(cur.tokens).toBeGreaterThan(prev.tokens);
      expect(cur.accuracy).toBeGreaterThan(prev.accuracy - 0.003);
      expect(cur.quality).toBeGreaterThan(prev.quality);
      expect(cur.consistency).toBeGreaterThan(prev.consistency - 0.003);
    }
    expect(byPattern[0]!.accuracy).toBeCloseTo(0.86, 1);
    expect(byPattern[4]!.accuracy).toBeGreaterThan(0.97);
  });

  it('matches its profile on accuracy and quality within sampling error', () => {
    const calls = ok(draw('chain_of_thought'));
    expect(Math.abs(share(calls, (c) => c.correct) - PATTERN_PROFILES.chain_of_thought.accuracy)).toBeLessThan(0.006);
    expect(Math.abs(mean(calls.map((c) => c.quality ?? 0)) - PATTERN_PROFILES.chain_of_thought.quality)).toBeLessThan(0.01);
  });

  it('fails rarely when healthy and often when told to', () => {
    expect(share(draw('few_shot'), (c) => c.isError)).toBeLessThan(0.01);
    const failing = draw('few_shot', { extraErrorRate: 0.2 });
    expect(share(failing, (c) => c.isError)).toBeGreaterThan(0.18);
    const failed = failing.filter((c) => c.isError);
    expect(failed.every((c) => c.errorType !== undefined && c.correct === undefined && c.outputTokens === 0)).toBe(true);
  });

  it('prices the call when given a price, and leaves cost to the daemon otherwise', () => {
    const rng = mulberry32(1);
    const priced = simulateCall(rng, 'few_shot', { model: 'gpt-4o', price: { input_per_mtok: 2.5, output_per_mtok: 10 } });
    expect(priced.costUsd).toBeCloseTo((priced.inputTokens * 2.5 + priced.outputTokens * 10) / 1e6, 12);
    expect(priced.model).toBe('gpt-4o');
    expect(simulateCall(rng, 'few_shot').costUsd).toBeUndefined();
  });

  it('a compressed prompt sends fewer input tokens; a lower tier caps output, answers faster, loses quality', () => {
    const base = ok(draw('tree_of_thought'));
    const compressed = ok(draw('tree_of_thought', { inputTokenFactor: 0.6 }));
    expect(mean(compressed.map((c) => c.inputTokens)) / mean(base.map((c) => c.inputTokens))).toBeCloseTo(0.6, 1);
    const capped = ok(draw('tree_of_thought', { maxOutputTokens: 500 }));
    expect(Math.max(...capped.map((c) => c.outputTokens))).toBeLessThanOrEqual(500);
    expect(mean(capped.map((c) => c.latencyMs))).toBeLessThan(mean(base.map((c) => c.latencyMs)) * 0.8);
    expect(mean(capped.map((c) => c.quality ?? 0))).toBeLessThan(mean(base.map((c) => c.quality ?? 0)) - 0.05);
  });

  it('same seed, same calls', () => {
    expect(draw('self_consistency', {}, 99).slice(0, 50)).toEqual(draw('self_consistency', {}, 99).slice(0, 50));
    expect(draw('self_consistency', {}, 99).slice(0, 50)).not.toEqual(draw('self_consistency', {}, 100).slice(0, 50));
  });
});
