import { describe, expect, it } from 'vitest';
import { createKafkaClient, type AdapterLogger } from '../../../src/adapters/kafka/index.js';
import { ConfigSchema } from '../../../src/config/schema.js';

function capture(): { logger: AdapterLogger; lines: [string, object, string | undefined][] } {
  const lines: [string, object, string | undefined][] = [];
  return {
    lines,
    logger: {
      info: (obj, msg) => lines.push(['info', obj, msg]),
      warn: (obj, msg) => lines.push(['warn', obj, msg]),
      error: (obj, msg) => lines.push(['error', obj, msg]),
    },
  };
}

describe('createKafkaClient', () => {
  it('bridges kafkajs logs at warn and above into the given logger, with their fields', () => {
    const { logger, lines } = capture();
    const settings = { ...ConfigSchema.parse({}).kafka, brokers: ['127.0.0.1:9'] };
    const root = createKafkaClient(settings, logger).logger().namespace('Consumer');
    root.info('joined group', { groupId: 'g' });
    root.warn('rebalancing', { groupId: 'g' });
    root.error('Crash: KafkaJSNumberOfRetriesExceeded', { retryCount: 5 });
    expect(lines).toEqual([
      ['warn', expect.objectContaining({ component: 'kafka', namespace: 'Consumer', groupId: 'g' }), 'rebalancing'],
      ['error', expect.objectContaining({ component: 'kafka', retryCount: 5 }), 'Crash: KafkaJSNumberOfRetriesExceeded'],
    ]);
  });
});
