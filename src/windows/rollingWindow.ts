import type { TelemetryEvent } from '../core/event.js';
import { InvariantError } from '../core/errors.js';
import { BucketPool } from './bucketPool.js';
import { StatsBucket, type StatsBucketState } from './statsBucket.js';

/** Options of a {@link RollingWindow}; all durations in ms of event time. */
export interface RollingWindowOptions {
  /** Width of one bucket; buckets are aligned: index = floor(ts / bucketMs). */
  readonly bucketMs: number;
  /** Width of the window, a whole multiple of `bucketMs`. */
  readonly windowMs: number;
  /** How long after its end a bucket stays open (informational: the caller's boundary enforces it). */
  readonly allowedLatenessMs: number;
  /** Relative accuracy of the latency sketches; default 0.01. */
  readonly relativeAccuracy?: number;
  /** Bin bound of the latency sketches; default 2048. */
  readonly maxBins?: number;
  /**
   * Where expired buckets go and new ones come from; share one among many
   * windows (same accuracy and bin bound). Default: a pool of this window's
   * own, {@link POOL_LIMIT} buckets.
   */
  readonly pool?: BucketPool;
}

/**
 * Result of {@link RollingWindow.add}: `ok` — added to an open bucket; `late` —
 * its bucket had already closed but lies inside the window: added to that
 * bucket and to the window total (counted from the next read); `too_late` —
 * older than the window (or `ts` not finite): not added.
 */
export type AddResult = 'ok' | 'late' | 'too_late';

/** A {@link RollingWindow} as plain JSON (see {@link RollingWindow.exportState}); bucket start = index × bucketMs. */
export interface RollingWindowState {
  readonly boundaryMs: number | null;
  readonly expiredSinceRebuild: number;
  readonly total: StatsBucketState;
  readonly closed: readonly (readonly [index: number, bucket: StatsBucketState])[];
  readonly open: readonly (readonly [index: number, bucket: StatsBucketState])[];
}

/** Free dense sketches a window without a shared pool keeps for reuse. */
const POOL_LIMIT = 4;
/** Slots a window's own pool grows by (a window holds about windowMs / bucketMs + 3 buckets). */
const OWN_POOL_CHUNK_SLOTS = 16;

/**
 * Event-time rolling window of one (route, variant), built from aligned
 * buckets so memory is bounded whatever the traffic.
 *
 * The caller moves a bucket-aligned, non-decreasing `boundaryMs` forward
 * (typically watermark − allowed lateness). Buckets ending at or before it are
 * closed: they sit in a running {@link windowTotal} over
 * [boundaryMs − windowMs, boundaryMs) and are subtracted from it as they fall
 * out. Buckets at or after the boundary are open. An event whose bucket has
 * already closed but still lies in the window is added to that bucket and to
 * the total (`'late'`): out-of-order input gives the same window as in-order
 * input. Only an event older than the window is refused (`'too_late'`);
 * nothing is ever mis-bucketed.
 *
 * Memory: at most windowMs/bucketMs closed buckets (empty ones are not kept),
 * the open buckets the caller's event times create (≈ allowed lateness /
 * bucketMs + 2 when event times are bounded ahead of the watermark), and a few
 * pooled buckets.
 *
 * @remarks Before the first {@link closeUntil}, `boundaryMs` is −Infinity and
 * every event is accepted. The running total's sums are recomputed from its
 * buckets once per window length of closes, so float rounding cannot drift
 * (sketch counts are integers and stay exact).
 */
export class RollingWindow {
  private readonly bucketMs: number;
  private readonly windowMs: number;
  private readonly allowedLatenessMs: number;
  private readonly relativeAccuracy: number;
  private readonly maxBins: number;
  private readonly total: StatsBucket;
  /**
   * Stored buckets, ascending index (start = index × bucketMs), and their pool slots (two parallel arrays, the
   * fewest objects a close touches): the first {@link closedCount} are the closed, non-empty buckets in the
   * window, the rest are open (every closed index is below the boundary, every open one at or above it).
   */
  private readonly indices: number[] = [];
  private readonly slots: number[] = [];
  private closedCount = 0;
  private readonly pool: BucketPool;
  private readonly ownsPool: boolean;
  private boundary = -Infinity;
  /**
   * Bucket index and slot of the open bucket that took the last event (slot −1: none). Never NaN: a field that
   * held a non-integer is a boxed number in V8, one more cache line on every add.
   */
  private lastIndex = 0;
  private lastSlot = -1;
  /** Slot of the closed bucket {@link place} found for a late event. */
  private lateSlot = -1;
  private expiredSinceRebuild = 0;
  /** Bumped whenever {@link windowTotal} may have changed. */
  private changes = 0;

