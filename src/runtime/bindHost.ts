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
