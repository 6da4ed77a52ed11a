import type { DecisionRecord } from '../../core/decision.js';
import type { DecisionLog, DecisionQuery, LoggedDecision } from '../../ports/ports.js';
import { recordKey } from '../../core/recordKey.js';

/**
 * In-memory decision log: the embedded default. Append-only, sequence numbers
 * start at 1. Bounded so a daemon running for weeks keeps constant memory:
 * beyond `maxEntries` (default 100,000, ~100 MB of records) the oldest are
 * dropped from memory; they remain on the Kafka decisions topic when Kafka is
 * on, and the Redis Stream adapter keeps them durably. Appends are idempotent
 * per decision ({@link recordKey}) over the entries held.
 */
export class MemoryDecisionLog implements DecisionLog {
  private readonly entries: LoggedDecision[] = [];
  /** Idempotency key → seq of the entries still held. */
  private readonly seqByKey = new Map<string, number>();
  private readonly keyBySeq = new Map<number, string>();
  private nextSeq = 1;

  constructor(private readonly maxEntries = 100_000) {}

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
