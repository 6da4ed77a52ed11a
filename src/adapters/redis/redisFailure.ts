import type { Redis } from 'ioredis';

/** The last connection error of each client {@link watchConnection} watches, until it is ready again. */
const lastConnectionError = new WeakMap<Redis, string>();

/**
 * Keeps the client's last connection error (refused, timed out, wrong password…)
 * until it is ready again: commands sent meanwhile fail only with "Stream isn't
 * writeable", which does not say why. Also keeps ioredis from printing each
 * reconnection failure (it does so while no `error` listener is set).
 */
export function watchConnection(client: Redis): void {
  client.on('error', (err: Error) => lastConnectionError.set(client, `${(err as { code?: unknown }).code ?? ''} ${err.message}`));
  client.on('ready', () => lastConnectionError.delete(client));
}

/** What ioredis and Redis say, in plain words; the first that matches wins. */
const CAUSES: readonly [RegExp, string][] = [
  [/WRONGPASS|NOAUTH|invalid password|invalid username-password/i, 'authentication failed (wrong or missing user or password)'],
  [/\bNOPERM\b/, 'the Redis user may not run these commands (NOPERM)'],
  [/^READONLY\b/, 'Redis is a read-only replica (READONLY), writes refused'],
  [/^OOM\b/, 'Redis is out of memory (OOM, past its maxmemory), writes refused'],
  [/^MISCONF\b/, 'Redis cannot save to disk (MISCONF), writes refused'],
  [/^LOADING\b/, 'Redis is still loading its data (LOADING)'],
  [/max number of clients/i, 'Redis has too many clients'],
  [/ECONNREFUSED/, 'connection refused'],
  [/ENOTFOUND|EAI_AGAIN/, 'host not found'],
  [/ETIMEDOUT|timed out/i, 'timeout, no answer in time'],
  [/ECONNRESET|EPIPE/, 'connection reset'],
  [/Stream isn't writeable|Connection is closed/i, 'not connected'],
];

/** {@link redisFailureCause} of an error it has no plain words for. */
export const UNKNOWN_CAUSE = 'unexpected error (its text is in the log)';

/**
 * Why a Redis command failed, in plain words (connection refused, timeout,
 * authentication failed, READONLY, OOM…), from its error text and, when it
 * failed for want of a connection, the client's last connection error. For
 * readiness and operators; the raw text belongs in the log.
 */
export function redisFailureCause(client: Redis, reason: string): string {
  const cause = (text: string): string | undefined => CAUSES.find(([pattern]) => pattern.test(text))?.[1];
  const said = cause(reason);
  const connection = lastConnectionError.get(client);
  if (said === 'not connected' || said === undefined) {
    const why = connection === undefined ? undefined : cause(connection);
    if (why !== undefined && why !== 'not connected') return why;
  }
  return said ?? UNKNOWN_CAUSE;
}

/** `host:port` of a `redis://` or `rediss://` URL (port 6379 when it names none), never its user or password. */
export function redisEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.port === '' ? `${parsed.host}:6379` : parsed.host;
  } catch {
    return 'the configured address';
  }
}

/**
 * The readiness sentence of a Redis-backed part that fails: what (`part`:
 * state store, outbox, decision log, history), where (host:port) and why in
 * plain words, e.g. `redis unavailable: the decision log at 10.0.0.5:6379 is
 * failing — connection refused`.
 */
export function redisOutage(part: string, client: Redis, url: string, reason: string): string {
  return `redis unavailable: the ${part} at ${redisEndpoint(url)} is failing — ${redisFailureCause(client, reason)}`;
}
