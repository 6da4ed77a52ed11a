import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../src/core/errors.js';
import { QuantileSketch } from '../../src/windows/quantileSketch.js';
import { mulberry32, normal } from '../../src/sim/random.js';

const SWEEP = Array.from({ length: 101 }, (_, i) => i / 100).concat([0.95, 0.99, 0.999]);

/** Exact value at rank floor(q (n-1)) of the sorted sample: the sketch's rank definition. */
function exact(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function maxRelativeError(values: readonly number[], sketch: QuantileSketch): number {
  const sorted = [...values].sort((a, b) => a - b);
  let worst = 0;
  for (const q of SWEEP) {
    const want = exact(sorted, q);
    const got = sketch.quantile(q)!;
    const err = want === 0 ? Math.abs(got) : Math.abs(got - want) / want;
    worst = Math.max(worst, err);
  }
  return worst;
}

function sketchOf(values: readonly number[], alpha = 0.01, maxBins = 2048): QuantileSketch {
  const s = new QuantileSketch(alpha, maxBins);
  for (const v of values) s.add(v);
  return s;
}

function sample(n: number, seed: number, draw: (rng: () => number) => number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => draw(rng));
}

const DISTRIBUTIONS: Record<string, (rng: () => number) => number> = {
  lognormal: (r) => Math.exp(Math.log(800) + 0.6 * normal(r)),
  uniform: (r) => 1 + r() * 9_999,
  pareto: (r) => 50 / Math.pow(1 - r(), 1 / 1.1),
  constant: () => 1234.5,
  'log-uniform 0.1 ms .. 10 min': (r) => 0.1 * Math.pow(6_000_000, r()),
  'integer ms': (r) => Math.round(200 + r() * 3000),
};

describe('QuantileSketch accuracy', () => {
  for (const [name, draw] of Object.entries(DISTRIBUTIONS)) {
    it(`keeps every quantile within 1 % relative error: ${name}`, () => {
      const values = sample(40_000, name.length * 7919, draw);
      const sketch = sketchOf(values);
      expect(sketch.count).toBe(values.length);
      expect(maxRelativeError(values, sketch)).toBeLessThanOrEqual(0.01);
    });
  }

  it('honours a coarser relative accuracy', () => {
    const values = sample(20_000, 5, DISTRIBUTIONS['pareto']!);
    const sketch = sketchOf(values, 0.05);
    const err = maxRelativeError(values, sketch);
    expect(err).toBeLessThanOrEqual(0.05);
    expect(err).toBeGreaterThan(0.01); // really coarser, so the bound above means something
  });

  it('reports zeros and tiny values as exactly 0', () => {
    const values = [0, 0, 0, 1e-12, 5, 10, 20];
    const sketch = sketchOf(values);
    expect(sketch.quantile(0)).toBe(0);
    expect(sketch.quantile(0.5)).toBe(0);
    expect(sketch.quantile(1)! / 20).toBeCloseTo(1, 1);
    expect(Math.abs(sketch.quantile(1)! - 20) / 20).toBeLessThanOrEqual(0.01);
  });

  it('is null when empty, ignores NaN/Infinity values and bad weights, clamps q', () => {
    const sketch = new QuantileSketch();
    expect(sketch.quantile(0.5)).toBeNull();
    sketch.add(Number.NaN);
    sketch.add(Infinity);
    sketch.add(10, 0);
    sketch.add(10, -3);
    expect(sketch.count).toBe(0);
    expect(sketch.isEmpty).toBe(true);
    sketch.add(100);
    expect(sketch.quantile(Number.NaN)).toBeNull();
    expect(sketch.quantile(-1)).toBe(sketch.quantile(0));
    expect(sketch.quantile(2)).toBe(sketch.quantile(1));
  });

  it('counts weights', () => {
    const sketch = new QuantileSketch();
    sketch.add(10, 99);
    sketch.add(1000, 1);
    expect(sketch.count).toBe(100);
    expect(Math.abs(sketch.quantile(0.5)! - 10) / 10).toBeLessThanOrEqual(0.01);
    expect(Math.abs(sketch.quantile(1)! - 1000) / 1000).toBeLessThanOrEqual(0.01);
  });
});

describe('QuantileSketch merge and subtract', () => {
  const a = sample(10_000, 11, DISTRIBUTIONS['lognormal']!);
  const b = sample(10_000, 12, (r) => 5 * Math.pow(1 - r(), -1)); // different range, extends both ends
  const sweep = (s: QuantileSketch) => SWEEP.map((q) => s.quantile(q));

  it('merge gives the sketch of the union', () => {
    const merged = sketchOf(a);
    merged.merge(sketchOf(b));
    const union = sketchOf([...a, ...b]);
    expect(merged.count).toBe(union.count);
    expect(sweep(merged)).toEqual(sweep(union));
    expect(maxRelativeError([...a, ...b], merged)).toBeLessThanOrEqual(0.01);
  });

  it('subtract restores the previous state exactly', () => {
    const total = sketchOf(a);
    total.add(0, 3);
    const before = sweep(total);
    const other = sketchOf(b);
    other.add(0, 2);
    total.merge(other);
    expect(sweep(total)).not.toEqual(before);
    total.subtract(other);
    expect(total.count).toBe(a.length + 3);
    expect(sweep(total)).toEqual(before);
  });

  it('subtracting everything leaves an empty sketch that works again', () => {
    const total = new QuantileSketch();
    const parts = [sketchOf(a.slice(0, 5000)), sketchOf(a.slice(5000))];
    for (const p of parts) total.merge(p);
    for (const p of parts) total.subtract(p);
    expect(total.count).toBe(0);
    expect(total.quantile(0.5)).toBeNull();
    total.add(42);
    expect(Math.abs(total.quantile(0.5)! - 42) / 42).toBeLessThanOrEqual(0.01);
  });

  it('never goes negative when subtracting what was never merged', () => {
    const total = sketchOf([10, 20, 30]);
    total.subtract(sketchOf([10, 10, 10, 1e9]));
    expect(total.count).toBe(2);
    expect(Math.abs(total.quantile(0)! - 20) / 20).toBeLessThanOrEqual(0.01);
  });

  it('refuses to combine sketches of different accuracy', () => {
    expect(() => new QuantileSketch(0.01).merge(new QuantileSketch(0.02))).toThrow(InvariantError);
  });

  it('clear empties the sketch', () => {
    const s = sketchOf(a);
    s.clear();
    expect(s.count).toBe(0);
    expect(s.quantile(0.99)).toBeNull();
    s.add(7);
    expect(s.count).toBe(1);
  });
});