  constructor(options: RollingWindowOptions) {
    const { bucketMs, windowMs, allowedLatenessMs } = options;
    if (!(bucketMs > 0) || !Number.isFinite(bucketMs)) throw new InvariantError(`bucketMs must be > 0, got ${bucketMs}`);
    if (!(windowMs >= bucketMs) || windowMs % bucketMs !== 0) {
      throw new InvariantError(`windowMs (${windowMs}) must be a whole multiple of bucketMs (${bucketMs})`);
    }
    if (!(allowedLatenessMs >= 0)) throw new InvariantError(`allowedLatenessMs must be ≥ 0, got ${allowedLatenessMs}`);
    this.bucketMs = bucketMs;
    this.windowMs = windowMs;
    this.allowedLatenessMs = allowedLatenessMs;
    this.relativeAccuracy = options.relativeAccuracy ?? 0.01;
    this.maxBins = options.maxBins ?? 2048;
    this.total = new StatsBucket(this.relativeAccuracy, this.maxBins);
    const pool = options.pool;
    if (pool !== undefined && (pool.relativeAccuracy !== this.relativeAccuracy || pool.maxBins !== this.maxBins)) {
      throw new InvariantError(`a shared bucket pool must use the window's sketch settings (relative accuracy ${this.relativeAccuracy}, ${this.maxBins} bins)`);
    }
    this.pool = pool ?? new BucketPool(POOL_LIMIT, this.relativeAccuracy, this.maxBins, OWN_POOL_CHUNK_SLOTS);
    this.ownsPool = pool === undefined;
    this.pool.watch(this, [this.slots]);
  }

  /** Every bucket ending at or before this (epoch ms) is closed; −Infinity before the first close. */
  get boundaryMs(): number {
    return this.boundary;
  }

  /** Aggregates of the closed buckets in [boundaryMs − windowMs, boundaryMs). Read-only for callers. */
  get windowTotal(): StatsBucket {
    return this.total;
  }

  /**
   * A number that changes whenever {@link windowTotal} may have changed (a
   * bucket closed into it or expired from it, a late event, a restore), so a
   * caller can tell that the window's statistics are still those it judged.
   */
  get version(): number {
    return this.changes;
  }

  /** Calls in the closed window plus the buckets still open, without allocating (a scrape reads it for every series). */
  get liveCount(): number {
    let count = this.total.count;
    for (let i = this.closedCount; i < this.slots.length; i++) count += this.pool.count(this.slots[i]!);
    return count;
  }

  /** True when no bucket is open and the window is empty: the caller may drop this window. */
  get isIdle(): boolean {
    return this.indices.length === 0;
  }

  /** Configured allowed lateness, ms. */
  get latenessMs(): number {
    return this.allowedLatenessMs;
  }

  /** Copies of the open buckets (at or after the boundary), ascending time. */
  openBuckets(): StatsBucket[] {
    return this.slots.slice(this.closedCount).map((slot) => {
      const copy = new StatsBucket(this.relativeAccuracy, this.maxBins);
      this.pool.mergeInto(copy, slot);
      return copy;
    });
  }

  /**
   * Adds an event to its bucket: an open one (`'ok'`), or a closed one still in
   * the window, which also updates the window total (`'late'`). Returns
   * `'too_late'` — and does not add it — when its bucket has left the window
   * (or `ts` is not finite).
   */
  add(event: TelemetryEvent, costUsd: number | undefined = event.costUsd): AddResult {
    const index = Math.floor(event.ts / this.bucketMs);
    if (index === this.lastIndex && this.lastSlot >= 0) {
      this.pool.add(this.lastSlot, event, costUsd);
      return 'ok';
    }
    const placed = this.place(index);
    if (placed === 'ok') this.pool.add(this.lastSlot, event, costUsd);
    else if (placed === 'late') {
      this.pool.add(this.lateSlot, event, costUsd);
      this.total.add(event, costUsd);
      this.changes++;
    }
    return placed;
  }

  /** Adds `weight` latency-only calls at `ts` in O(1) (see {@link StatsBucket.addLatencyCalls}). */
  addLatencyCalls(ts: number, latencyMs: number, weight: number): AddResult {
    const placed = this.place(Math.floor(ts / this.bucketMs));
    if (placed === 'ok') this.pool.addLatencyCalls(this.lastSlot, latencyMs, weight);
    else if (placed === 'late') {
      this.pool.addLatencyCalls(this.lateSlot, latencyMs, weight);
      this.total.addLatencyCalls(latencyMs, weight);
      this.changes++;
    }
    return placed;
  }

