import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { formatRecord, type DecisionRecord } from '../../core/decision.js';
import type { DecisionSink } from '../../ports/ports.js';
import { createKafkaClient, silentLogger, type AdapterLogger, type KafkaClientOptions, type KafkaSettings } from './kafkaClient.js';

/** Options of the Kafka producers beyond the `kafka` config section. */
export interface KafkaProducerOptions {
  readonly logger?: AdapterLogger;
  readonly client?: KafkaClientOptions;
}

/**
 * Connects the producer both Kafka outputs use: idempotent, acks from all
 * replicas, one request in flight (ordering per partition survives retries),
 * topics auto-created (the librdkafka mock has no CreateTopics).
 *
 * @remarks kafkajs' idempotent producer needs the cluster's controller; the
 * librdkafka mock reports none, so there it falls back (with a warning) to the
 * same settings without idempotence: acks=all, one in-flight request.
 */
export async function connectProducer(kafka: Kafka, log: AdapterLogger): Promise<Producer> {
  const idempotent = kafka.producer({ allowAutoTopicCreation: true, idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  try {
    await idempotent.connect();
    return idempotent;
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'KafkaJSBrokerNotFound') throw err;
    await idempotent.disconnect().catch(() => {});
    log.warn({ component: 'kafka', err }, 'cluster has no controller: idempotent producer unavailable, using acks=all with one in-flight request');
    const plain = kafka.producer({ allowAutoTopicCreation: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await plain.connect();
    return plain;
  }
}

/**
 * A lazily connected producer writing keyed messages to one topic; what both
 * Kafka outputs share. A failed connect is retried on the next send.
 */
export class KeyedTopicProducer {
  private readonly kafka: Kafka;
  private readonly log: AdapterLogger;
  private producer: Promise<Producer> | null = null;

  constructor(settings: KafkaSettings, private readonly topic: string, options: KafkaProducerOptions = {}) {
    this.log = options.logger ?? silentLogger;
    this.kafka = createKafkaClient(settings, this.log, options.client);
  }

  /** Sends the messages and resolves once all replicas acknowledged them. */
  async send(messages: readonly { key: string; value: string }[]): Promise<void> {
    if (messages.length === 0) return;
    this.producer ??= connectProducer(this.kafka, this.log).catch((err: unknown) => {
      this.producer = null;
      throw err;
    });
    const producer = await this.producer;
    await producer.send({ topic: this.topic, acks: -1, messages: [...messages] });
  }

  /** Disconnects the producer. */
  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    if (producer !== null) await (await producer.catch(() => null))?.disconnect();
  }
}

/**
 * Publishes decision records to the decisions topic (default
 * `promptpilot.decisions`), one `formatRecord` line per message, key = route,
 * so one route's decisions stay in order on one partition. Connects lazily;
 * `publish` resolves once every record is acknowledged.
 */
export class KafkaDecisionSink implements DecisionSink {
  private readonly producer: KeyedTopicProducer;

  constructor(settings: KafkaSettings, options: KafkaProducerOptions = {}) {
    this.producer = new KeyedTopicProducer(settings, settings.topics.decisions, options);
  }

  /** Sends the records; throws (retriable) if the broker stays unreachable past kafkajs' retries. */
  async publish(records: readonly DecisionRecord[]): Promise<void> {
    await this.producer.send(records.map((record) => ({ key: record.route ?? '', value: formatRecord(record) })));
  }

  /** Disconnects the producer. */
  async close(): Promise<void> {
    await this.producer.close();
  }
}
