import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaEventSource, type AdapterLogger } from '../../src/adapters/kafka/index.js';
import { kcatProduce, startKafkaMock, startKafkaOutageProxy, type KafkaMock, type KafkaOutageProxy } from './harness/index.js';
import { committedTotal, RecordingConsumer, uniqueSettings, waitUntil, wire } from './harness/kafkaTestSupport.js';

let mock: KafkaMock;
let proxy: KafkaOutageProxy;
beforeAll(async () => {
  mock = await startKafkaMock();
  proxy = await startKafkaOutageProxy(mock.brokers);
});
afterAll(async () => {
  await proxy.stop();
  await mock.stop();
});

function messages(from: number, count: number): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, k) => ({ key: `route-${(from + k) % 4}`, value: JSON.stringify(wire(from + k, `route-${(from + k) % 4}`)) }));
}

describe('KafkaEventSource when the broker goes away mid-stream', () => {
  it('reconnects, delivers every event, counts each once, and ends with consistent committed offsets', async () => {
    const settings = uniqueSettings(proxy.brokers);
    const crashes: string[] = [];
    const logger: AdapterLogger = { info: () => {}, warn: () => {}, error: (_obj, msg) => crashes.push(msg ?? '') };
    const source = new KafkaEventSource(settings, { logger, client: { initialRetryTimeMs: 100, maxRetryTimeMs: 800, connectionTimeoutMs: 500 } });
    const consumer = new RecordingConsumer(source);
    consumer.autoCommit = false;

    await kcatProduce(mock.brokers, settings.topics.events, messages(0, 120));
    await source.start();
    await consumer.waitForEvents(120);

    // The effects of the first 120 events are applied; the broker disappears before their offsets are committed.
    proxy.cut();
    await consumer.commitAll();
    // The commits failed (kafkajs resolving a commit it dropped counts as a failure) and nothing reached the broker.
    expect(source.counters.commitFailures).toBeGreaterThan(0);
    expect(await committedTotal(mock.brokers, settings.group_id, settings.topics.events)).toBe(0);
    await kcatProduce(mock.brokers, settings.topics.events, messages(120, 80));
    await waitUntil(() => crashes.some((m) => m === 'Kafka consumer crashed'), 30_000, () => 'the consumer to give up and restart');
    proxy.restore();

    consumer.autoCommit = true;
    await consumer.waitForEvents(200, 45_000);
    await source.stop();
    consumer.close();

    const countsByTs = new Map<number, number>();
    for (const e of consumer.events) countsByTs.set(e.ts, (countsByTs.get(e.ts) ?? 0) + 1);
    expect(countsByTs.size).toBe(200);
    expect([...countsByTs.values()].every((n) => n === 1)).toBe(true);
    // After the restart kafkajs fetched again from the last committed offsets: the 120 already-applied events were skipped, not re-counted.
    expect(source.counters.duplicatesSkipped).toBe(120);
    expect(await committedTotal(mock.brokers, settings.group_id, settings.topics.events)).toBe(200);
  });
});
