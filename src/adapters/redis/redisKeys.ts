/**
 * Every Redis key promptpilot uses, under one prefix (`redis.key_prefix`,
 * default `promptpilot:`). Layout version {@link STATE_SCHEMA_VERSION}; the
 * table in docs/operations.md ("Redis key schema") describes each key.
 */
export interface RedisKeys {
  /** STRING: the layout version the store was written with. */
  readonly schema: string;
  /** STRING: a random token written into an empty store; another (or none) than a daemon knew means the store lost its data. */
  readonly epoch: string;
  /** SET: names of the routes with a stored state. */
  readonly routes: string;
  /** ZSET: route names scored by the write counter at their last write (what followers poll). */
  readonly routesChanged: string;
  /** STRING counter: route state writes. */
  readonly routesVersion: string;
  /** STRING (JSON {@link StoredRoute}): a route's durable state; TTL unless it carries promotions or registered variants. */
  route(route: string): string;
  /** HASH owner, generation, expires: who owns a route; never expires (its generation must only grow). */
  lease(route: string): string;
  /** STRING (JSON {@link StoredCheckpoint}): window and detector checkpoint; TTL. */
  checkpoint(route: string): string;
  /** STREAM: the decision log; entry ids are `<seq>-0`, field `r` is the record's JSON line. Trimmed to a maximum length. */
  readonly decisions: string;
  /** STRING counter: last decision sequence number. */
  readonly decisionSeq: string;
  /** STRING: seq of the decision with this idempotency key; TTL. */
  decisionKey(key: string): string;
  /** ZSET: a route's sealed hourly rollups (JSON `HourlyRollup`) scored by hour start; TTL = the history retention. */
  history(route: string): string;
  /** ZSET: route names with history, scored by the wall time of their last write (ms); TTL = the history retention. */
  readonly historyRoutes: string;
  /** STRING: a token of the running process using this instance id, rewritten every refresh; TTL. */
  instance(id: string): string;
}

/** The keys under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  return {
    schema: `${prefix}schema`,
    epoch: `${prefix}epoch`,
    routes: `${prefix}routes`,
    routesChanged: `${prefix}routes:changed`,
    routesVersion: `${prefix}routes:version`,
    route: (route) => `${prefix}route:${route}`,
    lease: (route) => `${prefix}lease:${route}`,
    checkpoint: (route) => `${prefix}checkpoint:${route}`,
    decisions: `${prefix}decisions`,
    decisionSeq: `${prefix}decisions:seq`,
    decisionKey: (key) => `${prefix}decisions:key:${key}`,
    history: (route) => `${prefix}history:route:${route}`,
    historyRoutes: `${prefix}history:routes`,
    instance: (id) => `${prefix}instance:${id}`,
  };
}
