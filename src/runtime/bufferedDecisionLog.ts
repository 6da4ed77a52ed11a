import type { DecisionRecord, GapRecord } from '../core/decision.js';
import { describeError } from '../core/errors.js';
import type { DecisionLog, DecisionQuery, LoggedDecision } from '../ports/ports.js';

/** Options of {@link BufferedDecisionLog}. */
export interface BufferedDecisionLogOptions {
  /** Decisions held while the log is unreachable (`redis.max_pending_decisions`). */
  readonly maxPending: number;
  /** Called once per overflow episode's first loss, and with the count on every loss (log line, metric). */
  readonly onDropped: (dropped: number, totalDropped: number) => void;
  /** Called when appends start failing (with the reason) and when they succeed again (null). */
  readonly onAvailability?: (failure: string | null) => void;
}

/**
 * A decision log in front of a remote one (Redis): while the remote log is
 * unreachable, appends are held in order in a bounded buffer and the pipeline
 * goes on; {@link flush} (after every append, and on a timer) writes them once
 * it is back. Appends of the remote log are idempotent, so a flush retried
 * after a timeout whose write did land logs nothing twice.
 *
 * @remarks When the buffer overflows the oldest held decisions are dropped —
 * never silently: `onDropped` fires (the daemon logs and counts it) and a
 * `gap` record saying how many were lost and their event-time range is
 * logged in their place, ahead of the decisions that were kept.
 */
export class BufferedDecisionLog implements DecisionLog {
  private held: DecisionRecord[] = [];
  private gap: { dropped: number; fromMs: number; toMs: number } | null = null;
  private totalDropped = 0;
  private failure: string | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly inner: DecisionLog,
    private readonly options: BufferedDecisionLogOptions,
  ) {}

  /** Decisions waiting for the remote log, and whether a gap is waiting to be recorded. */
  get pending(): number {
    return this.held.length + (this.gap === null ? 0 : 1);
  }

  /** Why the remote log is failing, or null. */
  get unavailable(): string | null {
    return this.failure;
  }

  /**
   * Logs the records, or holds them when the remote log fails. Entries of held
   * records carry `seq` 0: their position is known only once written.
   */
  async append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]> {
    if (records.length === 0) return [];
    if (this.pending === 0) {
      try {
        const logged = await this.inner.append(records);
        this.available();
        return logged;
      } catch (err) {
        this.unreachable(err);
      }
    }
    this.hold(records);
    await this.flush();
    return records.map((record) => ({ seq: 0, record }));
  }

  /** Writes what is held, oldest first (the gap record leading). Never throws; resolves when done or failed. */
  flush(): Promise<void> {
    this.flushing ??= this.writeHeld().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  query(query: DecisionQuery): Promise<readonly LoggedDecision[]> {
    return this.inner.query(query);
  }

  size(): Promise<number> {
    return this.inner.size();
  }

  private hold(records: readonly DecisionRecord[]): void {
    for (const record of records) this.held.push(record);
    const over = this.held.length - this.options.maxPending;
    if (over <= 0) return;
    const dropped = this.held.splice(0, over);
    let fromMs = this.gap?.fromMs ?? Infinity;
    let toMs = this.gap?.toMs ?? -Infinity;
    for (const r of dropped) {
      if (r.ts < fromMs) fromMs = r.ts;
      if (r.ts > toMs) toMs = r.ts;
    }
    this.gap = { dropped: (this.gap?.dropped ?? 0) + over, fromMs, toMs };
    this.totalDropped += over;
    this.options.onDropped(over, this.totalDropped);
  }

  private async writeHeld(): Promise<void> {
    while (this.pending > 0) {
      try {
        if (this.gap !== null) {
          await this.inner.append([this.gapRecord(this.gap)]);
          this.gap = null;
        }
        const chunk = this.held.slice(0, 500);
        if (chunk.length > 0) {
          await this.inner.append(chunk);
          this.held.splice(0, chunk.length);
        }
        this.available();
      } catch (err) {
        this.unreachable(err);
        return;
      }
    }
  }

  private gapRecord(gap: { dropped: number; fromMs: number; toMs: number }): GapRecord {
    return {
      type: 'gap', ts: gap.fromMs, route: '*', dropped: gap.dropped, from_ts: gap.fromMs, to_ts: gap.toMs,
      reason: `${gap.dropped} decisions lost: the decision log was unreachable and more than ${this.options.maxPending} were pending (redis.max_pending_decisions)`,
    };
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
