import type { Config } from '../config/schema.js';

/** Loopback: a sidecar serves the application beside it, nobody else. */
export const SIDECAR_HOST = '127.0.0.1';
/** Every interface: a gateway receives telemetry from other hosts. */
export const GATEWAY_HOST = '0.0.0.0';

/**
 * The address the HTTP server binds: `server.host` when set; otherwise
 * loopback, or every interface for the Kafka gateway role (its whole job is
 * taking input from other machines).
 */
export function bindHost(config: Config): string {
  if (config.server.host !== undefined) return config.server.host;
  return config.kafka.brokers.length > 0 && config.kafka.role === 'gateway' ? GATEWAY_HOST : SIDECAR_HOST;
}

/**
 * The host of a URL that reaches a server bound to `host` from this machine: loopback for the wildcard addresses
 * (`0.0.0.0`, `::`), else `host` itself (bracketed when IPv6).
 *
 * @remarks The daemon logged `http://127.0.0.1:PORT` whatever it bound: bound to one interface (`::1`, `10.0.0.5`)
 * that URL was refused, and bound to every interface it did not show that it was.
 */
export function urlHost(host: string): string {
  if (host === '' || host === GATEWAY_HOST || host === '::') return SIDECAR_HOST;
  return host.includes(':') ? `[${host}]` : host;
}
