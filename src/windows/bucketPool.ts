import { StatsBucket } from './statsBucket.js';

/**
 * Free {@link StatsBucket}s shared by many rolling windows, so a bucket that
 * leaves one series' window serves the next bucket another series opens.
 *
 * @remarks Per window, buckets opened and expired balance only on average:
 * with a call every few seconds a series' count of non-empty buckets wanders,
 * and a small per-window pool kept running dry (a new bucket, its sketch bins
 * grown 32 → 64 → 128) and overflowing (garbage) — a third of replay's time
 * with 2,000 series. Over many series the two rates balance, so one bounded
 * pool rarely misses. Holds at most `limit` buckets (each ≈ 0.3–1.3 KB with its
 * sketch bins): a fixed memory bound whatever the number of series.
 */
export class BucketPool {
  private readonly free: StatsBucket[] = [];

  /**
   * @param limit most free buckets kept (≥ 0).
   * @param relativeAccuracy and @param maxBins configure new buckets' sketches; a pool serves only windows using the same.
   */
  constructor(
    readonly limit: number,
    readonly relativeAccuracy = 0.01,
    readonly maxBins = 2048,
  ) {}

  /** A cleared bucket: a pooled one, or a new one when the pool is empty. */
  take(): StatsBucket {
    return this.free.pop() ?? new StatsBucket(this.relativeAccuracy, this.maxBins);
  }

  /** Gives a bucket no longer referenced back; it is cleared here, or dropped when the pool is full. */
  give(bucket: StatsBucket): void {
    if (this.free.length >= this.limit) return;
    bucket.clear();
    this.free.push(bucket);
  }

  /** Free buckets held. */
  get size(): number {
    return this.free.length;
  }

  /** Approximate heap bytes held by the free buckets. */
  approxBytes(): number {
    let bytes = 0;
    for (const bucket of this.free) bytes += bucket.approxBytes();
    return bytes;
  }
}
