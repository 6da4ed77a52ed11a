import type { TelemetryEvent } from '../core/event.js';
import { InvariantError } from '../core/errors.js';
import { binScale, QuantileSketch, SKETCH_MIN_INDEXABLE_VALUE } from './quantileSketch.js';
import { addEventSums, addLatencyCallSums, checkSumsState, combineSums, StatsBucket, SUM_COUNT, type StatsBucketState } from './statsBucket.js';

// A slot's layout (numbers from its start): the sums ({@link SUM_FIELDS} order), then its latency sketch.
/** Weight of latencies at or below {@link SKETCH_MIN_INDEXABLE_VALUE}. */
const ZERO = SUM_COUNT;
/** Total latency weight. */
const WEIGHT = SUM_COUNT + 1;
/** n ≥ 0: the sketch is the n (bin index, count) pairs from {@link PAIRS}, ascending index; n < 0: it is dense sketch −1 − n. */
const SHAPE = SUM_COUNT + 2;
const PAIRS = SUM_COUNT + 3;
/**
 * Distinct latency bins a slot holds inline. A 10-s bucket of a series with
 * a call every few seconds holds 1–4; a busier one spills into a dense sketch
 * (then the slot costs about what the bucket object it replaced did: the
 * slab saves memory only on quiet series, which are most of them).
 */
const INLINE_BINS = 4;
/** Numbers per slot: 35 × 8 bytes = 280 bytes. */
const STRIDE = PAIRS + 2 * INLINE_BINS;
/** Numbers a slot clears when taken: its sums and sketch header (pairs beyond the count are never read). */
const HEADER = PAIRS;

/**
 * Window buckets of many rolling windows, in one slab of numbers: a bucket
 * is a slot (an integer), its sums and a sparse latency sketch of up to
 * {@link INLINE_BINS} bins 280 contiguous bytes, with no object of its own.
 * Closing a bucket into a window total, expiring it and reusing it each read
 * those few cache lines, where a {@link StatsBucket} object is a dozen
 * separate objects (number boxes, the sketch and its bins) spread over the
 * heap. A bucket with more distinct latency bins than that spills into a
 * dense {@link QuantileSketch}; the results are those of a `StatsBucket`
 * either way, bin for bin.
 *
 * @remarks Shared by the engine's windows (same accuracy and bin bound): a
 * slot that leaves one series' window serves the next bucket another opens.
 * The slab grows by chunks and keeps them (its size is the most buckets live
 * at once); at most `limit` cleared dense sketches are kept for reuse.
 */
export class BucketPool {
  private readonly chunks: Float64Array[] = [];
  private readonly chunkShift: number;
  private readonly chunkMask: number;
  /** Free slots, the most recently freed (warmest) last. */
  private readonly freeSlots: number[] = [];
  private slotCount = 0;
  /** Dense sketches of spilled slots by id; null: an id whose sketch was dropped. */
  private readonly dense: (QuantileSketch | null)[] = [];
  /** Ids in {@link dense} free for reuse (their sketches cleared). */
  private readonly freeDense: number[] = [];
  private readonly multiplier: number;
  /** Gives back the slots of an owner dropped without {@link RollingWindow.release}: its slot lists as they stand then. */
  private readonly orphans = new FinalizationRegistry<readonly (readonly number[])[]>((lists) => {
    for (const list of lists) for (const slot of list) this.give(slot);
  });

  /**
   * @param limit most free dense sketches kept (≥ 0).
   * @param relativeAccuracy and @param maxBins configure the buckets' sketches; a pool serves only windows using the same.
   * @param chunkSlots slots the slab grows by (a power of two).
   */
  constructor(
    readonly limit: number,
    readonly relativeAccuracy = 0.01,
    readonly maxBins = 2048,
    chunkSlots = 1024,
  ) {
    if (!Number.isInteger(Math.log2(chunkSlots))) throw new InvariantError(`chunkSlots must be a power of two, got ${chunkSlots}`);
    this.chunkShift = Math.log2(chunkSlots);
    this.chunkMask = chunkSlots - 1;
    new QuantileSketch(relativeAccuracy, maxBins); // checks both
    this.multiplier = binScale(relativeAccuracy).multiplier;
  }

