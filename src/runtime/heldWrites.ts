import { describeError } from '../core/errors.js';
import { SettledCount } from './settledCount.js';

/** What a {@link HeldWrites} buffer dropped and has not yet recorded: how many, their time range, per group. */
export interface HeldGap {
  readonly dropped: number;
  /** Time range (epoch ms, by `tsOf`) of the dropped items. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Dropped items per `groupOf` value (empty without `groupOf`). */
  readonly byGroup: Readonly<Record<string, number>>;
}

/** Options of {@link HeldWrites}. */
export interface HeldWritesOptions<T> {
  /** Items held at most while the store is unreachable; beyond it the oldest are dropped. */
  readonly maxPending: number;
  /** Writes items to the store, in order; throws when it is unreachable. Must be idempotent (a retried write may have landed). */
  readonly write: (items: readonly T[]) => Promise<void>;
  /**
   * Records a loss in place of dropped items, before the kept ones are written; throws when it cannot. It may record
   * it elsewhere than the store, even only hold it there (the outbox's gap goes to the decision log), so its success
   * says nothing of whether the store is reachable: only a `write` of items decides that.
   */
  readonly writeGap: (gap: HeldGap) => Promise<void>;
  /** The time an item is about (epoch ms), for the gap's range. */
  readonly tsOf: (item: T) => number;
  /** What a gap counts dropped items by (e.g. their destination). */
  readonly groupOf?: (item: T) => string;
  /** Called on every loss with its count and the total since start (log line, metric). */
  readonly onDropped: (dropped: number, totalDropped: number) => void;
  /** Called when writes start failing (with the reason) and when they succeed again (null). */
  readonly onAvailability?: (failure: string | null) => void;
  /** Items per write while flushing (default 500). */
  readonly chunkSize?: number;
}

/**
 * A bounded write-behind buffer in front of a remote store (Redis): the
 * shared core of the decision log's and the outbox's outage handling.
 * While the store fails, writes are held in order; {@link flush} writes them
 * once it is back. The buffer is bounded: past `maxPending` the oldest held
 * items are dropped (held items: at most `maxPending`, plus one chunk being
 * written) — never silently: `onDropped` fires, and a gap (how many,
 * their time range) is written through `writeGap` ahead of the items kept.
 *
 * @remarks Items being written are taken out of the buffer for the write and
 * put back in front on failure, so an overflow during a slow write drops
 * only items that are really still held, and counts every one.
 */
export class HeldWrites<T> {
  private held: T[] = [];
  private inFlight = 0;
  private gap: HeldGap | null = null;
  private totalDropped = 0;
  private failure: string | null = null;
  private flushing: Promise<void> | null = null;
  private again = false;
  /** Items ever held, and items that have left the buffer (written, or dropped with their gap written). */
  private heldTotal = 0;
  private readonly leftTotal = new SettledCount();

  constructor(private readonly options: HeldWritesOptions<T>) {}

  /** Items waiting for the store (held or being flushed), plus one for a gap waiting to be recorded. */
  get pending(): number {
    return this.held.length + this.inFlight + (this.gap === null ? 0 : 1);
  }

  /** Items dropped since start. */
  get dropped(): number {
    return this.totalDropped;
  }

  /** Why the store is failing, or null. */
  get unavailable(): string | null {
    return this.failure;
  }

  /**
   * Writes straight through `direct` while nothing is held (its result), or
   * holds `items` when something already waits or `direct` fails (null): the
   * caller then calls {@link flush} (awaited or not).
   */
  async submit<R>(items: readonly T[], direct: () => Promise<R>): Promise<R | null> {
    if (this.pending === 0) {
      try {
        const result = await direct();
        this.available();
        return result;
      } catch (err) {
        this.unreachable(err);
      }
    }
    this.hold(items);
    return null;
  }

