import type { Kafka, Producer } from 'kafkajs';
import { formatRecord, type DecisionRecord } from '../../core/decision.js';
import type { DecisionSink } from '../../ports/ports.js';
import { createKafkaClient, silentLogger, type AdapterLogger, type KafkaClientOptions, type KafkaSettings } from './kafkaClient.js';

/** Options of the Kafka producers beyond the `kafka` config section. */
export interface KafkaProducerOptions {
  readonly logger?: AdapterLogger;
  readonly client?: KafkaClientOptions;
}

/**
 * Creates the idempotent producer both Kafka outputs use: acks from all
 * replicas, one request in flight (ordering per partition survives retries),
 * topics auto-created (the librdkafka mock has no CreateTopics).
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({ allowAutoTopicCreation: true, idempotent: true, maxInFlightRequests: 1 });
}

/**
 * Publishes decision records to the decisions topic (default
 * `promptpilot.decisions`), one `formatRecord` line per message, key = route,
 * so one route's decisions stay in order on one partition. Connects lazily;
 * `publish` resolves once every record is acknowledged.
 */
export class KafkaDecisionSink implements DecisionSink {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    private readonly settings: KafkaSettings,
    options: KafkaProducerOptions = {},
  ) {
    this.producer = createIdempotentProducer(createKafkaClient(settings, options.logger ?? silentLogger, options.client));
  }

  /** Sends the records; throws (retriable) if the broker stays unreachable past kafkajs' retries. */
  async publish(records: readonly DecisionRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.send({
      topic: this.settings.topics.decisions,
      acks: -1,
      messages: records.map((record) => ({ key: record.route, value: formatRecord(record) })),
    });
  }

  /** Disconnects the producer. */
  async close(): Promise<void> {
    if (this.connected !== null) await this.producer.disconnect();
    this.connected = null;
  }
}
