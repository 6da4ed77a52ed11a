import { describe, expect, it } from 'vitest';
import { KafkaDecisionSink, KafkaEventForwarder, KafkaEventSource, DeadLetterHeaders } from '../../src/adapters/kafka/index.js';
import { validateEvent, type TelemetryEvent } from '../../src/core/event.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { kcatConsume, kcatProduce, useKafkaMock } from './harness/index.js';
import { committedTotal, RecordingConsumer, uniqueSettings, waitUntil, wire } from './harness/kafkaTestSupport.js';

const mock = useKafkaMock();

describe('KafkaEventSource on the librdkafka mock cluster', () => {
  it('consumes v1 JSON events produced with kcat and commits their offsets once the consumer commits', async () => {
    const settings = uniqueSettings(mock.brokers);
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: `route-${i % 3}`, value: JSON.stringify(wire(i)) }));
    messages.push({ key: 'route-0', value: JSON.stringify([wire(100), wire(101)]) });
    await kcatProduce(mock.brokers, settings.topics.events, messages);

    const source = new KafkaEventSource(settings);
    const consumer = new RecordingConsumer(source);
    consumer.autoCommit = false;
    await source.start();
    await consumer.waitForEvents(42);
    expect(await committedTotal(mock.brokers, settings.group_id, settings.topics.events)).toBe(0);

    await consumer.commitAll();
    expect(source.inFlightEvents).toBe(0);
    await source.stop();
    consumer.close();

    expect(consumer.events.map((e) => e.ts).sort((a, b) => a - b)).toEqual([...Array.from({ length: 40 }, (_, i) => 1_700_000_000_000 + i), 1_700_000_000_100, 1_700_000_000_101]);
    expect(consumer.rejected).toEqual([]);
    expect(await committedTotal(mock.brokers, settings.group_id, settings.topics.events)).toBe(41);
  });

  it('dead-letters bad messages with the reason naming the field, before the batch commits, and keeps the good ones', async () => {
    const settings = uniqueSettings(mock.brokers);
    await kcatProduce(mock.brokers, settings.topics.events, [
      { key: 'a', value: JSON.stringify(wire(1, 'a')) },
      { key: 'a', value: '{"ts": 1, "route": "a"' },
      { key: 'a', value: JSON.stringify({ ...wire(2, 'a'), latency_ms: -5 }) },
      { key: 'a', value: JSON.stringify([wire(3, 'a'), { ...wire(4, 'a'), quality: 7 }]) },
      { key: 'a', value: JSON.stringify(wire(5, 'a')) },
    ], 0);

    const source = new KafkaEventSource(settings);
    const consumer = new RecordingConsumer(source);
    await source.start();
    await consumer.waitForEvents(3);
    await source.stop();
    consumer.close();

    expect(consumer.events.map((e) => e.ts - 1_700_000_000_000)).toEqual([1, 3, 5]);
    expect(consumer.rejected.map((r) => [r.field, r.origin])).toEqual([
      ['(message)', `kafka:${settings.topics.events}/0@1`],
      ['latency_ms', `kafka:${settings.topics.events}/0@2`],
      ['quality', `kafka:${settings.topics.events}/0@3`],
    ]);
    const dlq = await kcatConsume(mock.brokers, settings.topics.dead_letter);
    expect(dlq.map((m) => [m.headers[DeadLetterHeaders.field], m.headers[DeadLetterHeaders.offset], m.headers[DeadLetterHeaders.topic]])).toEqual([
      ['(message)', '1', settings.topics.events],
      ['latency_ms', '2', settings.topics.events],
      ['quality', '3', settings.topics.events],
    ]);
    expect(dlq[0]?.headers[DeadLetterHeaders.error]).toMatch(/^\(message\): not valid JSON/);
    expect(dlq[1]?.payload).toBe(JSON.stringify({ ...wire(2, 'a'), latency_ms: -5 }));
    expect(dlq[2]?.headers[DeadLetterHeaders.element]).toBe('1');
    expect(JSON.parse(dlq[2]?.payload ?? 'null')).toMatchObject({ quality: 7 });
    expect(await committedTotal(mock.brokers, settings.group_id, settings.topics.events)).toBe(5);
  });

  it('stops fetching while more events than max_in_flight_events await commit, and resumes after commits', async () => {
    const settings = uniqueSettings(mock.brokers, { max_in_flight_events: 5 });
    await kcatProduce(mock.brokers, settings.topics.events, Array.from({ length: 30 }, (_, i) => ({ key: 'r', value: JSON.stringify(wire(i, 'r')) })), 0);
    const source = new KafkaEventSource(settings);
    const consumer = new RecordingConsumer(source);
    consumer.autoCommit = false;
    await source.start();
    // The mock broker answers a fetch with one produced batch, and kcat may split the 30 into several: the
    // source pauses after whichever fetch takes it past 5 uncommitted events, not necessarily after all 30.
    await waitUntil(() => source.paused, 30_000, () => `the source to pause (${consumer.events.length} events delivered)`);
    const held = consumer.events.length;
    expect(held).toBeGreaterThan(5);
    await kcatProduce(mock.brokers, settings.topics.events, Array.from({ length: 20 }, (_, i) => ({ key: 'r', value: JSON.stringify(wire(100 + i, 'r')) })), 0);
    // A negative check needs a wait: several fetch cycles (maxWaitTime 500 ms) pass without a delivery.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(consumer.events).toHaveLength(held);

    consumer.autoCommit = true;
    await consumer.commitAll();
    expect(source.paused).toBe(false);
    await consumer.waitForEvents(50);
    await source.stop();
    consumer.close();
    expect(new Set(consumer.events.map((e) => e.ts)).size).toBe(50);
    expect(await committedTotal(mock.brokers, settings.group_id, settings.topics.events)).toBe(50);
  });

  it('setPaused(true) holds delivery until setPaused(false)', async () => {
    const settings = uniqueSettings(mock.brokers);
    const source = new KafkaEventSource(settings);
    const consumer = new RecordingConsumer(source);
    await source.start();
    source.setPaused(true);
    await kcatProduce(mock.brokers, settings.topics.events, [{ key: 'r', value: JSON.stringify(wire(1, 'r')) }]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(consumer.events).toHaveLength(0);
    source.setPaused(false);
    await consumer.waitForEvents(1);
    await source.stop();
    consumer.close();
  });
});

