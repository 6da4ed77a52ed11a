import type { DecisionRecord } from '../../core/decision.js';
import type { DecisionLog, DecisionQuery, LoggedDecision } from '../../ports/ports.js';
import { recordKey } from '../../core/recordKey.js';

/**
 * Sequence numbers a memory log reserves per millisecond of wall time: a log
 * started at `t` numbers from `t × 1000 + 1`, so one started later (a restarted
 * daemon) numbers after everything an earlier one gave out, unless that one
 * logged more than 1,000 decisions per millisecond of its life.
 */
export const MEMORY_SEQS_PER_MS = 1_000;

/**
 * In-memory decision log: the embedded default. Append-only. Bounded so a
 * daemon running for weeks keeps constant memory: beyond `maxEntries`
 * (default 100,000, ~100 MB of records) the oldest are dropped from memory;
 * they remain on the Kafka decisions topic when Kafka is on, and the Redis
 * Stream adapter keeps them durably. Appends are idempotent per decision
 * ({@link recordKey}) over the entries held.
 *
 * @remarks Sequence numbers never go backwards across a restart, as with the
 * Redis log: they start from the wall time the log was created at
 * ({@link MEMORY_SEQS_PER_MS}), so a client paging `GET /v1/decisions?after=N`
 * with a cursor from before a restart gets the new process's decisions at once
 * (those logged before the restart are gone with it) instead of waiting until
 * the numbering passes N again.
 */
export class MemoryDecisionLog implements DecisionLog {
  private readonly entries: LoggedDecision[] = [];
  /** Idempotency key → seq of the entries still held. */
  private readonly seqByKey = new Map<string, number>();
  private readonly keyBySeq = new Map<number, string>();
  private nextSeq: number;

  /** `startedAtMs`: wall time, epoch ms, the numbering starts from (tests pass their own). */
  constructor(
    private readonly maxEntries = 100_000,
    startedAtMs = Date.now(),
  ) {
    this.nextSeq = Math.max(0, Math.floor(startedAtMs)) * MEMORY_SEQS_PER_MS + 1;
  }

  async append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]> {
    const logged: LoggedDecision[] = [];
    for (const record of records) {
      const key = recordKey(record);
      const seen = this.seqByKey.get(key);
      if (seen !== undefined) {
        logged.push({ seq: seen, record });
        continue;
      }
      const entry = { seq: this.nextSeq++, record };
      this.seqByKey.set(key, entry.seq);
      this.keyBySeq.set(entry.seq, key);
      this.entries.push(entry);
      logged.push(entry);
    }
    if (this.entries.length > this.maxEntries) {
      for (const dropped of this.entries.splice(0, this.entries.length - this.maxEntries)) {
        const key = this.keyBySeq.get(dropped.seq);
        this.keyBySeq.delete(dropped.seq);
        if (key !== undefined) this.seqByKey.delete(key);
      }
    }
    return logged;
  }

  async query(query: DecisionQuery): Promise<readonly LoggedDecision[]> {
    const limit = query.limit ?? 1000;
    const out: LoggedDecision[] = [];
    if (limit <= 0) return out;
    for (const entry of this.entries) {
      if (query.after !== undefined && entry.seq <= query.after) continue;
      if (query.since !== undefined && entry.record.ts < query.since) continue;
      if (query.route !== undefined && entry.record.route !== query.route) continue;
      if (query.type !== undefined && entry.record.type !== query.type) continue;
      out.push(entry);
      if (out.length >= limit) break;
    }
    return out;
  }

  async size(): Promise<number> {
    return this.entries.length;
  }
}
