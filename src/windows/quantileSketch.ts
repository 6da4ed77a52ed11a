import { InvariantError } from '../core/errors.js';

/** Values at or below this (including 0 and negatives) are counted in the zero bucket and reported as 0. */
export const SKETCH_MIN_INDEXABLE_VALUE = 1e-9;

/** Bins allocated on first use; the array then doubles up to `maxBins`. */
const INITIAL_BINS = 32;

const EMPTY = new Float64Array(0);

/**
 * Bin-index bounds of an empty sketch. Small integers rather than ±Infinity: V8 keeps a field holding
 * only small integers inside the object, while a field that ever holds a non-integer becomes a pointer
 * to a separate boxed number, one more cache line per read. Real indices stay within ±40,000.
 */
const NO_MIN = 2 ** 30;
const NO_MAX = -(2 ** 30);

/** The log-bucket constants of one relative accuracy, shared by every sketch using it (one hot object, not per-sketch boxed numbers). */
export interface BinScale {
  readonly relativeAccuracy: number;
  readonly lnGamma: number;
  readonly multiplier: number;
  readonly valueScale: number;
}

const SCALES = new Map<number, BinScale>();

/** The shared {@link BinScale} of a relative accuracy: a value `v` above the zero bucket lies in bin `ceil(ln v × multiplier)`. */
export function binScale(relativeAccuracy: number): BinScale {
  let scale = SCALES.get(relativeAccuracy);
  if (scale === undefined) {
    // A hair tighter than asked so floating-point rounding never crosses the bound.
    const alpha = relativeAccuracy * (1 - 1e-7);
    const gamma = (1 + alpha) / (1 - alpha);
    const lnGamma = Math.log(gamma);
    scale = { relativeAccuracy, lnGamma, multiplier: 1 / lnGamma, valueScale: 2 / (1 + gamma) };
    SCALES.set(relativeAccuracy, scale);
  }
  return scale;
}

/** The 0-based rank behind quantile `q` (clamped to [0, 1]) of `top + 1` values; Infinity past the last `q`. */
function rankAt(q: number | undefined, top: number): number {
  if (q === undefined) return Infinity;
  return (q < 0 ? 0 : q > 1 ? 1 : q) * top;
}

/**
 * Mergeable, subtractable quantile sketch with a guaranteed relative accuracy
 * (DDSketch-style logarithmic buckets).
 *
 * A positive value `v` falls in bin `i = ceil(log_γ v)` with γ = (1 + α)/(1 − α);
 * the bin reports `2γ^i/(γ + 1)`, which is within α·v of every value in
 * (γ^(i−1), γ^i]. So `quantile(q)` is within relative error α (default 1 %) of
 * the exact value at rank ⌊q·(n − 1)⌋ of the sorted input (lower nearest rank).
 * Values ≤ {@link SKETCH_MIN_INDEXABLE_VALUE} (0, negatives) go to a zero bucket
 * and are reported as exactly 0; NaN and ±Infinity values are ignored.
 *
 * Counts live in a dense `Float64Array` with an index offset, grown by doubling
 * and never longer than `maxBins` (default 2048, 16 KiB). With α = 1 % that
 * spans a value ratio of about 10^17, so real latencies never reach it; if they
 * do, the lowest bins are collapsed into the lowest kept bin (only the lowest
 * quantiles lose accuracy) — the bound holds whatever the input.
 *
 * @remarks Hand-written rather than a library: sliding windows need
 * {@link QuantileSketch.subtract} to expire buckets from a running total, which
 * published sketch libraries lack. `add` costs one `Math.log` and allocates
 * nothing once the bins cover the data's range.
 */
export class QuantileSketch {
  /** Guaranteed relative error α of every quantile of values above the zero bucket. */
  get relativeAccuracy(): number {
    return this.scale.relativeAccuracy;
  }

