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

interface IndexedBucket {
  /** Bucket index: start = index × bucketMs. */
  index: number;
  readonly stats: StatsBucket;
}

/** A {@link RollingWindow} as plain JSON (see {@link RollingWindow.exportState}); bucket start = index × bucketMs. */
export interface RollingWindowState {
  readonly boundaryMs: number | null;
  readonly expiredSinceRebuild: number;
  readonly total: StatsBucketState;
  readonly closed: readonly (readonly [index: number, bucket: StatsBucketState])[];
  readonly open: readonly (readonly [index: number, bucket: StatsBucketState])[];
}

/** Free buckets a window without a shared pool keeps for reuse. */
const POOL_LIMIT = 4;

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
  /** Closed, non-empty buckets in the window, ascending index. */
  private readonly closed: IndexedBucket[] = [];
  /** Open buckets, ascending index. */
  private readonly open: IndexedBucket[] = [];
  private readonly pool: BucketPool;
  private readonly ownsPool: boolean;
  private boundary = -Infinity;
  /** Bucket index and stats of the open bucket that took the last event (NaN/null: none). */
  private lastIndex = Number.NaN;
  private lastStats: StatsBucket | null = null;
  private lateStats: StatsBucket | null = null;
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
    this.pool = pool ?? new BucketPool(POOL_LIMIT, this.relativeAccuracy, this.maxBins);
    this.ownsPool = pool === undefined;
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
    for (const bucket of this.open) count += bucket.stats.count;
    return count;
  }

  /** True when no bucket is open and the window is empty: the caller may drop this window. */
  get isIdle(): boolean {
    return this.open.length === 0 && this.closed.length === 0;
  }

  /** Configured allowed lateness, ms. */
  get latenessMs(): number {
    return this.allowedLatenessMs;
  }

  /** Open buckets (at or after the boundary), ascending time. Read-only for callers. */
  openBuckets(): StatsBucket[] {
    return this.open.map((b) => b.stats);
  }

  /**
   * Adds an event to its bucket: an open one (`'ok'`), or a closed one still in
   * the window, which also updates the window total (`'late'`). Returns
   * `'too_late'` — and does not add it — when its bucket has left the window
   * (or `ts` is not finite).
   */
  add(event: TelemetryEvent, costUsd: number | undefined = event.costUsd): AddResult {
    const index = Math.floor(event.ts / this.bucketMs);
    if (index === this.lastIndex) {
      this.lastStats!.add(event, costUsd);
      return 'ok';
    }
    const placed = this.place(index);
    if (placed === 'ok') this.lastStats!.add(event, costUsd);
    else if (placed === 'late') {
      this.lateStats!.add(event, costUsd);
      this.total.add(event, costUsd);
      this.changes++;
    }
    return placed;
  }

  /** Adds `weight` latency-only calls at `ts` in O(1) (see {@link StatsBucket.addLatencyCalls}). */
  addLatencyCalls(ts: number, latencyMs: number, weight: number): AddResult {
    const placed = this.place(Math.floor(ts / this.bucketMs));
    if (placed === 'ok') this.lastStats!.addLatencyCalls(latencyMs, weight);
    else if (placed === 'late') {
      this.lateStats!.addLatencyCalls(latencyMs, weight);
      this.total.addLatencyCalls(latencyMs, weight);
      this.changes++;
    }
    return placed;
  }

  /**
   * Finds where data of bucket `index` goes, the one placement rule for every kind of add: an open bucket
   * (`'ok'`, left in `lastStats`), a closed bucket still inside the window (`'late'`, left in `lateStats`;
   * the caller also adds to the window total), or nowhere (`'too_late'`).
   */
  private place(index: number): AddResult {
    if (!Number.isFinite(index)) return 'too_late';
    if (index * this.bucketMs < this.boundary) {
      const closed = this.closedBucket(index);
      if (closed === null) return 'too_late';
      this.lateStats = closed;
      return 'late';
    }
    const bucket = this.openBucket(index);
    this.lastIndex = index;
    this.lastStats = bucket.stats;
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
    if (this.lastIndex < closeBelow) {
      this.lastIndex = Number.NaN;
      this.lastStats = null;
    }

    const newest = this.closed[this.closed.length - 1];
    if (newest !== undefined && newest.index < keepFrom) {
      // The jump passed the whole window: drop it instead of subtracting bucket by bucket.
      for (const b of this.closed) this.recycle(b.stats);
      this.closed.length = 0;
      this.total.clear();
      this.expiredSinceRebuild = 0;
      this.changes++;
    }

    let moved = 0;
    while (moved < this.open.length && this.open[moved]!.index < closeBelow) moved++;
    for (let i = 0; i < moved; i++) {
      const b = this.open[i]!;
      if (b.index < keepFrom || b.stats.isEmpty) {
        this.recycle(b.stats);
        continue;
      }
      this.closed.push(b);
      this.total.merge(b.stats);
      this.changes++;
    }
    // shift() for the usual single bucket: splice would allocate the removed array on every close.
    if (moved === 1) this.open.shift();
    else if (moved > 0) this.open.splice(0, moved);

    let expired = 0;
    while (expired < this.closed.length && this.closed[expired]!.index < keepFrom) {
      const b = this.closed[expired]!;
      this.total.subtract(b.stats);
      this.recycle(b.stats);
      expired++;
    }
    if (expired > 0) {
      this.changes++;
      if (expired === 1) this.closed.shift();
      else this.closed.splice(0, expired);
      this.expiredSinceRebuild += expired;
    }
    if (this.closed.length === 0) {
      this.total.clear();
      this.expiredSinceRebuild = 0;
    } else if (this.expiredSinceRebuild >= this.windowMs / this.bucketMs) {
      this.rebuildSums();
    }
  }

  /** Approximate heap bytes held by this window (buckets, sketches, and its own pool — not a shared one). */
  approxBytes(): number {
    let bytes = 200 + this.total.approxBytes();
    for (const b of this.closed) bytes += 40 + b.stats.approxBytes();
    for (const b of this.open) bytes += 40 + b.stats.approxBytes();
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
    const buckets = (list: readonly IndexedBucket[]): [number, StatsBucketState][] => list.map((b) => [b.index, b.stats.exportState()]);
    return {
      boundaryMs: Number.isFinite(this.boundary) ? this.boundary : null,
      expiredSinceRebuild: this.expiredSinceRebuild,
      total: this.total.exportState(),
      closed: buckets(this.closed),
      open: buckets(this.open),
    };
  }

  /** Replaces the window's contents with an {@link exportState} value; throws an InvariantError (changing nothing) when it is not one. */
  restoreState(state: RollingWindowState): void {
    const { boundaryMs, expiredSinceRebuild, total, closed, open } = state;
    if ((boundaryMs !== null && !Number.isFinite(boundaryMs)) || !(expiredSinceRebuild >= 0) || !Array.isArray(closed) || !Array.isArray(open)) {
      throw new InvariantError('window state: expected {boundaryMs, expiredSinceRebuild, total, closed, open}');
    }
    const fresh = (): StatsBucket => new StatsBucket(this.relativeAccuracy, this.maxBins);
    const read = (list: readonly (readonly [number, StatsBucketState])[], what: string): IndexedBucket[] => {
      let previous = -Infinity;
      return list.map(([index, bucket]) => {
        if (!Number.isInteger(index) || index <= previous) throw new InvariantError(`window state: ${what} bucket indices must be ascending integers`);
        previous = index;
        const stats = fresh();
        stats.restoreState(bucket);
        return { index, stats };
      });
    };
    // Everything is read (and checked) before anything changes.
    fresh().restoreState(total);
    const closedBuckets = read(closed, 'closed');
    const openBuckets = read(open, 'open');
    this.boundary = boundaryMs ?? -Infinity;
    this.expiredSinceRebuild = expiredSinceRebuild;
    this.total.restoreState(total);
    this.closed.length = 0;
    this.closed.push(...closedBuckets);
    this.open.length = 0;
    this.open.push(...openBuckets);
    this.lastIndex = Number.NaN;
    this.lastStats = null;
    this.lateStats = null;
    this.changes++;
  }

  private openBucket(index: number): IndexedBucket {
    const open = this.open;
    let i = open.length;
    // Newest buckets are at the end and take nearly all traffic.
    while (i > 0 && open[i - 1]!.index > index) i--;
    const before = open[i - 1];
    if (before !== undefined && before.index === index) return before;
    const created: IndexedBucket = { index, stats: this.pool.take() };
    open.splice(i, 0, created);
    return created;
  }

  /**
   * The closed bucket `index` (created empty when no event had reached it), or
   * null when it lies before the window: [boundary − windowMs, boundary).
   */
  private closedBucket(index: number): StatsBucket | null {
    if (index * this.bucketMs < this.boundary - this.windowMs) return null;
    const closed = this.closed;
    let i = closed.length;
    // Out-of-order batches mostly hit the newest closed buckets.
    while (i > 0 && closed[i - 1]!.index > index) i--;
    const before = closed[i - 1];
    if (before !== undefined && before.index === index) return before.stats;
    const created: IndexedBucket = { index, stats: this.pool.take() };
    closed.splice(i, 0, created);
    return created.stats;
  }

  private recycle(stats: StatsBucket): void {
    this.pool.give(stats);
  }

  private rebuildSums(): void {
    this.total.recomputeSums(this.closed.map((b) => b.stats));
    this.expiredSinceRebuild = 0;
  }
}
