import { readFileSync } from 'node:fs';

/** Descriptors kept for everything that is not a client connection: files, Kafka, Redis, logs. */
export const RESERVED_FDS = 256;
/** Upper bound of the automatic connection cap. */
export const MAX_AUTO_CONNECTIONS = 10_000;

/** The soft open-file limit of this process (`/proc/self/limits`), or null where it cannot be read. */
export function openFileLimit(readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | null {
  try {
    const line = readLimits().split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === undefined) return null;
    if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * Client connections served normally when `server.max_connections` is unset:
 * the open-file limit minus {@link RESERVED_FDS} minus the probe headroom, at
 * most {@link MAX_AUTO_CONNECTIONS}, at least 16. 1,024 when the limit is unknown.
 */
export function autoMaxConnections(fdLimit: number | null, probeConnections: number): number {
  if (fdLimit === null) return 1_024;
  return Math.max(16, Math.min(MAX_AUTO_CONNECTIONS, fdLimit - RESERVED_FDS - probeConnections));
}

/** Node's default listen backlog. */
export const DEFAULT_LISTEN_BACKLOG = 511;

/**
 * Length of the listen queue: room for every connection the daemon would
 * serve (`maxConnections + probeConnections`), at least Node's default 511.
 *
 * @remarks A connection the kernel cannot queue is dropped without a word and
 * the client retries its handshake after 1 s, 3 s, 7 s — that, not a slow
 * answer, is what made `/healthz` take seconds when 1,000 clients connected
 * at once. The kernel clamps the value to `net.core.somaxconn` (4,096 by
 * default since Linux 5.4).
 */
export function listenBacklog(maxConnections: number, probeConnections: number): number {
  return Math.max(DEFAULT_LISTEN_BACKLOG, maxConnections + probeConnections);
}
