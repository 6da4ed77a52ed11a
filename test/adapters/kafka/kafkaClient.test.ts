import { describe, expect, it } from 'vitest';
import { createKafkaClient, type AdapterLogger } from '../../../src/adapters/kafka/index.js';
import { connectProducer } from '../../../src/adapters/kafka/kafkaDecisionSink.js';
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

describe('an unreachable broker', () => {
  it('is one line per attempt naming the broker and what happens next, no stack trace; the last says it gives up', async () => {
    const { logger, lines } = capture();
    const settings = { ...ConfigSchema.parse({}).kafka, brokers: ['127.0.0.1:1'] };
    await expect(connectProducer(createKafkaClient(settings, logger, { initialRetryTimeMs: 5, maxRetryTimeMs: 10 }), logger)).rejects.toThrow(/ECONNREFUSED/);
    // kafkajs' note on our bounded producer retries is said once, at info.
    expect(lines.filter(([level]) => level === 'info').map(([, , msg]) => msg)).toEqual([expect.stringMatching(/^Limiting retries/)]);
    lines.splice(0, lines.findIndex(([level]) => level !== 'info'));
    expect(lines.map(([level]) => level)).toEqual([...Array<string>(8).fill('warn'), 'error']);
    lines.slice(0, 8).forEach(([, obj, msg], i) => {
      expect(obj).toMatchObject({ component: 'kafka', broker: '127.0.0.1:1', attempt: i + 1 });
      expect(msg).toMatch(/^Kafka broker 127\.0\.0\.1:1 unreachable \(connect ECONNREFUSED 127\.0\.0\.1:1\); still retrying, next attempt in \d+ ms$/);
    });
    expect(lines[8]![2]).toBe('Kafka broker 127.0.0.1:1 unreachable (connect ECONNREFUSED 127.0.0.1:1); giving up after 9 attempts');
    expect(JSON.stringify(lines)).not.toMatch(/stack|\n\s+at /);
  });
});
