import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConfigError } from '../../core/errors.js';
import { STATE_SCHEMA_VERSION, type FencedWrite, type RouteLease, type StateStore, type StoredCheckpoint, type StoredRoute } from '../../ports/stateStore.js';
import { redisKeys, type RedisKeys } from './redisKeys.js';
import { REDIS_NOW_MS } from './redisServerTime.js';

/** KEYS[1] lease; ARGV owner, leaseMs, force ('1'). Returns {owner, generation, expiresAtMs}. */
const CLAIM = `${REDIS_NOW_MS}
local h = redis.call('HMGET', KEYS[1], 'owner', 'generation', 'expires')
local owner, gen, exp = h[1], tonumber(h[2]), tonumber(h[3])
if owner and owner ~= ARGV[1] and exp > now and ARGV[3] ~= '1' then return {owner, gen, exp} end
local next = 1
if owner then
  if owner == ARGV[1] and exp > now then next = gen else next = gen + 1 end
end
local expires = now + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'generation', next, 'expires', expires)
return {ARGV[1], next, expires}`;

/** KEYS[1] lease; ARGV owner. Lapses the lease now if owner holds it (the generation stays). */
const RELEASE = `if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('HSET', KEYS[1], 'expires', 0) end return 0`;

/**
 * KEYS[1] routes set, KEYS[2] changed zset, KEYS[3] version counter, then per route: KEYS[2i+4] state,
 * KEYS[2i+5] lease; ARGV per route: name, generation, json, ttlMs (-1: none). Returns the names of the fenced routes.
 */
const SAVE_ROUTES = `local fenced = {}
for i = 0, (#ARGV / 4) - 1 do
  local name, gen, json, ttl = ARGV[i * 4 + 1], tonumber(ARGV[i * 4 + 2]), ARGV[i * 4 + 3], tonumber(ARGV[i * 4 + 4])
  local current = tonumber(redis.call('HGET', KEYS[i * 2 + 5], 'generation') or '0')
  if gen < current then
    fenced[#fenced + 1] = name
  else
    if ttl < 0 then redis.call('SET', KEYS[i * 2 + 4], json) else redis.call('SET', KEYS[i * 2 + 4], json, 'PX', ttl) end
    redis.call('SADD', KEYS[1], name)
    redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), name)
  end
end
return fenced`;