  /**
   * Finds where data of bucket `index` goes, the one placement rule for every kind of add: an open bucket
   * (`'ok'`, left in `lastSlot`), a closed bucket still inside the window (`'late'`, left in `lateSlot`;
   * the caller also adds to the window total), or nowhere (`'too_late'`).
   */
  private place(index: number): AddResult {
    if (!Number.isFinite(index)) return 'too_late';
    if (index * this.bucketMs < this.boundary) {
      const closed = this.closedBucket(index);
      if (closed < 0) return 'too_late';
      this.lateSlot = closed;
      return 'late';
    }
    this.lastSlot = this.slotOf(this.closedCount, this.indices.length, index);
    this.lastIndex = index;
    return 'ok';
  }

  /**
   * Closes every open bucket ending at or before `boundaryMs` (aligned down to
   * a bucket start) into the window total and expires closed buckets starting
   * before `boundaryMs − windowMs`. A boundary not above the current one does
   * nothing. Cost is O(stored buckets) whatever the jump.
   */
  closeUntil(boundaryMs: number): void {
    const target = Math.floor(boundaryMs / this.bucketMs) * this.bucketMs;
    if (!(target > this.boundary)) return;
    const closeBelow = target / this.bucketMs;
    const keepFrom = (target - this.windowMs) / this.bucketMs;
    this.boundary = target;
    if (this.lastIndex < closeBelow) this.lastSlot = -1;
    const pool = this.pool;
    const indices = this.indices;
    const slots = this.slots;
    let closedCount = this.closedCount;

    if (closedCount > 0 && indices[closedCount - 1]! < keepFrom) {
      // The jump passed the whole window: drop it instead of subtracting bucket by bucket.
      for (let i = 0; i < closedCount; i++) pool.give(slots[i]!);
      removeFirst(indices, closedCount);
      removeFirst(slots, closedCount);
      closedCount = 0;
      this.total.clear();
      this.expiredSinceRebuild = 0;
      this.changes++;
    }

    // Open buckets ending by the boundary close in place; one too old for the window, or empty, is dropped.
    let i = closedCount;
    let dropped = 0;
    for (; i < indices.length && indices[i]! < closeBelow; i++) {
      const slot = slots[i]!;
      if (indices[i]! < keepFrom || !(pool.count(slot) > 0)) {
        pool.give(slot);
        dropped++;
        continue;
      }
      if (dropped > 0) {
        indices[i - dropped] = indices[i]!;
        slots[i - dropped] = slot;
      }
      pool.mergeInto(this.total, slot);
      this.changes++;
    }
    if (dropped > 0) {
      indices.splice(i - dropped, dropped);
      slots.splice(i - dropped, dropped);
    }
    closedCount = i - dropped;

    let expired = 0;
    while (expired < closedCount && indices[expired]! < keepFrom) {
      const slot = slots[expired]!;
      pool.subtractFrom(this.total, slot);
      pool.give(slot);
      expired++;
    }
    if (expired > 0) {
      this.changes++;
      removeFirst(indices, expired);
      removeFirst(slots, expired);
      closedCount -= expired;
      this.expiredSinceRebuild += expired;
    }
    this.closedCount = closedCount;
    if (closedCount === 0) {
      this.total.clear();
      this.expiredSinceRebuild = 0;
    } else if (this.expiredSinceRebuild >= this.windowMs / this.bucketMs) {
      this.rebuildSums();
    }
  }

  /**
   * Gives every bucket back to the pool and empties the window (as before
   * the first event): for an owner dropping it, so a shared pool's slots do
   * not wait for garbage collection.
   */
  release(): void {
    for (const slot of this.slots) this.pool.give(slot);
    this.indices.length = 0;
    this.slots.length = 0;
    this.closedCount = 0;
    this.total.clear();
    this.boundary = -Infinity;
    this.expiredSinceRebuild = 0;
    this.lastSlot = -1;
    this.lateSlot = -1;
    this.changes++;
  }

  /** Approximate heap bytes held by this window (buckets, sketches, and its own pool — not a shared one). */
  approxBytes(): number {
    let bytes = 200 + this.total.approxBytes();
    for (const slot of this.slots) bytes += 16 + this.pool.slotBytes(slot);
    if (this.ownsPool) bytes += this.pool.approxBytes();
    return bytes;
  }

