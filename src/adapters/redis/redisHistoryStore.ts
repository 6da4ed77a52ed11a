import type { Redis } from 'ioredis';
import { describeError } from '../../core/errors.js';
import type { HourlyRollup } from '../../foresight/hourlyRollup.js';
import type { HistoryStore } from '../../foresight/historyStore.js';
import { MemoryHistoryStore } from '../../foresight/memoryHistoryStore.js';
import { redisKeys, type RedisKeys } from './redisKeys.js';

/** Options of {@link RedisHistoryStore}. */
export interface RedisHistoryStoreOptions {
  /** Key prefix (`redis.key_prefix`). */
  readonly prefix: string;
  /** Hours kept per route behind its newest one, ms (`monitoring.history.retention`); also the keys' TTL. */
  readonly retentionMs: number;
  /** Routes with history (`monitoring.history.max_routes`): the working set, and what a start loads. */
  readonly maxRoutes: number;
  /** Entries the working set holds at most (`monitoring.history.max_entries`); what it drops stays in Redis. */
  readonly maxEntries?: number;
  /** Pause before writes are retried after a failure, ms (default 1 s). */
  readonly retryMs?: number;
  /** Wall clock for the routes index (default `Date.now`). */
  readonly nowMs?: () => number;
  /** A stored value that is not an hourly rollup: skipped, and reported here. */
  readonly onCorrupt?: (key: string, problem: string) => void;
  /** Writes started failing (`failure`) or went through again (`null`). */
  readonly onAvailability?: (failure: string | null) => void;
}

/** Hours written per MULTI at most (a long outage's backlog goes in several). */
const HOURS_PER_WRITE = 2_000;
/** Routes read per pipeline while loading. */
const ROUTES_PER_READ = 100;

const NUMBER_FIELDS = [
  'hourStartMs', 'count', 'errorCount', 'latencySumMs', 'costSumUsd', 'costSuccessEvents', 'tokenEvents', 'tokensSum', 'qualitySum', 'qualityCount', 'correctTrue', 'correctTotal',
] as const;

/**
 * The {@link HistoryStore} in Redis: write-through. Reads and appends go to an
 * in-memory working set (a {@link MemoryHistoryStore}, so the engine's step
 * stays synchronous and replay-identical); {@link open} loads it from Redis
 * before the daemon serves, and every append is written to Redis in the
 * background, off the pipeline's critical path.
 *
 * Layout: per route a ZSET `history:route:<route>` of JSON hours scored by
 * hour start, trimmed to the retention behind the route's newest hour, TTL =
 * the retention (a route without traffic for that long has no hour left to
 * keep); a ZSET `history:routes` of route names scored by their last write.
 *
 * @remarks The write buffer is bounded by the working set: what waits for
 * Redis is one entry per route — the oldest hour appended since its last
 * write — and a write sends the route's hours from there on, read from memory.
 * During an outage nothing is dropped while the process lives (the working
 * set itself is bounded by `maxRoutes` × retention); writes are retried every
 * `retryMs` and after each append, one at a time. A kill -9 loses at most
 * what was not yet written (normally nothing: a write follows each seal).
 */
export class RedisHistoryStore implements HistoryStore {
  private readonly memory: MemoryHistoryStore;
  private readonly keys: RedisKeys;
  /** Per route, the oldest hour start appended since the last successful write. */
  private dirty = new Map<string, number>();
  private writing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failure: string | null = null;
  private closed = false;
  /** Last score written to the routes index: strictly increasing, so two writes in one millisecond keep their order. */
  private lastScoreMs = 0;

  constructor(
    private readonly client: Redis,
    private readonly options: RedisHistoryStoreOptions,
  ) {
    this.memory = new MemoryHistoryStore({ retentionMs: options.retentionMs, maxRoutes: options.maxRoutes, ...(options.maxEntries !== undefined ? { maxEntries: options.maxEntries } : {}) });
    this.keys = redisKeys(options.prefix);
  }