describe('KafkaDecisionSink and KafkaEventForwarder', () => {
  it('publishes decision records keyed by route, read back with kcat', async () => {
    const settings = uniqueSettings(mock.brokers);
    const sink = new KafkaDecisionSink(settings);
    const records: DecisionRecord[] = [
      { type: 'trigger', ts: 1_700_000_000_000, route: 'support', variant: 'v1', rule: 'response_time_warning', metric: 'latency_p95_ms', value: 3210.5, threshold: 3000, severity: 'warning', state: 'firing' } as DecisionRecord,
      { type: 'trigger', ts: 1_700_000_060_000, route: 'billing', variant: 'v2', rule: 'response_time_warning', metric: 'latency_p95_ms', value: 2000, threshold: 3000, severity: 'warning', state: 'resolved' } as DecisionRecord,
    ];
    await sink.publish(records);
    await sink.close();
    const out = await kcatConsume(mock.brokers, settings.topics.decisions);
    expect(out.map((m) => [m.key, JSON.parse(m.payload ?? 'null')]).sort()).toEqual(
      records.map((r) => [r.route, JSON.parse(JSON.stringify(r))]).sort(),
    );
  });

  it('forwards events as v1 wire JSON keyed by route that a KafkaEventSource reads back unchanged (gateway role)', async () => {
    const settings = uniqueSettings(mock.brokers);
    const events: TelemetryEvent[] = [];
    for (const w of [wire(1, 'a'), { ...wire(2, 'b'), error: 'timeout', pattern: 'few_shot', quality: 0.5 }, { ...wire(3, 'a'), error: true, arm: 'candidate' }]) {
      const result = validateEvent(w);
      if (result.ok) events.push(result.event);
    }
    const forwarder = new KafkaEventForwarder(settings);
    await forwarder.forward(events);
    await forwarder.close();
    const raw = await kcatConsume(mock.brokers, settings.topics.events);
    expect(raw.map((m) => m.key).sort()).toEqual(['a', 'a', 'b']);
    expect(raw.find((m) => m.key === 'b')?.payload).toContain('"error":"timeout"');

    const source = new KafkaEventSource(settings);
    const consumer = new RecordingConsumer(source);
    await source.start();
    await consumer.waitForEvents(3);
    await source.stop();
    consumer.close();
    expect([...consumer.events].sort((x, y) => x.ts - y.ts)).toEqual(events);
  });
});
