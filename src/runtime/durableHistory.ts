import { connectRedis, RedisHistoryStore, redisOutage } from '../adapters/redis/index.js';
import { describeError, TransientIoError } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import type { HistoryStore } from '../foresight/historyStore.js';
import type { Logger } from './logger.js';
import { redactAddress } from './secrets.js';

/** The long-horizon history kept in Redis (`redis.url` set). */
export interface DurableHistory {
  /** The engine's history store: an in-memory working set written through to Redis. */
  readonly store: HistoryStore;
  /** Reads the route's hours another instance sealed since this one loaded it (a takeover); rejects when Redis cannot be read. */
  loadRoute(route: string): Promise<number>;
  /** Writes again the hours held of these routes (Redis lost its data); returns how many. */
  rewriteRoutes(routes: readonly string[]): number;
  /** Why history writes fail (Redis unreachable), or null. */
  degraded(): string | null;
  /** Writes what is pending (best effort) and closes the connection. */
  close(): Promise<void>;
}

/**
 * Opens the history in Redis: connects (its own connection, so a long load or
 * a backlog never queues behind route-state writes), loads the stored hours
 * of the `monitoring.history.max_routes` most recently written routes, and
 * returns the store the engine appends to. Fails when Redis cannot be
 * reached, like the rest of the Redis state.
 */
export async function openDurableHistory(config: Config, logger: Logger): Promise<DurableHistory> {
  const url = config.redis.url!;
  const log = logger.child({ component: 'history' });
  const client = await connectRedis(url);
  const store = new RedisHistoryStore(client, {
    prefix: config.redis.key_prefix,
    retentionMs: config.monitoring.history.retention,
    maxRoutes: config.monitoring.history.max_routes,
    maxEntries: config.monitoring.history.max_entries,
    onCorrupt: (key, problem) => log.error({ key, problem }, 'skipping a stored history hour that is not one'),
    onAvailability: (failure) => {
      if (failure === null) log.info('history reachable again; pending hours written');
      else log.warn({ reason: failure }, 'history writes failing; hours kept in memory and retried');
    },
  });
  let hours: number;
  try {
    hours = await store.open();
  } catch (cause) {
    client.disconnect();
    throw new TransientIoError(`cannot load the history from Redis at ${redactAddress(url)}: ${describeError(cause)}`, { cause });
  }
  log.info({ redis: redactAddress(url), routes: store.routes().length, hours }, 'history loaded from Redis');
  return {
    store,
    loadRoute: (route) => store.loadRoute(route),
    rewriteRoutes: (routes) => store.rewrite(routes),
    degraded() {
      const failure = store.unavailable;
      return failure === null ? null : `${redisOutage('history', client, url, failure)}; hours of ${store.pendingRoutes} routes pending`;
    },
    async close() {
      await store.close();
      client.disconnect();
    },
  };
}
