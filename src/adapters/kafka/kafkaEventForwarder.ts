import type { Kafka, Producer } from 'kafkajs';
import type { TelemetryEvent } from '../../core/event.js';
import type { EventForwarder } from '../../ports/ports.js';
import { createKafkaClient, silentLogger, type AdapterLogger, type KafkaSettings } from './kafkaClient.js';
import { connectProducer, type KafkaProducerOptions } from './kafkaDecisionSink.js';
import { toWireEvent } from './wireEvent.js';

/**
 * Gateway role: forwards validated events to the events topic as v1 wire JSON
 * (one event per message, key = route), so many receivers feed one consumer
 * group and each route's events land on one partition. `forward` resolves
 * once every message is acknowledged, so a receiver can answer 202 only then.
 */
export class KafkaEventForwarder implements EventForwarder {
  private readonly kafka: Kafka;
  private readonly log: AdapterLogger;
  private producer: Promise<Producer> | null = null;

  constructor(
    private readonly settings: KafkaSettings,
    options: KafkaProducerOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
    this.kafka = createKafkaClient(settings, this.log, options.client);
  }

  /** Produces the events; throws (retriable) if the broker stays unreachable past kafkajs' retries. */
  async forward(events: readonly TelemetryEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.producer ??= connectProducer(this.kafka, this.log).catch((err: unknown) => {
      this.producer = null;
      throw err;
    });
    const producer = await this.producer;
    await producer.send({
      topic: this.settings.topics.events,
      acks: -1,
      messages: events.map((event) => ({ key: event.route, value: JSON.stringify(toWireEvent(event)) })),
    });
  }

  /** Disconnects the producer. */
  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    if (producer !== null) await (await producer.catch(() => null))?.disconnect();
  }
}
