import type { TelemetryEvent } from '../../core/event.js';
import type { EventForwarder } from '../../ports/ports.js';
import type { KafkaSettings } from './kafkaClient.js';
import { KeyedTopicProducer, type KafkaProducerOptions } from './kafkaDecisionSink.js';
import { toWireEvent } from '../../codecs/wireEvent.js';

/**
 * Gateway role: forwards validated events to the events topic as v1 wire JSON
 * (one event per message, key = route), so many receivers feed one consumer
 * group and each route's events land on one partition. `forward` resolves
 * once every message is acknowledged, so a receiver can answer 202 only then.
 */
export class KafkaEventForwarder implements EventForwarder {
  private readonly producer: KeyedTopicProducer;

  constructor(settings: KafkaSettings, options: KafkaProducerOptions = {}) {
    this.producer = new KeyedTopicProducer(settings, settings.topics.events, options);
  }

  /** Produces the events; throws (retriable) if the broker stays unreachable past kafkajs' retries. */
  async forward(events: readonly TelemetryEvent[]): Promise<void> {
    await this.producer.send(events.map((event) => ({ key: event.route, value: JSON.stringify(toWireEvent(event)) })));
  }

  /** Disconnects the producer. */
  async close(): Promise<void> {
    await this.producer.close();
  }
}
