import type { Redis } from 'ioredis';
import { formatRecord, type DecisionRecord } from '../../core/decision.js';
import { describeError, TransientIoError } from '../../core/errors.js';
import type { DecisionLog, DecisionQuery, LoggedDecision } from '../../ports/ports.js';
import { recordKey } from '../../core/recordKey.js';
import { redisKeys, type RedisKeys } from './redisKeys.js';

/**
 * KEYS[1] stream, KEYS[2] seq counter, KEYS[2+i] idempotency key of record i;
 * ARGV[1] key TTL ms, ARGV[2] approximate max stream length, ARGV[2+i] record line.
 * Returns each record's seq: a new one, or the seq its key already has.
 */
const APPEND = `local out = {}
for i = 1, #KEYS - 2 do
  local seen = redis.call('GET', KEYS[2 + i])
  if seen then
    out[i] = tonumber(seen)
  else
    local seq = redis.call('INCR', KEYS[2])
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'r', ARGV[2 + i])
    redis.call('SET', KEYS[2 + i], seq, 'PX', ARGV[1])
    out[i] = seq
  end
end
return out`;

/** Options of {@link RedisDecisionLog}. */
export interface RedisDecisionLogOptions {
  readonly prefix: string;
  /** The stream is trimmed (approximately) to this many entries. */
  readonly maxEntries?: number;
  /** How long an idempotency key is remembered (ms). */
  readonly dedupeMs?: number;
  /** Close the client on close (default false: the daemon shares one client). */
  readonly ownsClient?: boolean;
}

/**
 * The decision log as a Redis Stream. Entry ids are `<seq>-0`, so `after`
 * paging is an `XRANGE` from the next id; each append is one Lua script that
 * skips records whose idempotency key ({@link recordKey}) was seen, so a
 * decision produced twice (a redelivered batch after a crash) is logged once.
 */
export class RedisDecisionLog implements DecisionLog {
  private readonly keys: RedisKeys;
  private readonly maxEntries: number;
  private readonly dedupeMs: number;

  constructor(
    private readonly client: Redis,
    private readonly options: RedisDecisionLogOptions,
  ) {
    this.keys = redisKeys(options.prefix);
    this.maxEntries = options.maxEntries ?? 1_000_000;
    this.dedupeMs = options.dedupeMs ?? 7 * 24 * 3_600_000;
  }

  async append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]> {
    if (records.length === 0) return [];
    const keys = [this.keys.decisions, this.keys.decisionSeq, ...records.map((r) => this.keys.decisionKey(recordKey(r)))];
    const seqs = (await this.client.eval(APPEND, keys.length, ...keys, String(this.dedupeMs), String(this.maxEntries), ...records.map(formatRecord))) as number[];
    return records.map((record, i) => ({ seq: Number(seqs[i]), record }));
  }

  async query(query: DecisionQuery): Promise<readonly LoggedDecision[]> {
    try {
      return await this.scan(query);
    } catch (cause) {
      // Redis away: a retriable error, which the HTTP API answers 503 + Retry-After.
      throw new TransientIoError(`the decision log (Redis) is unreachable: ${describeError(cause)}`, { cause });
    }
  }

  private async scan(query: DecisionQuery): Promise<readonly LoggedDecision[]> {
    const limit = query.limit ?? 1000;
    const out: LoggedDecision[] = [];
    if (limit <= 0) return out;
    let start = query.after === undefined ? '-' : `(${Math.max(0, Math.floor(query.after))}-0`;
    const chunk = Math.max(200, Math.min(5_000, limit * 2));
    for (;;) {
      const page = await this.client.xrange(this.keys.decisions, start, '+', 'COUNT', chunk);
      for (const [id, fields] of page) {
        const line = fields[1];
        if (line === undefined) continue;
        let record: DecisionRecord;
        try {
          record = JSON.parse(line) as DecisionRecord;
          if (record === null || typeof record !== 'object') continue;
        } catch {
          continue; // not written by promptpilot: never fail a page over it
        }
        if (query.since !== undefined && record.ts < query.since) continue;
        if (query.route !== undefined && record.route !== query.route) continue;
        if (query.type !== undefined && record.type !== query.type) continue;
        out.push({ seq: Number(id.slice(0, id.indexOf('-'))), record });
        if (out.length >= limit) return out;
      }
      if (page.length < chunk) return out;
      start = `(${page[page.length - 1]![0]}`;
    }
  }

  async size(): Promise<number> {
    return this.client.xlen(this.keys.decisions);
  }

  async close(): Promise<void> {
    if (this.options.ownsClient === true) this.client.disconnect();
  }
}