/** KEYS[1] checkpoint, KEYS[2] lease; ARGV generation, json, ttlMs. Returns 1 when written, 0 when fenced. */
const SAVE_CHECKPOINT = `local current = tonumber(redis.call('HGET', KEYS[2], 'generation') or '0')
if tonumber(ARGV[1]) < current then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

/** KEYS[1] epoch, KEYS[2] schema; ARGV new token, schema version. The store's epoch; a store without one gets the new token (and the schema version). */
const EPOCH = `local e = redis.call('GET', KEYS[1])
if e then return e end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'NX')
return ARGV[1]`;

/** Options of {@link RedisStateStore}. */
export interface RedisStateStoreOptions {
  /** Key prefix (`redis.key_prefix`). */
  readonly prefix: string;
  /** Close the client on {@link RedisStateStore.close} (default true: the store owns it). */
  readonly ownsClient?: boolean;
  /** A stored route or checkpoint that is not what this layout writes (edited by hand, another program): skipped, and reported here. */
  readonly onCorrupt?: (key: string, problem: string) => void;
}

/**
 * The state store on Redis (ioredis): one JSON string per route, leases as
 * hashes, fencing and lease arithmetic inside Lua scripts so that a check and
 * its write are one atomic step, on the Redis server's clock.
 */
export class RedisStateStore implements StateStore {
  private readonly keys: RedisKeys;

  constructor(
    private readonly client: Redis,
    private readonly options: RedisStateStoreOptions,
  ) {
    this.keys = redisKeys(options.prefix);
  }

  async open(): Promise<{ readonly schemaVersion: number }> {
    await this.client.set(this.keys.schema, String(STATE_SCHEMA_VERSION), 'NX');
    const raw = await this.client.get(this.keys.schema);
    const version = Number(raw);
    if (!Number.isInteger(version) || version < 1) {
      throw new ConfigError(`redis: key ${this.keys.schema} holds '${String(raw)}', not a schema version; is redis.key_prefix shared with another application?`);
    }
    if (version > STATE_SCHEMA_VERSION) {
      throw new ConfigError(`redis: the store under '${this.options.prefix}' has schema version ${version}, newer than this daemon's ${STATE_SCHEMA_VERSION}; upgrade the daemon or use another redis.key_prefix`);
    }
    return { schemaVersion: version };
  }

  async epoch(): Promise<string> {
    return String(await this.client.eval(EPOCH, 2, this.keys.epoch, this.keys.schema, randomUUID(), String(STATE_SCHEMA_VERSION)));
  }

  async claim(route: string, owner: string, leaseMs: number, force = false): Promise<RouteLease> {
    const [holder, generation, expiresAtMs] = (await this.client.eval(CLAIM, 1, this.keys.lease(route), owner, String(Math.max(1, Math.round(leaseMs))), force ? '1' : '0')) as [string, number, number];
    return { owner: holder, generation: Number(generation), expiresAtMs: Number(expiresAtMs) };
  }

  async lease(route: string): Promise<RouteLease | null> {
    const [owner, generation, expires] = await this.client.hmget(this.keys.lease(route), 'owner', 'generation', 'expires');
    if (owner === null || owner === undefined) return null;
    return { owner, generation: Number(generation), expiresAtMs: Number(expires) };
  }

  async release(route: string, owner: string): Promise<void> {
    await this.client.eval(RELEASE, 1, this.keys.lease(route), owner);
  }

  async saveRoutes(routes: readonly { readonly stored: StoredRoute; readonly ttlMs: number | null }[]): Promise<FencedWrite> {
    if (routes.length === 0) return { fenced: [] };
    const keys: string[] = [this.keys.routes, this.keys.routesChanged, this.keys.routesVersion];
    const args: string[] = [];
    for (const { stored, ttlMs } of routes) {
      keys.push(this.keys.route(stored.route), this.keys.lease(stored.route));
      args.push(stored.route, String(stored.generation), JSON.stringify(stored), ttlMs === null ? '-1' : String(Math.max(1, Math.round(ttlMs))));
    }
    const fenced = (await this.client.eval(SAVE_ROUTES, keys.length, ...keys, ...args)) as string[];
    return { fenced };
  }

  async loadRoutes(routes?: readonly string[]): Promise<StoredRoute[]> {
    const names = [...new Set(routes ?? (await this.client.smembers(this.keys.routes)))].sort();
    if (names.length === 0) return [];
    const out: StoredRoute[] = [];
    const gone: string[] = [];
    for (let at = 0; at < names.length; at += 500) {
      const chunk = names.slice(at, at + 500);
      const values = await this.client.mget(chunk.map((n) => this.keys.route(n)));
      values.forEach((value, i) => {
        if (value === null) gone.push(chunk[i]!);
        else {
          const parsed = this.parseRoute(chunk[i]!, value);
          if (parsed !== null) out.push(parsed);
        }
      });
    }
    // Aged-out routes leave their name behind in the set; tidy it when listing everything.
    if (routes === undefined && gone.length > 0) {
      await this.client.srem(this.keys.routes, ...gone);
      await this.client.zrem(this.keys.routesChanged, ...gone);
    }
    return out;
  }

  async changedSince(cursor: number): Promise<{ readonly cursor: number; readonly routes: readonly string[] }> {
    // Version first: a write landing between the two reads is seen now or next time, never missed.
    const version = Number((await this.client.get(this.keys.routesVersion)) ?? 0);
    const routes = await this.client.zrangebyscore(this.keys.routesChanged, `(${cursor}`, String(version));
    return { cursor: version, routes: [...routes].sort() };
  }

  /** A stored route, or null (reported) when the value is not one: bad data must not keep the daemon from starting. */
  private parseRoute(route: string, value: string): StoredRoute | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      this.options.onCorrupt?.(this.keys.route(route), `not JSON: ${(err as Error).message}`);
      return null;
    }
    const p = parsed as Partial<StoredRoute> | null;
    if (p === null || typeof p !== 'object' || p.route !== route || typeof p.generation !== 'number' || typeof p.owner !== 'string' || typeof p.control !== 'object' || p.control === null) {
      this.options.onCorrupt?.(this.keys.route(route), 'not a stored route (route, generation, owner, control)');
      return null;
    }
    return p as StoredRoute;
  }

  async saveCheckpoint(checkpoint: StoredCheckpoint, ttlMs: number): Promise<boolean> {
    const written = await this.client.eval(
      SAVE_CHECKPOINT, 2, this.keys.checkpoint(checkpoint.route), this.keys.lease(checkpoint.route),
      String(checkpoint.generation), JSON.stringify(checkpoint), String(Math.max(1, Math.round(ttlMs))),
    );
    return Number(written) === 1;
  }

  async loadCheckpoint(route: string): Promise<StoredCheckpoint | null> {
    const raw = await this.client.get(this.keys.checkpoint(route));
    if (raw === null) return null;
    const key = this.keys.checkpoint(route);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      this.options.onCorrupt?.(key, `not JSON: ${(err as Error).message}`);
      return null;
    }
    const p = parsed as Partial<StoredCheckpoint> | null;
    if (p === null || typeof p !== 'object' || p.route !== route || typeof p.generation !== 'number' || typeof p.data !== 'string') {
      this.options.onCorrupt?.(key, 'not a stored checkpoint (route, generation, data)');
      return null;
    }
    return { route, generation: p.generation, data: p.data };
  }

  async close(): Promise<void> {
    if (this.options.ownsClient !== false) this.client.disconnect();
  }
}
