import { KafkaDecisionSink } from '../../src/adapters/kafka/index.js';
import { kcatConsume, useKafkaMock } from '../integration/harness/index.js';
import { uniqueSettings } from '../integration/harness/kafkaTestSupport.js';
import { decisionSinkContract } from './decisionSinkContract.js';

const mock = useKafkaMock();

decisionSinkContract(
  'KafkaDecisionSink',
  () => {
    const settings = uniqueSettings(mock.brokers);
    return Object.assign(new KafkaDecisionSink(settings), { topic: settings.topics.decisions });
  },
  async (sink) => (await kcatConsume(mock.brokers, sink.topic)).map((m) => m.payload ?? ''),
);
