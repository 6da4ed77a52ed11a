import type { Redis } from 'ioredis';
import { InvariantError } from '../../core/errors.js';
import type { JsonValue, Outbox, OutboxDepth, OutboxItem, OutboxMessage } from '../../ports/ports.js';
import { REDIS_NOW_MS } from './redisServerTime.js';

// The scripts build their keys from the prefix (ARGV[1]): one Redis server, not a cluster.
// Layout under the prefix (docs/operations.md, "Redis key schema"):
//   outbox:seq                 counter: message ids, in enqueue order
//   outbox:destinations        SET of every destination used
//   outbox:q:<destination>     ZSET pending ids scored by id (enqueue order)
//   outbox:dead:<destination>  ZSET dead-lettered ids
//   outbox:keys:<destination>  SET of idempotency keys of its pending and dead messages
//   outbox:m:<id>              HASH destination, key, payload (JSON), enqueued, attempts, due, error,
//                              claimed (the delivery claim's expiry, Redis server clock; 0 or absent: unclaimed)

/** ARGV prefix, nowMs, then (destination, key, payload JSON) triples. Returns how many were new. */
const ENQUEUE = `local p, now, added = ARGV[1], ARGV[2], 0
for i = 3, #ARGV, 3 do
  local d, k = ARGV[i], ARGV[i + 1]
  if redis.call('SADD', p .. 'outbox:keys:' .. d, k) == 1 then
    local id = redis.call('INCR', p .. 'outbox:seq')
    redis.call('HSET', p .. 'outbox:m:' .. id, 'destination', d, 'key', k, 'payload', ARGV[i + 2], 'enqueued', now, 'attempts', 0, 'due', now)
    redis.call('ZADD', p .. 'outbox:q:' .. d, id, id)
    redis.call('SADD', p .. 'outbox:destinations', d)
    added = added + 1
  end
end
return added`;

/**
 * ARGV prefix, destination, limit, nowMs, leaseMs. Returns [id, key, payload, enqueued, attempts, error|false] rows.
 * A claimed message is free again once its claim lapsed on the server's clock; an unclaimed one (new, or nacked)
 * once it is due on the caller's.
 */
const LEASE = `${REDIS_NOW_MS}
local p, d, limit, at, lease = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {}
if limit <= 0 then return out end
for _, id in ipairs(redis.call('ZRANGE', p .. 'outbox:q:' .. d, 0, limit - 1)) do
  local m = p .. 'outbox:m:' .. id
  local h = redis.call('HMGET', m, 'due', 'claimed')
  local claimed = tonumber(h[2] or '0')
  if claimed > now or (claimed == 0 and tonumber(h[1]) > at) then break end
  local attempts = redis.call('HINCRBY', m, 'attempts', 1)
  redis.call('HSET', m, 'due', at + lease, 'claimed', now + lease)
  local f = redis.call('HMGET', m, 'key', 'payload', 'enqueued', 'error')
  out[#out + 1] = {id, f[1], f[2], f[3], attempts, f[4] or false}
end
return out`;

/** ARGV prefix, then message ids: removes pending messages and their keys (whichever lease delivered them). */
const ACK = `local p = ARGV[1]
for i = 2, #ARGV do
  local m = p .. 'outbox:m:' .. ARGV[i]
  local f = redis.call('HMGET', m, 'destination', 'key')
  if f[1] and redis.call('ZREM', p .. 'outbox:q:' .. f[1], ARGV[i]) == 1 then
    redis.call('SREM', p .. 'outbox:keys:' .. f[1], f[2])
    redis.call('DEL', m)
  end
end
return 0`;

/** ARGV prefix, retryAtMs, error, then (message id, lease attempt) pairs: pending messages still under that lease due again at retryAtMs. */
const NACK = `local p = ARGV[1]
for i = 4, #ARGV, 2 do
  local m = p .. 'outbox:m:' .. ARGV[i]
  local f = redis.call('HMGET', m, 'destination', 'attempts')
  if f[1] and f[2] == ARGV[i + 1] and redis.call('ZSCORE', p .. 'outbox:q:' .. f[1], ARGV[i]) then redis.call('HSET', m, 'due', ARGV[2], 'error', ARGV[3], 'claimed', 0) end
end
return 0`;

/** ARGV prefix, error, then (message id, lease attempt) pairs: pending messages still under that lease moved aside. */
const DEAD_LETTER = `local p = ARGV[1]
for i = 3, #ARGV, 2 do
  local m = p .. 'outbox:m:' .. ARGV[i]
  local f = redis.call('HMGET', m, 'destination', 'attempts')
  local d = f[1]
  if d and f[2] == ARGV[i + 1] and redis.call('ZREM', p .. 'outbox:q:' .. d, ARGV[i]) == 1 then
    redis.call('ZADD', p .. 'outbox:dead:' .. d, ARGV[i], ARGV[i])
    redis.call('HSET', m, 'error', ARGV[2])
  end
end
return 0`;

type Row = [string, string, string, string, number, string | null];

/**
 * An item id is `<message id>.<lease attempt>`: the lease it was handed out
 * under. `nack` and `deadLetter` act only while that lease is the message's
 * latest, so a relay whose lease lapsed (another instance took the message
 * over) cannot reschedule or bury a delivery it no longer owns; `ack` takes
 * any lease (the message did arrive).
 */