describe('QuantileSketch bounded size', () => {
  it('never allocates more than maxBins, collapsing only the lowest values', () => {
    const rng = mulberry32(3);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) values.push(Math.pow(10, -6 + 18 * rng())); // 1e-6 .. 1e12
    const sketch = sketchOf(values, 0.01, 64);
    expect(sketch.allocatedBins).toBeLessThanOrEqual(64);
    expect(sketch.approxBytes()).toBeLessThan(1024);
    expect(sketch.count).toBe(values.length);
    const sorted = [...values].sort((x, y) => x - y);
    for (const q of [0.999, 0.9999, 1]) {
      expect(Math.abs(sketch.quantile(q)! - exact(sorted, q)) / exact(sorted, q)).toBeLessThanOrEqual(0.01);
    }
  });

  it('stays bounded with the default maxBins on an extreme range and keeps merge/subtract consistent', () => {
    const wide = new QuantileSketch();
    wide.add(1e-8);
    wide.add(1e200);
    expect(wide.allocatedBins).toBeLessThanOrEqual(2048);
    const total = new QuantileSketch(0.01, 32);
    const low = sketchOf([1, 2, 3], 0.01, 32);
    const high = sketchOf([1e6, 1.2e6], 0.01, 32); // 9 bins apart: fits
    total.merge(low);
    total.merge(high); // collapses the low values
    total.subtract(low);
    expect(total.count).toBe(2);
    expect(Math.abs(total.quantile(0)! - 1e6) / 1e6).toBeLessThanOrEqual(0.01);
  });

  it('grows to cover the data range, not the number of values', () => {
    const sketch = new QuantileSketch();
    for (let i = 0; i < 100_000; i++) sketch.add(500 + (i % 1000));
    // 500..1500 ms spans ln(3)/ln(γ) ≈ 55 bins
    expect(sketch.allocatedBins).toBeLessThanOrEqual(128);
  });
});

describe('QuantileSketch.quantiles', () => {
  it('answers several ascending quantiles in one pass, exactly as quantile() does', () => {
    const sketch = new QuantileSketch();
    expect(sketch.quantiles([0.5, 0.99])).toEqual([null, null]);
    for (let i = 0; i < 5000; i++) sketch.add(i % 17 === 0 ? 0 : 1 + ((i * 7919) % 10_000) / 3);
    const qs = [0, 0.01, 0.05, 0.5, 0.95, 0.99, 1];
    expect(sketch.quantiles(qs)).toEqual(qs.map((q) => sketch.quantile(q)));
  });
});

describe('QuantileSketch checkpoint state', () => {
  it('a restored sketch answers and evolves exactly as the original, empty-bin runs and the zero bucket included', () => {
    const original = new QuantileSketch(0.01, 64);
    const values = [0, 0, 3, 3.1, 250, 251, 1e6, -4];
    for (const v of values) original.add(v);
    const other = new QuantileSketch(0.01, 64);
    other.add(3);
    original.merge(other);
    original.subtract(other);
    const state = original.exportState();
    expect(state.some((n) => n < 0)).toBe(true); // runs of empty bins are written as −k
    const copy = new QuantileSketch(0.01, 64);
    copy.add(77);
    copy.restoreState(JSON.parse(JSON.stringify(state)) as number[]);
    const qs = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];
    expect(copy.quantiles(qs)).toEqual(original.quantiles(qs));
    // Past the bin bound: both collapse their lowest bins the same way.
    for (const s of [original, copy]) s.add(1e12);
    expect(copy.quantiles(qs)).toEqual(original.quantiles(qs));
    expect(copy.exportState()).toEqual(original.exportState());
    const empty = new QuantileSketch();
    expect(empty.exportState()).toEqual([0, 0]);
  });

  it('refuses an array that is not a sketch state, keeping its counts', () => {
    const sketch = new QuantileSketch();
    sketch.add(5);
    for (const bad of [[1], [0, 1, 5, 3, 1], [0, 1, 1, 3, 1, 1], [0, 1, 1, 2, 1, 1, 1], [0, 1, 1, 1, 0.5, -0.5]]) {
      expect(() => sketch.restoreState(bad)).toThrow(/sketch state/);
    }
    expect(sketch.quantile(0.5)).toBeCloseTo(5, 1);
  });
});
