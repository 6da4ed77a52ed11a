/**
 * Lua prologue of every script that decides whether a lease or claim has lapsed: sets the local `now` to the Redis
 * server's clock in epoch ms.
 *
 * @remarks Several daemons share one Redis. A claim whose expiry one instance writes by its own clock and another
 * compares with its own is shortened or lengthened by the skew between them; on the server's clock every instance
 * measures the same claim.
 */
export const REDIS_NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
