import { Redis } from 'ioredis';
import { TransientIoError, describeError } from '../../core/errors.js';
import { redactAddress } from '../../runtime/secrets.js';
import { UNKNOWN_CAUSE, redisFailureCause, watchConnection } from './redisFailure.js';

/** Options of {@link connectRedis}. */
export interface RedisConnectionOptions {
  /** A command not answered within this is failed (ms); an outage must not stall the pipeline. */
  readonly commandTimeoutMs?: number;
  /** Longest pause between reconnection attempts (ms). */
  readonly maxReconnectDelayMs?: number;
  /** Give up the first connection after this long (ms). */
  readonly connectTimeoutMs?: number;
}

/**
 * Opens an ioredis connection for the state store and the decision log.
 *
 * @remarks Commands fail at once while disconnected (no offline queue, no
 * per-request retries): the daemon's own bounded buffer holds what could not
 * be written, so an outage is visible and bounded instead of hidden in the
 * client. The client reconnects forever in the background.
 */
export async function connectRedis(url: string, options: RedisConnectionOptions = {}): Promise<Redis> {
  const maxDelayMs = options.maxReconnectDelayMs ?? 1_000;
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    retryStrategy: (attempt) => Math.min(maxDelayMs, 50 * attempt),
  });
  // Errors surface through the failed commands; the connection's own say why (readiness names it).
  watchConnection(client);
  try {
    await client.connect();
  } catch (cause) {
    // ioredis rejects the first connect with "Connection is closed." whatever went wrong; the cause (refused, host
    // not found, wrong password…) is in the connection's last error, read before disconnect() forgets it.
    const said = describeError(cause);
    const why = redisFailureCause(client, said);
    client.disconnect();
    throw new TransientIoError(`cannot connect to Redis at ${redactAddress(url)}: ${why === UNKNOWN_CAUSE ? said : why}`, { cause });
  }
  return client;
}