  /**
   * The window as plain JSON, for a checkpoint: its boundary (null before the
   * first close), the closes since the last rebuild of the total's sums, the
   * running total exactly as it stands, and every closed and open bucket by
   * index. A window restored from it ({@link restoreState}) reads and
   * evolves exactly as this one.
   */
  exportState(): RollingWindowState {
    const buckets = (from: number, to: number): [number, StatsBucketState][] =>
      this.indices.slice(from, to).map((index, i) => [index, this.pool.exportState(this.slots[from + i]!)]);
    return {
      boundaryMs: Number.isFinite(this.boundary) ? this.boundary : null,
      expiredSinceRebuild: this.expiredSinceRebuild,
      total: this.total.exportState(),
      closed: buckets(0, this.closedCount),
      open: buckets(this.closedCount, this.indices.length),
    };
  }

  /** Replaces the window's contents with an {@link exportState} value; throws an InvariantError (changing nothing) when it is not one. */
  restoreState(state: RollingWindowState): void {
    const { boundaryMs, expiredSinceRebuild, total, closed, open } = state;
    if ((boundaryMs !== null && !Number.isFinite(boundaryMs)) || !(expiredSinceRebuild >= 0) || !Array.isArray(closed) || !Array.isArray(open)) {
      throw new InvariantError('window state: expected {boundaryMs, expiredSinceRebuild, total, closed, open}');
    }
    const checkIndices = (list: readonly (readonly [number, StatsBucketState])[], what: string): void => {
      let previous = -Infinity;
      for (const [index] of list) {
        if (!Number.isInteger(index) || index <= previous) throw new InvariantError(`window state: ${what} bucket indices must be ascending integers`);
        previous = index;
      }
    };
    checkIndices(closed, 'closed');
    checkIndices(open, 'open');
    // Everything is read (and checked) before anything changes: into new slots, freed again on a bad bucket.
    const check = new StatsBucket(this.relativeAccuracy, this.maxBins);
    check.restoreState(total);
    const slots: number[] = [];
    try {
      for (const [, bucket] of [...closed, ...open]) {
        const slot = this.pool.take();
        slots.push(slot);
        this.pool.restoreState(slot, bucket);
      }
    } catch (error) {
      for (const slot of slots) this.pool.give(slot);
      throw error;
    }
    for (const slot of this.slots) this.pool.give(slot);
    this.boundary = boundaryMs ?? -Infinity;
    this.expiredSinceRebuild = expiredSinceRebuild;
    this.total.restoreState(total);
    replace(this.indices, [...closed, ...open].map(([index]) => index));
    replace(this.slots, slots);
    this.closedCount = closed.length;
    this.lastSlot = -1;
    this.lateSlot = -1;
    this.changes++;
  }

  /**
   * The slot of closed bucket `index` (taken empty when no event had reached it), or
   * −1 when it lies before the window: [boundary − windowMs, boundary).
   */
  private closedBucket(index: number): number {
    if (index * this.bucketMs < this.boundary - this.windowMs) return -1;
    const stored = this.indices.length;
    const slot = this.slotOf(0, this.closedCount, index);
    if (this.indices.length > stored) this.closedCount++;
    return slot;
  }

  /**
   * The slot of bucket `index`, searched among the stored buckets [from, to) (the closed ones or the open
   * ones) and taken from the pool and inserted in order when no event had reached it. Searched from the newest end, which takes nearly all traffic (out-of-order
   * batches too mostly hit the newest closed buckets).
   */
  private slotOf(from: number, to: number, index: number): number {
    const indices = this.indices;
    const slots = this.slots;
    let i = to;
    while (i > from && indices[i - 1]! > index) i--;
    if (i > from && indices[i - 1] === index) return slots[i - 1]!;
    const slot = this.pool.take();
    if (i === indices.length) {
      indices.push(index);
      slots.push(slot);
    } else {
      indices.splice(i, 0, index);
      slots.splice(i, 0, slot);
    }
    return slot;
  }

  private rebuildSums(): void {
    this.total.sums.fill(0);
    for (let i = 0; i < this.closedCount; i++) this.pool.addSumsTo(this.total, this.slots[i]!);
    this.expiredSinceRebuild = 0;
  }
}

/** Drops the first `n` elements. shift() for the usual single one: splice would allocate the removed array on every close. */
function removeFirst(list: number[], n: number): void {
  if (n === 1) list.shift();
  else if (n > 0) list.splice(0, n);
}

function replace(list: number[], items: readonly number[]): void {
  list.length = 0;
  for (const item of items) list.push(item);
}