  /**
   * Loads the stored history into the working set: the `maxRoutes` routes
   * written most recently, each with its stored hours. Returns the hours
   * loaded. Rejects when Redis cannot be read.
   */
  async open(): Promise<number> {
    const newestFirst = await this.client.zrevrange(this.keys.historyRoutes, 0, this.options.maxRoutes - 1);
    const routes = newestFirst.reverse();
    let loaded = 0;
    for (let i = 0; i < routes.length; i += ROUTES_PER_READ) {
      const chunk = routes.slice(i, i + ROUTES_PER_READ);
      const pipeline = this.client.pipeline();
      for (const route of chunk) pipeline.zrange(this.keys.history(route), '0', '-1');
      const replies = (await pipeline.exec()) ?? [];
      chunk.forEach((route, j) => {
        const [err, members] = replies[j] ?? [null, []];
        if (err !== null) throw err;
        const key = this.keys.history(route);
        for (const member of members as string[]) {
          const hour = parseHour(member);
          if (typeof hour === 'string') {
            this.options.onCorrupt?.(key, hour);
            continue;
          }
          this.memory.append(route, hour);
          loaded++;
        }
      });
    }
    return loaded;
  }

  get size(): number {
    return this.memory.size;
  }

  /**
   * Reads into the working set the route's hours stored from the newest one
   * it holds on — what another instance sealed since this one loaded the
   * route (a takeover). An hour this instance has not yet written stays as it
   * is here. Returns the hours read; rejects when Redis cannot be read.
   */
  async loadRoute(route: string): Promise<number> {
    const known = this.memory.hours(route, -Infinity, Infinity);
    const newestMs = known[known.length - 1]?.hourStartMs;
    const key = this.keys.history(route);
    const members = await this.client.zrangebyscore(key, newestMs === undefined ? '-inf' : newestMs, '+inf');
    const unwrittenFromMs = this.dirty.get(route) ?? Infinity;
    let loaded = 0;
    for (const member of members) {
      const hour = parseHour(member);
      if (typeof hour === 'string') {
        this.options.onCorrupt?.(key, hour);
        continue;
      }
      if (hour.hourStartMs >= unwrittenFromMs) continue;
      this.memory.append(route, hour);
      loaded++;
    }
    return loaded;
  }

  append(route: string, hour: HourlyRollup): void {
    this.memory.append(route, hour);
    const from = this.dirty.get(route);
    if (from === undefined || hour.hourStartMs < from) this.dirty.set(route, hour.hourStartMs);
    this.kick();
  }

  hours(route: string, fromMs: number, toMs: number): readonly HourlyRollup[] {
    return this.memory.hours(route, fromMs, toMs);
  }

  routes(): string[] {
    return this.memory.routes();
  }

  /**
   * Writes again every hour the working set holds of these routes (Redis lost its data: the routes this instance
   * owns). Returns the hours to be written; the write happens in the background, as an append's does.
   */
  rewrite(routes: readonly string[]): number {
    let hours = 0;
    for (const route of routes) {
      const held = this.memory.hours(route, -Infinity, Infinity);
      if (held.length === 0) continue;
      this.dirty.set(route, held[0]!.hourStartMs);
      hours += held.length;
    }
    if (hours > 0) this.kick();
    return hours;
  }

  /** Routes with hours not yet in Redis. */
  get pendingRoutes(): number {
    return this.dirty.size;
  }

  /** Why the last write failed, or null while writes go through. */
  get unavailable(): string | null {
    return this.failure;
  }

