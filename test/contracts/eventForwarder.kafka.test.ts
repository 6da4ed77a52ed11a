import { afterAll, beforeAll } from 'vitest';
import { KafkaEventForwarder } from '../../src/adapters/kafka/index.js';
import { validateEvent } from '../../src/core/event.js';
import { kcatConsume, startKafkaMock, type KafkaMock } from '../integration/harness/index.js';
import { uniqueSettings } from '../integration/harness/kafkaTestSupport.js';
import { eventForwarderContract, type ForwardedEvent } from './eventForwarderContract.js';

let mock: KafkaMock;
beforeAll(async () => {
  mock = await startKafkaMock();
});
afterAll(async () => {
  await mock.stop();
});

eventForwarderContract(
  'KafkaEventForwarder',
  () => {
    const settings = uniqueSettings(mock.brokers);
    return Object.assign(new KafkaEventForwarder(settings), { topic: settings.topics.events });
  },
  async (forwarder) => {
    const out: ForwardedEvent[] = [];
    for (const m of await kcatConsume(mock.brokers, forwarder.topic)) {
      // Decoded the way a consumer daemon decodes the events topic (wire format v1).
      const result = validateEvent(JSON.parse(m.payload ?? 'null'));
      if (!result.ok) throw new Error(`undecodable message at ${m.partition}@${m.offset}: ${result.error.field} ${result.error.message}`);
      out.push({ key: m.key, event: result.event });
    }
    return out;
  },
);