  /** Upper bound on the number of bins (memory ≤ 8 × maxBins bytes). */
  readonly maxBins: number;
  private readonly scale: BinScale;
  private bins: Float64Array = EMPTY;
  /** Bin index stored at `bins[0]`. */
  private offset = 0;
  /** Range of bin indices that may hold counts. Never shrinks except on `clear()`; counts below `minIndex` were collapsed into it. */
  private minIndex = NO_MIN;
  private maxIndex = NO_MAX;
  private zeroCount = 0;
  private total = 0;

  /**
   * @param relativeAccuracy α in (0, 1); default 0.01 (1 %).
   * @param maxBins bound on stored bins, integer ≥ 16; default 2048.
   */
  constructor(relativeAccuracy = 0.01, maxBins = 2048) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new InvariantError(`relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    if (!Number.isInteger(maxBins) || maxBins < 16) throw new InvariantError(`maxBins must be an integer ≥ 16, got ${maxBins}`);
    this.maxBins = maxBins;
    this.scale = binScale(relativeAccuracy);
  }

  /** Total weight added (minus weight subtracted). */
  get count(): number {
    return this.total;
  }

  /** True when the sketch holds no weight. */
  get isEmpty(): boolean {
    return this.total <= 0;
  }

  /**
   * Adds `value` with `weight` (default 1; non-positive or non-finite weights
   * are ignored). Hot path: one `Math.log`, no allocation in steady state.
   */
  add(value: number, weight = 1): void {
    if (!(weight > 0) || weight === Infinity) return;
    if (value > SKETCH_MIN_INDEXABLE_VALUE) {
      if (value === Infinity) return;
      const index = Math.ceil(Math.log(value) * this.scale.multiplier);
      if (index >= this.minIndex && index <= this.maxIndex) this.bins[index - this.offset]! += weight;
      else if (index >= this.offset && index < this.offset + this.bins.length) {
        // Inside the allocated bins (a recycled bucket's first values): widen the range in place, as addOutside would.
        this.bins[index - this.offset]! += weight;
        if (index < this.minIndex) this.minIndex = index;
        if (index > this.maxIndex) this.maxIndex = index;
      } else this.addOutside(index, weight);
    } else if (value <= SKETCH_MIN_INDEXABLE_VALUE) {
      this.zeroCount += weight;
    } else {
      return; // NaN
    }
    this.total += weight;
  }

  /** Adds every count of `other` (same relative accuracy required): the result is the sketch of the union. */
  merge(other: QuantileSketch): void {
    this.checkCompatible(other);
    if (other.total <= 0) return;
    this.zeroCount += other.zeroCount;
    const src = other.bins;
    for (let i = other.minIndex; i <= other.maxIndex; i++) {
      const c = src[i - other.offset]!;
      if (c !== 0) this.mergeBin(i, c);
    }
    this.total += other.total;
  }

  /**
   * {@link merge} of a sketch of the same relative accuracy held as `pairs`
   * (bin index, count) pairs at `data[from]`, ascending index, every count
   * positive, beside its zero count and total weight: what a dense sketch
   * with those bins would add, bin for bin.
   */
  mergeBins(zeroCount: number, total: number, data: Float64Array, from: number, pairs: number): void {
    if (total <= 0) return;
    this.zeroCount += zeroCount;
    for (let k = from, end = from + 2 * pairs; k < end; k += 2) this.mergeBin(data[k]!, data[k + 1]!);
    this.total += total;
  }

  /**
   * Removes the counts of `other`, which must have been merged into this
   * sketch earlier and not changed since (e.g. an expired bucket leaving a
   * window total). Merge then subtract restores the previous counts exactly
   * for integer weights. Counts never go below zero, so a misuse degrades
   * accuracy but never corrupts the sketch.
   */
  subtract(other: QuantileSketch): void {
    this.checkCompatible(other);
    if (other.total <= 0) return;
    let removed = this.subtractZeros(other.zeroCount);
    const src = other.bins;
    for (let i = other.minIndex; i <= other.maxIndex; i++) {
      const c = src[i - other.offset]!;
      if (c !== 0) removed += this.subtractBin(i, c);
    }
    this.subtractTotal(removed);
  }

  /** {@link subtract} of a sketch held as bin pairs (see {@link mergeBins}). */
  subtractBins(zeroCount: number, total: number, data: Float64Array, from: number, pairs: number): void {
    if (total <= 0) return;
    let removed = this.subtractZeros(zeroCount);
    for (let k = from, end = from + 2 * pairs; k < end; k += 2) removed += this.subtractBin(data[k]!, data[k + 1]!);
    this.subtractTotal(removed);
  }

  /** Adds `count` to bin `index`. */
  private mergeBin(index: number, count: number): void {
    if (index >= this.minIndex && index <= this.maxIndex) this.bins[index - this.offset]! += count;
    else this.addOutside(index, count);
  }

  private subtractZeros(count: number): number {
    const removed = Math.min(this.zeroCount, count);
    this.zeroCount -= removed;
    return removed;
  }

  /** Takes up to `count` from bin `index` (counts below minIndex were collapsed into it, see class docs); returns what it took. */
  private subtractBin(index: number, count: number): number {
    const target = index < this.minIndex ? this.minIndex : index;
    if (target > this.maxIndex) return 0;
    const slot = target - this.offset;
    const have = this.bins[slot]!;
    const take = count < have ? count : have;
    this.bins[slot] = have - take;
    return take;
  }

  private subtractTotal(removed: number): void {
    this.total -= removed;
    if (this.total <= 0) this.total = 0;
  }

  /**
   * Several quantiles in one pass over the bins. `qs` must be ascending; the
   * result matches {@link quantile} for each (null when empty).
   */
  quantiles(qs: readonly number[]): (number | null)[] {
    return this.quantilesInto(qs, new Array<number | null>(qs.length));
  }

  /** {@link quantiles} written into `out` (its first `qs.length` slots), which is returned: no array per call. */
  quantilesInto(qs: readonly number[], out: (number | null)[]): (number | null)[] {
    const n = qs.length;
    if (this.total <= 0) return out.fill(null, 0, n);
    // Evaluated once per judged window: no closure, no second pass.
    const top = this.total - 1;
    let k = 0;
    let rank = rankAt(qs[0], top);
    let cumulative = this.zeroCount;
    while (k < n && cumulative > rank) {
      out[k++] = 0;
      rank = rankAt(qs[k], top);
    }
    const bins = this.bins;
    const offset = this.offset;
    for (let i = this.minIndex; i <= this.maxIndex && k < n; i++) {
      cumulative += bins[i - offset]!;
      if (!(cumulative > rank)) continue;
      const value = this.valueOf(i);
      while (k < n && cumulative > rank) {
        out[k++] = value;
        rank = rankAt(qs[k], top);
      }
    }
    const last = this.maxIndex >= this.minIndex ? this.valueOf(this.maxIndex) : 0;
    while (k < n) out[k++] = last;
    return out;
  }

  /**
   * Value at quantile `q` ∈ [0, 1] (clamped), within the relative accuracy of
   * the exact value at rank ⌊q·(n − 1)⌋; null when empty or `q` is NaN.
   */
  quantile(q: number): number | null {
    if (this.total <= 0 || Number.isNaN(q)) return null;
    return this.valueAtRank((q < 0 ? 0 : q > 1 ? 1 : q) * (this.total - 1));
  }

  /**
   * Value of the element at 0-based `rank` of the sorted input (clamped to
   * [0, n − 1]), within the relative accuracy; null when empty. The order
   * statistic behind {@link quantile}, for rank-based confidence intervals.
   */
  valueAtRank(rank: number): number | null {
    if (this.total <= 0 || Number.isNaN(rank)) return null;
    const r = rank < 0 ? 0 : rank > this.total - 1 ? this.total - 1 : rank;
    let cumulative = this.zeroCount;
    if (cumulative > r) return 0;
    const bins = this.bins;
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      cumulative += bins[i - this.offset]!;
      if (cumulative > r) return this.valueOf(i);
    }
    return this.maxIndex >= this.minIndex ? this.valueOf(this.maxIndex) : 0;
  }

  /** Empties the sketch; keeps the allocated bins for reuse. */
  clear(): void {
    // Every non-zero bin lies in [minIndex, maxIndex]: zero just that range (a bucket sketch holds a few values).
    if (this.maxIndex >= this.minIndex) this.bins.fill(0, this.minIndex - this.offset, this.maxIndex - this.offset + 1);
    this.minIndex = NO_MIN;
    this.maxIndex = NO_MAX;
    this.zeroCount = 0;
    this.total = 0;
  }

  /** Approximate heap bytes held by this sketch. */
  approxBytes(): number {
    return 96 + this.bins.byteLength;
  }

  /** Number of bins currently allocated (≤ maxBins). */
  get allocatedBins(): number {
    return this.bins.length;
  }

  /**
   * The sketch's counts as a compact array of plain numbers, for a checkpoint:
   * `[zeroCount, total]` when no bin holds counts, else `[zeroCount, total,
   * minIndex, maxIndex, ...bins]` with the bins from minIndex to maxIndex and
   * each run of k empty bins written as −k. {@link restoreState} rebuilds a
   * sketch that answers every query, and evolves under every later add,
   * merge and subtract, exactly as this one.
   */
  exportState(): number[] {
    const out = [this.zeroCount, this.total];
    if (this.maxIndex < this.minIndex) return out;
    out.push(this.minIndex, this.maxIndex);
    let zeros = 0;
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      const c = this.bins[i - this.offset]!;
      if (c === 0) {
        zeros++;
        continue;
      }
      if (zeros > 0) out.push(-zeros);
      zeros = 0;
      out.push(c);
    }
    if (zeros > 0) out.push(-zeros);
    return out;
  }

  /**
   * Replaces the counts with those of an {@link exportState} array (same
   * relative accuracy and bin bound). Throws an InvariantError naming the
   * problem when the array is not one: nothing is changed then.
   */
  restoreState(state: readonly number[]): void {
    const [zeroCount, total, minIndex, maxIndex] = state;
    if (zeroCount === undefined || total === undefined || !(zeroCount >= 0) || !(total >= 0) || state.some((n) => typeof n !== 'number' || !Number.isFinite(n))) {
      throw new InvariantError('sketch state: expected finite numbers [zeroCount ≥ 0, total ≥ 0, …]');
    }
    if (minIndex === undefined) {
      this.clear();
      this.zeroCount = zeroCount;
      this.total = total;
      return;
    }
    if (maxIndex === undefined || !Number.isInteger(minIndex) || !Number.isInteger(maxIndex) || maxIndex < minIndex || maxIndex - minIndex + 1 > this.maxBins) {
      throw new InvariantError(`sketch state: bin range [${minIndex}, ${String(maxIndex)}] is not a range of at most ${this.maxBins} bins`);
    }
    const span = maxIndex - minIndex + 1;
    const counts = new Float64Array(span);
    let at = 0;
    for (let k = 4; k < state.length; k++) {
      const v = state[k]!;
      if (v < 0) {
        if (!Number.isInteger(v)) throw new InvariantError(`sketch state: empty-bin run ${v} is not an integer`);
        at -= v;
      } else counts[at++] = v;
      if (at > span) throw new InvariantError(`sketch state: more bins than the range [${minIndex}, ${maxIndex}] holds`);
    }
    if (at !== span) throw new InvariantError(`sketch state: ${at} bins for the range [${minIndex}, ${maxIndex}] of ${span}`);
    this.clear();
    this.relayout(minIndex, maxIndex);
    this.bins.set(counts, minIndex - this.offset);
    this.minIndex = minIndex;
    this.maxIndex = maxIndex;
    this.zeroCount = zeroCount;
    this.total = total;
  }

  private valueOf(index: number): number {
    const scale = this.scale;
    return Math.exp(index * scale.lnGamma) * scale.valueScale;
  }

  private checkCompatible(other: QuantileSketch): void {
    if (other.scale !== this.scale) {
      throw new InvariantError(`cannot combine sketches of relative accuracy ${this.relativeAccuracy} and ${other.relativeAccuracy}`);
    }
  }

  /** Slow path of add/merge: the index lies outside [minIndex, maxIndex]. */
  private addOutside(index: number, weight: number): void {
    if (this.minIndex > this.maxIndex) {
      this.relayout(index, index);
      this.minIndex = index;
      this.maxIndex = index;
      this.bins[index - this.offset]! += weight;
      return;
    }
    const lo = index < this.minIndex ? index : this.minIndex;
    const hi = index > this.maxIndex ? index : this.maxIndex;
    if (hi - lo + 1 <= this.maxBins) {
      this.relayout(lo, hi);
      this.minIndex = lo;
      this.maxIndex = hi;
      this.bins[index - this.offset]! += weight;
      return;
    }
    if (index < this.minIndex) {
      // Too far below: clamp into the lowest bin the bound allows.
      const floor = this.maxIndex - this.maxBins + 1;
      this.relayout(floor, this.maxIndex);
      this.minIndex = floor;
      this.bins[floor - this.offset]! += weight;
      return;
    }
    // Too far above: collapse the lowest bins into the new lowest bin.
    const newLo = index - this.maxBins + 1;
    let collapsed = 0;
    const last = Math.min(newLo - 1, this.maxIndex);
    for (let i = this.minIndex; i <= last; i++) {
      const slot = i - this.offset;
      collapsed += this.bins[slot]!;
      this.bins[slot] = 0;
    }
    const keptMin = Math.max(this.minIndex, newLo);
    this.minIndex = keptMin; // relayout copies only the kept range
    this.relayout(newLo, index);
    this.minIndex = newLo;
    this.maxIndex = index;
    this.bins[newLo - this.offset]! += collapsed;
    this.bins[index - this.offset]! += weight;
  }

  /**
   * Ensures the bins cover [lo, hi] (hi − lo < maxBins), copying the counts of
   * the current [minIndex, maxIndex] range when the array must move or grow.
   */
  private relayout(lo: number, hi: number): void {
    const length = this.bins.length;
    if (lo >= this.offset && hi < this.offset + length) return;
    const span = hi - lo + 1;
    if (span <= length) {
      // Fits: re-centre in place instead of growing. Recycled window buckets land
      // on other bins all the time; growing here doubled every array to maxBins.
      const newOffset = lo - Math.floor((length - span) / 2);
      const from = Math.max(this.minIndex, lo);
      const to = Math.min(this.maxIndex, hi);
      if (from <= to) {
        this.bins.copyWithin(from - newOffset, from - this.offset, to - this.offset + 1);
        this.bins.fill(0, 0, from - newOffset);
        this.bins.fill(0, to - newOffset + 1);
      } else if (this.minIndex <= this.maxIndex) {
        this.bins.fill(0);
      }
      // else: an empty (cleared) sketch's bins are all zero already — the common case of a recycled bucket.
      this.offset = newOffset;
      return;
    }
    let newLength = Math.max(INITIAL_BINS, length * 2);
    while (newLength < span) newLength *= 2;
    if (newLength > this.maxBins) newLength = this.maxBins;
    const newOffset = lo - Math.floor((newLength - span) / 2);
    const next = new Float64Array(newLength);
    const from = Math.max(this.minIndex, lo);
    const to = Math.min(this.maxIndex, hi);
    for (let i = from; i <= to; i++) next[i - newOffset] = this.bins[i - this.offset]!;
    this.bins = next;
    this.offset = newOffset;
  }
}
