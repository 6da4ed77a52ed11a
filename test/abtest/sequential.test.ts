import { describe, expect, it } from 'vitest';
import { addEvent, createArmStats, latencyDistribution, latencyQuantileMs, mergeArmStats } from '../../src/abtest/armStats.js';
import { chiSquare1P, erfc, fixedHorizonInterval, mixtureHalfWidth, mixtureInterval, normalQuantile, normalTwoSidedP } from '../../src/abtest/sequential.js';
import { checkSampleRatio } from '../../src/abtest/srm.js';
import { drawEvent, BASE_ARM, mulberry32 } from './simulate.js';

describe('normal tail functions', () => {
  it.each([
    [0, 1],
    [1, 0.157299207],
    [2, 0.004677735],
    [-1, 1.842700793],
  ])('erfc(%d) ≈ %d', (x, expected) => {
    expect(erfc(x)).toBeCloseTo(expected, 6);
  });

  it('gives the textbook p-values', () => {
    expect(normalTwoSidedP(1.959964)).toBeCloseTo(0.05, 5);
    expect(chiSquare1P(10.827566)).toBeCloseTo(0.001, 5);
    expect(chiSquare1P(0)).toBe(1);
  });
});

describe('normal-mixture confidence sequence', () => {
  it('is wider than the fixed-sample interval (the price of peeking) and shrinks with the variance', () => {
    const fixed = 1.96 * Math.sqrt(0.01);
    expect(mixtureHalfWidth(0.01, 0.1, 0.05)).toBeGreaterThan(fixed);
    expect(mixtureHalfWidth(0.0001, 0.1, 0.05)).toBeLessThan(mixtureHalfWidth(0.01, 0.1, 0.05));
    expect(mixtureHalfWidth(Number.NaN, 0.1, 0.05)).toBe(Infinity);
  });

  it('p-value is below alpha exactly when the interval excludes 0', () => {
    for (const estimate of [0, 0.05, 0.1, 0.2, 0.3, -0.25]) {
      const ci = mixtureInterval(estimate, 0.004, 0.1, 0.05);
      expect(ci.p < 0.05).toBe(ci.lo > 0 || ci.hi < 0);
    }
  });
});

describe('ArmStats', () => {
  it('merging two halves equals accumulating everything', () => {
    const rand = mulberry32(3);
    const all = createArmStats();
    const a = createArmStats();
    const b = createArmStats();
    for (let i = 0; i < 400; i++) {
      const e = drawEvent(BASE_ARM, rand);
      addEvent(all, e);
      addEvent(i % 2 === 0 ? a : b, e);
    }
    const merged = mergeArmStats(a, b);
    expect(merged.n).toBe(all.n);
    expect(merged.latencyBuckets).toEqual(all.latencyBuckets);
    expect(merged.costSum).toBeCloseTo(all.costSum, 9);
    expect(merged.correct).toBe(all.correct);
  });

  it('p95 from the histogram is within 1 % of the exact p95', () => {
    const rand = mulberry32(9);
    const stats = createArmStats();
    const latencies: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const e = drawEvent(BASE_ARM, rand);
      latencies.push(e.latencyMs);
      addEvent(stats, e);
    }
    latencies.sort((x, y) => x - y);
    const exact = latencies[Math.ceil(0.95 * latencies.length) - 1]!;
    expect(Math.abs(latencyQuantileMs(latencyDistribution(stats), 0.95)! / exact - 1)).toBeLessThan(0.0101);
  });
});

describe('sample-ratio mismatch', () => {
  it('flags a 50/50 experiment that delivered 5,000 vs 4,600', () => {
    const srm = checkSampleRatio(5000, 4600, 4800, 0.001);
    expect(srm.mismatch).toBe(true);
    expect(srm.p).toBeLessThan(0.001);
  });

  it('accepts ordinary noise, and uses the ramped expectation', () => {
    expect(checkSampleRatio(5030, 4970, 5000, 0.001).mismatch).toBe(false);
    // 1,000 events at 10 % then 1,000 at 50 %: expected candidate = 600.
    expect(checkSampleRatio(1400, 600, 600, 0.001).mismatch).toBe(false);
    expect(checkSampleRatio(1000, 1000, 600, 0.001).mismatch).toBe(true);
  });
});

describe('fixed-horizon interval (the gate: one look at complete runs)', () => {
  it('uses the normal quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 6);
    expect(normalQuantile(1 - 0.05 / 18)).toBeCloseTo(2.7729213, 6);
    const ci = fixedHorizonInterval(0.1, 0.0004, 0, 0.05);
    expect(ci.lo).toBeCloseTo(0.1 - 1.959964 * 0.02, 5);
    expect(ci.hi).toBeCloseTo(0.1 + 1.959964 * 0.02, 5);
    expect(ci.p).toBeCloseTo(normalTwoSidedP(5), 9);
  });

  it('is narrower than the anytime-valid sequence at the same variance (the price of peeking)', () => {
    const fixed = fixedHorizonInterval(0, 0.0004, 0.1, 0.0056);
    const anytime = mixtureInterval(0, 0.0004, 0.1, 0.0056);
    expect(fixed.hi - fixed.lo).toBeLessThan(anytime.hi - anytime.lo);
  });
});