  /** Writes everything pending now; rejects (keeping it pending) when Redis fails. */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing.catch(() => {});
    if (this.dirty.size === 0) return;
    await this.write();
  }

  /** Writes what is pending (best effort) and stops retrying. The client is the caller's. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.flush().catch(() => {});
  }

  /** Starts a background write unless one is running (it picks up what was appended meanwhile) or a retry is scheduled. */
  private kick(): void {
    if (this.writing !== null || this.retryTimer !== null || this.closed) return;
    this.write().catch(() => {});
  }

  private write(): Promise<void> {
    const run = (async () => {
      try {
        while (this.dirty.size > 0) await this.writeBatch();
        if (this.failure !== null) {
          this.failure = null;
          this.options.onAvailability?.(null);
        }
      } catch (err) {
        const first = this.failure === null;
        this.failure = describeError(err);
        if (first) this.options.onAvailability?.(this.failure);
        if (!this.closed && this.retryTimer === null) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.kick();
          }, this.options.retryMs ?? 1_000);
          this.retryTimer.unref();
        }
        throw err;
      } finally {
        this.writing = null;
      }
    })();
    this.writing = run;
    return run;
  }

  /** One MULTI: the pending routes' hours (up to {@link HOURS_PER_WRITE}), each route's key trimmed and its TTL renewed. */
  private async writeBatch(): Promise<void> {
    const taken = new Map<string, number>();
    const multi = this.client.multi();
    const nowMs = Math.max((this.options.nowMs ?? Date.now)(), this.lastScoreMs + 1);
    this.lastScoreMs = nowMs;
    const ttlMs = Math.ceil(this.options.retentionMs);
    let hours = 0;
    for (const [route, fromMs] of this.dirty) {
      if (hours >= HOURS_PER_WRITE) break;
      taken.set(route, fromMs);
      const key = this.keys.history(route);
      const stored = this.memory.hours(route, fromMs, Infinity);
      // Evicted from the working set (maxRoutes, maxEntries) before it was written: Redis keeps what it has.
      if (stored.length === 0) continue;
      // The route's hours from the oldest the working set still holds on are replaced by the working set's (an
      // hour appended again is replaced); hours the entry cap dropped from memory stay in Redis as they were.
      multi.zremrangebyscore(key, Math.max(fromMs, stored[0]!.hourStartMs), '+inf');
      for (const hour of stored) multi.zadd(key, hour.hourStartMs, JSON.stringify(hour));
      hours += stored.length;
      const all = this.memory.hours(route, -Infinity, Infinity);
      const newest = all[all.length - 1];
      if (newest !== undefined) multi.zremrangebyscore(key, '-inf', newest.hourStartMs - this.options.retentionMs);
      multi.pexpire(key, ttlMs);
      multi.zadd(this.keys.historyRoutes, nowMs, route);
    }
    // The index keeps the routes a start would load, plus slack; older ones age out with their keys' TTL.
    multi.zremrangebyrank(this.keys.historyRoutes, 0, -(2 * this.options.maxRoutes) - 1);
    multi.pexpire(this.keys.historyRoutes, ttlMs);
    for (const route of taken.keys()) this.dirty.delete(route);
    try {
      const replies = await multi.exec();
      if (replies === null) throw new Error('history write aborted');
      for (const [err] of replies) if (err !== null) throw err;
    } catch (err) {
      // Back into the buffer, merged with what was appended meanwhile.
      for (const [route, fromMs] of taken) {
        const now = this.dirty.get(route);
        if (now === undefined || fromMs < now) this.dirty.set(route, fromMs);
      }
      throw err;
    }
  }
}

/** A stored member as an hour, or the problem with it. */
function parseHour(member: string): HourlyRollup | string {
  let value: unknown;
  try {
    value = JSON.parse(member);
  } catch (err) {
    return `not JSON: ${describeError(err)}`;
  }
  if (typeof value !== 'object' || value === null) return 'not an hourly rollup';
  const record = value as Record<string, unknown>;
  for (const field of NUMBER_FIELDS) if (typeof record[field] !== 'number') return `not an hourly rollup (${field})`;
  const spend = record['spendUsd'];
  if (typeof spend !== 'object' || spend === null) return 'not an hourly rollup (spendUsd)';
  return value as HourlyRollup;
}
