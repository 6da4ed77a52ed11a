import { afterAll, beforeAll } from 'vitest';
import { KafkaEventSource } from '../../src/adapters/kafka/index.js';
import { toWireEvent } from '../../src/codecs/index.js';
import { kcatProduce, startKafkaMock, type KafkaMock } from '../integration/harness/index.js';
import { committedTotal, uniqueSettings } from '../integration/harness/kafkaTestSupport.js';
import { eventSourceContract } from './eventSourceContract.js';

let mock: KafkaMock;
beforeAll(async () => {
  mock = await startKafkaMock();
});
afterAll(async () => {
  await mock.stop();
});

// Each test joins a fresh consumer group on the mock cluster (~3 s): keep the contract's test count small.
eventSourceContract('KafkaEventSource', async ({ drainTimeoutMs }) => {
  const settings = uniqueSettings(mock.brokers);
  const topic = settings.topics.events;
  const source = new KafkaEventSource(settings, { drainTimeoutMs });
  return {
    source,
    produce: (events) => kcatProduce(mock.brokers, topic, events.map((e) => ({ key: e.route, value: JSON.stringify(toWireEvent(e)) }))),
    produceInvalid: () => kcatProduce(mock.brokers, topic, [{ key: 'bad', value: '{"ts": 1, "route": ' }]),
    committed: () => committedTotal(mock.brokers, settings.group_id, topic),
  };
});
