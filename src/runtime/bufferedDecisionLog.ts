import type { DecisionRecord, GapRecord } from '../core/decision.js';
import type { DecisionLog, DecisionQuery, LoggedDecision } from '../ports/ports.js';
import { HeldWrites, type HeldGap } from './heldWrites.js';

/** Options of {@link BufferedDecisionLog}. */
export interface BufferedDecisionLogOptions {
  /** Decisions held while the log is unreachable (`redis.max_pending_decisions`). */
  readonly maxPending: number;
  /** Called on every loss with its count and the total since start (log line, metric). */
  readonly onDropped: (dropped: number, totalDropped: number) => void;
  /** Called when appends start failing (with the reason) and when they succeed again (null). */
  readonly onAvailability?: (failure: string | null) => void;
  /** Called with each `gap` record once it is in the remote log (the daemon alerts receivers with it); must not throw. */
  readonly onGap?: (record: GapRecord) => void;
}

/**
 * A decision log in front of a remote one (Redis): while the remote log is
 * unreachable, appends are held in order in a bounded buffer ({@link HeldWrites})
 * and the pipeline goes on; {@link flush} (after every append, and on a timer)
 * writes them once it is back. Appends of the remote log are idempotent, so a
 * flush retried after a timeout whose write did land logs nothing twice.
 *
 * @remarks When the buffer overflows the oldest held decisions are dropped —
 * never silently: `onDropped` fires (the daemon logs and counts it) and a
 * `gap` record saying how many were lost and their event-time range is
 * logged in their place, ahead of the decisions that were kept.
 */
export class BufferedDecisionLog implements DecisionLog {
  private readonly buffer: HeldWrites<DecisionRecord>;

  constructor(
    private readonly inner: DecisionLog,
    options: BufferedDecisionLogOptions,
  ) {
    this.buffer = new HeldWrites<DecisionRecord>({
      maxPending: options.maxPending,
      write: async (records) => void (await inner.append(records)),
      writeGap: async (gap) => {
        const record = gapRecord(gap, options.maxPending);
        await inner.append([record]);
        options.onGap?.(record);
      },
      tsOf: (record) => record.ts,
      onDropped: options.onDropped,
      ...(options.onAvailability !== undefined ? { onAvailability: options.onAvailability } : {}),
    });
  }

  /** Decisions waiting for the remote log, and whether a gap is waiting to be recorded. */
  get pending(): number {
    return this.buffer.pending;
  }

  /** Why the remote log is failing, or null. */
  get unavailable(): string | null {
    return this.buffer.unavailable;
  }

  /**
   * Logs the records, or holds them when the remote log fails. Entries of held
   * records carry `seq` 0: their position is known only once written.
   */
  async append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]> {
    if (records.length === 0) return [];
    const logged = await this.buffer.submit(records, () => this.inner.append(records));
    if (logged !== null) return logged;
    await this.buffer.flush();
    return records.map((record) => ({ seq: 0, record }));
  }

  /** Resolves once every decision held so far is in the remote log (or dropped, with the gap record naming it written). */
  settled(): Promise<void> {
    return this.buffer.settled();
  }

  /** Writes what is held, oldest first (the gap record leading). Never throws; resolves when done or failed. */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  query(query: DecisionQuery): Promise<readonly LoggedDecision[]> {
    return this.inner.query(query);
  }

  size(): Promise<number> {
    return this.inner.size();
  }
}

function gapRecord(gap: HeldGap, maxPending: number): GapRecord {
  return {
    type: 'gap', ts: gap.fromMs, route: '*', dropped: gap.dropped, from_ts: gap.fromMs, to_ts: gap.toMs,
    reason: `${gap.dropped} decisions lost: the decision log was unreachable and more than ${maxPending} were pending (redis.max_pending_decisions)`,
  };
}