  /** A cleared slot: a freed one, or a new one (the slab grows by a chunk when full). */
  take(): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.slotCount++;
      if (slot >> this.chunkShift >= this.chunks.length) this.chunks.push(new Float64Array((this.chunkMask + 1) * STRIDE));
      return slot; // a new chunk's numbers are zero
    }
    this.data(slot).fill(0, this.at(slot), this.at(slot) + HEADER);
    return slot;
  }

  /**
   * Frees the slots in `lists` once `owner` is garbage-collected: a safety
   * net for an owner dropped without freeing its slots (the lists are read
   * then, so an owner keeps them current and empties them when it frees
   * them itself; they must not reference the owner).
   */
  watch(owner: object, lists: readonly (readonly number[])[]): void {
    this.orphans.register(owner, lists);
  }

  /** Frees a slot no longer referenced (its dense sketch, if any, goes back too). */
  give(slot: number): void {
    const d = this.data(slot);
    const shape = d[this.at(slot) + SHAPE]!;
    if (shape < 0) this.freeSketch(-1 - shape);
    this.freeSlots.push(slot);
  }

  /** Free slots held. */
  get size(): number {
    return this.freeSlots.length;
  }

  /** Calls in a slot. */
  count(slot: number): number {
    return this.data(slot)[this.at(slot)]!;
  }

  /** Adds one event to a slot (see {@link StatsBucket.add}). */
  add(slot: number, event: TelemetryEvent, costUsd: number | undefined): void {
    const d = this.data(slot);
    const at = this.at(slot);
    addEventSums(d, at, event, costUsd);
    this.addLatency(d, at, event.latencyMs, 1);
  }

  /** Adds `weight` latency-only calls to a slot (see {@link StatsBucket.addLatencyCalls}). */
  addLatencyCalls(slot: number, latencyMs: number, weight: number): void {
    if (!(weight > 0) || !Number.isFinite(weight)) return;
    const d = this.data(slot);
    const at = this.at(slot);
    addLatencyCallSums(d, at, latencyMs, weight);
    this.addLatency(d, at, latencyMs, weight);
  }

  /** `total.merge(bucket of slot)`. */
  mergeInto(total: StatsBucket, slot: number): void {
    const d = this.data(slot);
    const at = this.at(slot);
    combineSums(total.sums, 0, d, at, 1);
    const shape = d[at + SHAPE]!;
    if (shape < 0) total.latencyMs.merge(this.dense[-1 - shape]!);
    else total.latencyMs.mergeBins(d[at + ZERO]!, d[at + WEIGHT]!, d, at + PAIRS, shape);
  }

  /** `total.subtract(bucket of slot)`. */
  subtractFrom(total: StatsBucket, slot: number): void {
    const d = this.data(slot);
    const at = this.at(slot);
    combineSums(total.sums, 0, d, at, -1);
    const shape = d[at + SHAPE]!;
    if (shape < 0) total.latencyMs.subtract(this.dense[-1 - shape]!);
    else total.latencyMs.subtractBins(d[at + ZERO]!, d[at + WEIGHT]!, d, at + PAIRS, shape);
    total.clearIfEmpty();
  }

  /** Adds a slot's sums (not its sketch) to `total`'s: a window recomputes its total's sums from its buckets so float rounding cannot drift. */
  addSumsTo(total: StatsBucket, slot: number): void {
    combineSums(total.sums, 0, this.data(slot), this.at(slot), 1);
  }

  /** A slot as a {@link StatsBucket.exportState} value (the same numbers a `StatsBucket` with its contents gives). */
  exportState(slot: number): StatsBucketState {
    const d = this.data(slot);
    const at = this.at(slot);
    const sums = Array.from(d.subarray(at, at + SUM_COUNT));
    const shape = d[at + SHAPE]!;
    if (shape < 0) return [sums, this.dense[-1 - shape]!.exportState()];
    const latency = [d[at + ZERO]!, d[at + WEIGHT]!];
    if (shape === 0) return [sums, latency];
    const first = at + PAIRS;
    const last = first + 2 * (shape - 1);
    latency.push(d[first]!, d[last]!);
    for (let k = first; k <= last; k += 2) {
      if (k > first) {
        const gap = d[k]! - d[k - 2]! - 1;
        if (gap > 0) latency.push(-gap);
      }
      latency.push(d[k + 1]!);
    }
    return [sums, latency];
  }

  /**
   * Replaces a slot's contents with a {@link StatsBucket.exportState} value;
   * throws an InvariantError (changing nothing) when it is not one.
   */
  restoreState(slot: number, state: StatsBucketState): void {
    const [sums, latency] = checkSumsState(state);
    new QuantileSketch(this.relativeAccuracy, this.maxBins).restoreState(latency); // checks it
    const d = this.data(slot);
    const at = this.at(slot);
    const old = d[at + SHAPE]!;
    if (old < 0) this.freeSketch(-1 - old);
    d.set(sums, at);
    const pairs = inlinePairs(latency);
    if (pairs === null) {
      const id = this.takeSketch();
      this.dense[id]!.restoreState(latency);
      d[at + SHAPE] = -1 - id;
      return;
    }
    d[at + ZERO] = latency[0]!;
    d[at + WEIGHT] = latency[1]!;
    d[at + SHAPE] = pairs.length / 2;
    d.set(pairs, at + PAIRS);
  }

  /** Approximate bytes held by a slot. */
  slotBytes(slot: number): number {
    const shape = this.data(slot)[this.at(slot) + SHAPE]!;
    return STRIDE * 8 + (shape < 0 ? this.dense[-1 - shape]!.approxBytes() : 0);
  }

  /** Approximate bytes held by the free slots and the free dense sketches. */
  approxBytes(): number {
    let bytes = this.freeSlots.length * STRIDE * 8;
    for (const id of this.freeDense) bytes += this.dense[id]?.approxBytes() ?? 0;
    return bytes;
  }

  private data(slot: number): Float64Array {
    return this.chunks[slot >> this.chunkShift]!;
  }

  private at(slot: number): number {
    return (slot & this.chunkMask) * STRIDE;
  }

  /** {@link QuantileSketch.add} on a slot's sketch: inline while it has at most INLINE_BINS bins, then dense. */
  private addLatency(d: Float64Array, at: number, value: number, weight: number): void {
    const shape = d[at + SHAPE]!;
    if (shape < 0) {
      this.dense[-1 - shape]!.add(value, weight);
      return;
    }
    if (value > SKETCH_MIN_INDEXABLE_VALUE) {
      if (value === Infinity) return;
      const index = Math.ceil(Math.log(value) * this.multiplier);
      const first = at + PAIRS;
      const end = first + 2 * shape;
      let k = first;
      while (k < end && d[k]! < index) k += 2;
      if (k < end && d[k] === index) d[k + 1]! += weight;
      else if (shape < INLINE_BINS && (shape === 0 || fitsSpan(d[first]!, d[end - 2]!, index, this.maxBins))) {
        d.copyWithin(k + 2, k, end);
        d[k] = index;
        d[k + 1] = weight;
        d[at + SHAPE] = shape + 1;
      } else {
        this.spill(d, at).add(value, weight);
        return;
      }
    } else if (value <= SKETCH_MIN_INDEXABLE_VALUE) {
      d[at + ZERO]! += weight;
    } else {
      return; // NaN
    }
    d[at + WEIGHT]! += weight;
  }

  /**
   * Moves a slot's inline sketch into a dense one, which it returns: the
   * same bins a dense sketch fed the same values holds (the inline bins span
   * at most maxBins, so none had to be collapsed).
   */
  private spill(d: Float64Array, at: number): QuantileSketch {
    const id = this.takeSketch();
    const sketch = this.dense[id]!;
    sketch.mergeBins(d[at + ZERO]!, d[at + WEIGHT]!, d, at + PAIRS, d[at + SHAPE]!);
    d[at + SHAPE] = -1 - id;
    return sketch;
  }

  /** The id of a cleared dense sketch. */
  private takeSketch(): number {
    let id = this.freeDense.pop();
    if (id === undefined) {
      id = this.dense.length;
      this.dense.push(null);
    }
    this.dense[id] ??= new QuantileSketch(this.relativeAccuracy, this.maxBins);
    return id;
  }

  private freeSketch(id: number): void {
    if (this.freeDense.length >= this.limit) this.dense[id] = null;
    else this.dense[id]!.clear();
    this.freeDense.push(id);
  }
}

/** True when bins `lowest`…`highest` and `index` lie within `maxBins` consecutive bins (what a dense sketch holds uncollapsed). */
function fitsSpan(lowest: number, highest: number, index: number, maxBins: number): boolean {
  return (index > highest ? index : highest) - (index < lowest ? index : lowest) < maxBins;
}

/**
 * A sketch state's bins as inline (index, count) pairs, or null when it does
 * not fit a slot: more than {@link INLINE_BINS} non-empty bins, or an empty
 * bin at either end of its range (a dense sketch keeps that range).
 */
function inlinePairs(latency: readonly number[]): number[] | null {
  if (latency.length <= 2) return [];
  const pairs: number[] = [];
  let index = latency[2]!;
  for (let k = 4; k < latency.length; k++) {
    const v = latency[k]!;
    if (v < 0) {
      index -= v;
      continue;
    }
    if (v === 0 || pairs.length === 2 * INLINE_BINS) return null;
    pairs.push(index++, v);
  }
  return pairs[0] === latency[2] && pairs[pairs.length - 2] === latency[3] ? pairs : null;
}