function itemId(id: string, attempts: number | string): string {
  return `${id}.${attempts}`;
}

function parseItemId(itemId: string): [id: string, attempt: string] {
  const dot = itemId.lastIndexOf('.');
  return dot < 0 ? [itemId, ''] : [itemId.slice(0, dot), itemId.slice(dot + 1)];
}

/**
 * The outbox on Redis (ioredis): messages survive restarts of the daemon, so a
 * decision or an alert enqueued before a crash is still delivered after it.
 * Every change is one Lua script, so a check (a key already there, a message
 * still pending) and its write are one atomic step.
 *
 * @remarks Several daemons may share one outbox: a `lease` is an atomic claim
 * with a visibility timeout of `leaseMs`, so a destination's head is delivered
 * by one instance at a time; when that instance dies mid-delivery, any
 * instance's next lease after the timeout hands the message out again. The
 * claim's expiry is on the Redis server's clock (as route leases are), so a
 * skew between the instances' clocks neither shortens a claim (a duplicate
 * delivery) nor lengthens it; enqueue and retry times (`nowMs`, `retryAtMs`)
 * stay the caller's, and a skew moves a retry, never a claim. Item ids name
 * their lease, which fences a stale holder's `nack`/`deadLetter` (see
 * {@link itemId}).
 */
export class RedisOutbox implements Outbox {
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}

  async enqueue(messages: readonly OutboxMessage[], nowMs: number): Promise<number> {
    this.assertOpen('enqueue');
    if (messages.length === 0) return 0;
    const args = messages.flatMap((m) => [m.destination, m.key, JSON.stringify(m.payload)]);
    return Number(await this.client.eval(ENQUEUE, 0, this.prefix, String(nowMs), ...args));
  }

  async lease(destination: string, limit: number, nowMs: number, leaseMs: number): Promise<readonly OutboxItem[]> {
    this.assertOpen('lease');
    const rows = (await this.client.eval(LEASE, 0, this.prefix, destination, String(Math.floor(limit)), String(nowMs), String(leaseMs))) as Row[];
    return rows.map(([id, key, payload, enqueued, attempts, error]) => ({
      id: itemId(id, attempts), destination, key, payload: JSON.parse(payload) as JsonValue, attempts: Number(attempts), enqueuedAtMs: Number(enqueued),
      ...(error !== null && error !== undefined ? { lastError: error } : {}),
    }));
  }

  async ack(ids: readonly string[]): Promise<void> {
    this.assertOpen('ack');
    if (ids.length > 0) await this.client.eval(ACK, 0, this.prefix, ...ids.map((i) => parseItemId(i)[0]));
  }

  async nack(ids: readonly string[], retryAtMs: number, error: string): Promise<void> {
    this.assertOpen('nack');
    if (ids.length > 0) await this.client.eval(NACK, 0, this.prefix, String(retryAtMs), error, ...ids.flatMap(parseItemId));
  }

  async deadLetter(ids: readonly string[], error: string): Promise<void> {
    this.assertOpen('deadLetter');
    if (ids.length > 0) await this.client.eval(DEAD_LETTER, 0, this.prefix, error, ...ids.flatMap(parseItemId));
  }

  async deadLetters(destination: string, limit: number): Promise<readonly OutboxItem[]> {
    if (limit <= 0) return [];
    const ids = await this.client.zrange(`${this.prefix}outbox:dead:${destination}`, '0', String(limit - 1));
    const out: OutboxItem[] = [];
    for (const id of ids) {
      const [key, payload, enqueued, attempts, error] = await this.client.hmget(`${this.prefix}outbox:m:${id}`, 'key', 'payload', 'enqueued', 'attempts', 'error');
      if (key === null || key === undefined || payload === null || payload === undefined) continue;
      out.push({ id: itemId(id, attempts ?? 0), destination, key, payload: JSON.parse(payload) as JsonValue, attempts: Number(attempts), enqueuedAtMs: Number(enqueued), ...(error ? { lastError: error } : {}) });
    }
    return out;
  }

  async destinations(): Promise<readonly string[]> {
    const all = await this.client.smembers(`${this.prefix}outbox:destinations`);
    const out: string[] = [];
    for (const d of all.sort()) {
      if ((await this.client.zcard(`${this.prefix}outbox:q:${d}`)) > 0 || (await this.client.zcard(`${this.prefix}outbox:dead:${d}`)) > 0) out.push(d);
    }
    return out;
  }

  async depth(destination?: string): Promise<OutboxDepth> {
    const names = destination === undefined ? await this.client.smembers(`${this.prefix}outbox:destinations`) : [destination];
    let pending = 0;
    let deadLettered = 0;
    for (const d of names) {
      pending += await this.client.zcard(`${this.prefix}outbox:q:${d}`);
      deadLettered += await this.client.zcard(`${this.prefix}outbox:dead:${d}`);
    }
    return { pending, deadLettered };
  }

  async nextDueAtMs(destination: string): Promise<number | null> {
    const [head] = await this.client.zrange(`${this.prefix}outbox:q:${destination}`, '0', '0');
    if (head === undefined) return null;
    const due = await this.client.hget(`${this.prefix}outbox:m:${head}`, 'due');
    return due === null ? null : Number(due);
  }

  /** Refuses further changes (the connection belongs to the caller). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new InvariantError(`RedisOutbox: ${operation} after close`);
  }
}
