import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Config } from '../../config/schema.js';

/** The `kafka` section of the validated configuration. */
export type KafkaSettings = Config['kafka'];

/** The logging surface this adapter needs: pino's, or anything shaped like it. */
export interface AdapterLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: AdapterLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** Client knobs that are not part of the user-facing config (tests, tuning). */
export interface KafkaClientOptions {
  /** Overrides the configured brokers (e.g. a test proxy). */
  readonly brokers?: readonly string[];
  /** First reconnect delay in ms; doubles up to {@link maxRetryTimeMs}. Default 300. */
  readonly initialRetryTimeMs?: number;
  /** Longest delay between reconnect attempts in ms. Default 30 000. */
  readonly maxRetryTimeMs?: number;
  /** Connection timeout in ms. Default 3000. */
  readonly connectionTimeoutMs?: number;
}

/**
 * Creates the kafkajs client for the `kafka` config section: brokers,
 * client id, TLS, SASL (plain / scram-sha-256 / scram-sha-512), retry with
 * exponential backoff. kafkajs' own logging is bridged into `logger` at warn
 * level and above (kafkajs is chatty at info: every join and rebalance).
 *
 * @remarks kafkajs types never leave src/adapters/kafka: callers get them only
 * through the adapters in this folder.
 */
export function createKafkaClient(settings: KafkaSettings, logger: AdapterLogger = silentLogger, options: KafkaClientOptions = {}): Kafka {
  const config: KafkaConfig = {
    brokers: [...(options.brokers ?? settings.brokers)],
    clientId: settings.client_id,
    ssl: settings.ssl,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    retry: {
      initialRetryTime: options.initialRetryTimeMs ?? 300,
      maxRetryTime: options.maxRetryTimeMs ?? 30_000,
      retries: 8,
      factor: 0.2,
      multiplier: 2,
    },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => bridgeLog(logger, entry),
  };
  const sasl = saslOptions(settings);
  if (sasl !== undefined) config.sasl = sasl;
  return new Kafka(config);
}

function saslOptions(settings: KafkaSettings): SASLOptions | undefined {
  const sasl = settings.sasl;
  if (sasl === undefined) return undefined;
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

function bridgeLog(logger: AdapterLogger, entry: LogEntry): void {
  const { message, timestamp: _ts, ...extra } = entry.log;
  const obj = { component: 'kafka', namespace: entry.namespace, ...extra };
  // Every member of a rebalancing group gets REBALANCE_IN_PROGRESS answers (one per partition in
  // flight) before it rejoins: routine, not an error. The rejoin itself is logged at warn.
  if (entry.level === logLevel.ERROR && entry.namespace === 'Connection' && typeof extra['error'] === 'string' && extra['error'].includes('rebalancing')) {
    logger.info(obj, message);
    return;
  }
  if (entry.level === logLevel.ERROR) logger.error(obj, message);
  else if (entry.level === logLevel.WARN) logger.warn(obj, message);
  else logger.info(obj, message);
}
