import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Config } from '../../config/schema.js';
import { describeError } from '../../core/errors.js';

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

/** Reconnect attempts kafkajs makes after a first failure before the call fails (connect, send, metadata). */
export const KAFKA_CLIENT_RETRIES = 8;

/**
 * Creates the kafkajs client for the `kafka` config section: brokers,
 * client id, TLS, SASL (plain / scram-sha-256 / scram-sha-512), retry with
 * exponential backoff. kafkajs' own logging is bridged into `logger` at warn
 * level and above (kafkajs is chatty at info: every join and rebalance); an
 * unreachable broker is one line per attempt ({@link KafkaLogBridge}).
 *
 * @remarks kafkajs types never leave src/adapters/kafka: callers get them only
 * through the adapters in this folder.
 */
export function createKafkaClient(settings: KafkaSettings, logger: AdapterLogger = silentLogger, options: KafkaClientOptions = {}): Kafka {
  const bridge = new KafkaLogBridge(logger, KAFKA_CLIENT_RETRIES);
  const config: KafkaConfig = {
    brokers: [...(options.brokers ?? settings.brokers)],
    clientId: settings.client_id,
    ssl: settings.ssl,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    retry: {
      initialRetryTime: options.initialRetryTimeMs ?? 300,
      maxRetryTime: options.maxRetryTimeMs ?? 30_000,
      retries: KAFKA_CLIENT_RETRIES,
      factor: 0.2,
      multiplier: 2,
    },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => bridge.log(entry),
  };
  const sasl = saslOptions(settings);
  if (sasl !== undefined) config.sasl = sasl;
  return new Kafka(config);
}

/** kafkajs errors that mean "the broker is not reachable (now)": expected while Kafka is down, retried, no stack worth showing. */
const CONNECTION_ERRORS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSBrokerNotFound']);

/** Whether `err` is an expected connection failure (broker down or unreachable), not a bug or a protocol error. */
export function isKafkaConnectionError(err: unknown): boolean {
  return err instanceof Error && CONNECTION_ERRORS.has(err.name);
}

/** An error as log fields: an expected connection failure as its message (`reason`), anything else whole (`err`, with its stack). */
export function kafkaErrorFields(err: unknown): { reason: string } | { err: unknown } {
  return isKafkaConnectionError(err) ? { reason: describeError(err) } : { err };
}

/**
 * Turns kafkajs' log entries into the daemon's lines. An unreachable broker
 * makes kafkajs log two errors per attempt, one with a stack trace (`Connection
 * error: connect ECONNREFUSED …` and `Failed to connect to seed broker, trying
 * another broker from the list`); the bridge makes that one warning per attempt
 * naming the broker and what happens next — `retrying in N s`, or, after the
 * last attempt, an error `giving up` — and no stack trace.
 */
export class KafkaLogBridge {
  /** The broker and error of the latest connection failure, for the retry line that follows it. */
  private lastFailure: { broker: string; error: string } | null = null;

  constructor(
    private readonly logger: AdapterLogger,
    /** Retries of the client's calls: a failure at this retry count is the last. */
    private readonly retries: number,
  ) {}

  log(entry: LogEntry): void {
    const { message, timestamp: _ts, stack: _stack, ...extra } = entry.log;
    const obj = { component: 'kafka', namespace: entry.namespace, ...extra };
    if (entry.level === logLevel.ERROR && entry.namespace === 'Connection' && /^Connection (error|timeout)/.test(message)) {
      this.lastFailure = { broker: typeof extra['broker'] === 'string' ? extra['broker'] : 'unknown', error: message.replace(/^Connection error: /, '') };
      return;
    }
    if (entry.level === logLevel.ERROR && entry.namespace === 'BrokerPool' && typeof extra['retryCount'] === 'number' && /^Failed to connect to (seed )?broker/.test(message)) {
      this.retryLine(extra['retryCount'], typeof extra['retryTime'] === 'number' ? extra['retryTime'] : null, message);
      return;
    }
    // Every member of a rebalancing group gets REBALANCE_IN_PROGRESS answers (one per partition in
    // flight) before it rejoins: routine, not an error. The rejoin itself is logged at warn.
    if (entry.level === logLevel.ERROR && entry.namespace === 'Connection' && typeof extra['error'] === 'string' && extra['error'].includes('rebalancing')) {
      this.logger.info(obj, message);
      return;
    }
    // Our choice (retries bounded, so a dead broker fails a call instead of hanging it); said once per producer.
    if (entry.level === logLevel.WARN && message.startsWith('Limiting retries for the idempotent producer')) {
      this.logger.info(obj, message);
      return;
    }
    if (entry.level === logLevel.ERROR) this.logger.error(obj, message);
    else if (entry.level === logLevel.WARN) this.logger.warn(obj, message);
    else this.logger.info(obj, message);
  }

  private retryLine(retryCount: number, retryTimeMs: number | null, message: string): void {
    const failure = this.lastFailure ?? { broker: 'unknown', error: message };
    this.lastFailure = null;
    const attempt = retryCount + 1;
    const fields = { component: 'kafka', broker: failure.broker, attempt, error: failure.error };
    if (retryCount >= this.retries || retryTimeMs === null) {
      this.logger.error(fields, `Kafka broker ${failure.broker} unreachable (${failure.error}); giving up after ${attempt} attempts`);
      return;
    }
    const wait = retryTimeMs < 1_000 ? `${Math.round(retryTimeMs)} ms` : `${Math.round(retryTimeMs / 100) / 10} s`;
    this.logger.warn({ ...fields, retry_in_ms: retryTimeMs }, `Kafka broker ${failure.broker} unreachable (${failure.error}); still retrying, next attempt in ${wait}`);
  }
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