  /**
   * Resolves once every item held so far has left the buffer: written to the
   * store, or dropped with the gap that names it written. At once when nothing
   * is held. Items submitted later do not hold it back.
   *
   * @remarks What a source that can redeliver (Kafka) waits for before it
   * commits past the input that produced the items: until then a crash
   * redelivers that input and the items are derived again.
   */
  settled(): Promise<void> {
    return this.leftTotal.reach(this.heldTotal);
  }

  /** Notes a failure of another call on the same store (readiness says so until a write succeeds). */
  noteFailure(err: unknown): void {
    this.unreachable(err);
  }

  /** Notes a success of another call on the same store. */
  noteSuccess(): void {
    this.available();
  }

  /**
   * Writes what is held, oldest first (a gap leading). Never throws; resolves
   * when done or failed. One flush at a time: a call during a flush makes it
   * run once more after the current pass, so it sees the store as it is now.
   */
  flush(): Promise<void> {
    if (this.flushing !== null) {
      this.again = true;
      return this.flushing;
    }
    const run = (async () => {
      do {
        this.again = false;
        await this.writeHeld();
      } while (this.again && this.pending > 0);
    })();
    this.flushing = run.finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private hold(items: readonly T[]): void {
    for (const item of items) this.held.push(item);
    this.heldTotal += items.length;
    this.trim();
  }

  /** `count` more items left the buffer: wakes the {@link settled} callers whose items have all left. */
  private left(count: number): void {
    this.leftTotal.advanceTo(this.leftTotal.value + count);
  }

  /**
   * Drops the oldest held items past the bound into the gap. Items being
   * written are not counted: they are older than every held one, and either
   * land or come back in front (then the bound applies to them too).
   */
  private trim(): void {
    const over = this.held.length - this.options.maxPending;
    if (over <= 0) return;
    const dropped = this.held.splice(0, over);
    let fromMs = Infinity;
    let toMs = -Infinity;
    const byGroup: Record<string, number> = {};
    for (const item of dropped) {
      const ts = this.options.tsOf(item);
      if (ts < fromMs) fromMs = ts;
      if (ts > toMs) toMs = ts;
      const group = this.options.groupOf?.(item);
      if (group !== undefined) byGroup[group] = (byGroup[group] ?? 0) + 1;
    }
    this.mergeGap({ dropped: dropped.length, fromMs, toMs, byGroup });
    this.totalDropped += dropped.length;
    this.options.onDropped(dropped.length, this.totalDropped);
  }

  private mergeGap(gap: HeldGap): void {
    const before = this.gap;
    if (before === null) {
      this.gap = gap;
      return;
    }
    const byGroup: Record<string, number> = { ...before.byGroup };
    for (const [group, n] of Object.entries(gap.byGroup)) byGroup[group] = (byGroup[group] ?? 0) + n;
    this.gap = { dropped: before.dropped + gap.dropped, fromMs: Math.min(before.fromMs, gap.fromMs), toMs: Math.max(before.toMs, gap.toMs), byGroup };
  }

  private async writeHeld(): Promise<void> {
    const chunkSize = this.options.chunkSize ?? 500;
    while (this.held.length > 0 || this.gap !== null) {
      const gap = this.gap;
      this.gap = null;
      const chunk = gap === null ? this.held.splice(0, chunkSize) : [];
      this.inFlight = chunk.length;
      try {
        if (gap !== null) await this.options.writeGap(gap);
        else await this.options.write(chunk);
        this.inFlight = 0;
        this.left(gap === null ? chunk.length : gap.dropped);
        if (gap === null) this.available();
      } catch (err) {
        // Back in front, in order; what overflowed meanwhile joins the gap.
        this.inFlight = 0;
        if (gap !== null) this.mergeGap(gap);
        this.held = [...chunk, ...this.held];
        this.trim();
        this.unreachable(err);
        return;
      }
    }
  }

  private unreachable(err: unknown): void {
    const reason = describeError(err);
    if (this.failure === null) this.options.onAvailability?.(reason);
    this.failure = reason;
  }

  private available(): void {
    if (this.failure === null) return;
    this.failure = null;
    this.options.onAvailability?.(null);
  }
}
