import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { postJson, startTestDaemon } from '../helpers/daemon.js';
import { kcatConsume, kcatProduce, startKafkaMock, type KafkaMock, type KcatRecord } from './harness/index.js';
import { committedTotal, uniqueSettings, waitUntil } from './harness/kafkaTestSupport.js';
import { until } from '../helpers/until.js';

let mock: KafkaMock;
const daemons: Daemon[] = [];
beforeAll(async () => {
  mock = await startKafkaMock();
});
afterAll(async () => {
  for (const d of daemons) await d.stop();
  await mock.stop();
});

const start = Date.now() - 3 * 3_600_000;
const slowEvent = (i: number): Record<string, unknown> => ({ ts: start + i * 500, route: 'slow', variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10 });

/** Reads the decisions topic with kcat until `wanted` holds (decisions are published asynchronously to the test). */
async function decisionsOnTopic(topic: string, wanted: (records: readonly KcatRecord[]) => boolean): Promise<KcatRecord[]> {
  let records: KcatRecord[] = [];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    records = await kcatConsume(mock.brokers, topic);
    if (wanted(records)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return records;
}

const firing = (records: readonly KcatRecord[]): boolean =>
  records.some((r) => r.key === 'slow' && r.payload?.includes('"rule":"response_time_warning"') === true && r.payload.includes('"state":"firing"'));

// 4000 events through a mock broker, one fetch per message with KCAT_BATCH_MESSAGES=1: minutes on a loaded machine.
describe('daemon with Kafka', { timeout: 420_000 }, () => {
  it('consumes v1 JSON produced with kcat and publishes its decisions to the decisions topic keyed by route; offsets committed', async () => {
    const kafka = uniqueSettings(mock.brokers);
    await kcatProduce(mock.brokers, kafka.topics.events, [
      ...Array.from({ length: 4000 }, (_, i) => ({ key: 'slow', value: JSON.stringify(slowEvent(i)) })),
      { key: 'slow', value: '{"route":"slow"}' },
      { key: 'slow', value: JSON.stringify(slowEvent(0)) }, // a 33-minute-old retry: older than the window
    ]);
    const { daemon } = await startTestDaemon({ kafka });
    daemons.push(daemon);

    const records = await decisionsOnTopic(kafka.topics.decisions, firing);
    expect(firing(records)).toBe(true);
    const first = JSON.parse(records.find((r) => r.key === 'slow')?.payload ?? 'null') as Record<string, unknown>;
    expect(first).toMatchObject({ type: 'trigger', route: 'slow' });
    await waitUntil(() => daemon.engine.counters.accepted >= 4000, 240_000, () => `all events accepted (now ${daemon.engine.counters.accepted})`);
    // Self-telemetry: the Kafka source's accepted and dead-lettered events and its consumer lag. The retry is the
    // last message and may come in a fetch of its own (the mock broker answers a fetch with one produced batch).
    const schema = /^promptpilot_events_rejected_total\{source="kafka",reason="schema"\} 1$/m;
    const tooLate = /^promptpilot_events_rejected_total\{source="kafka",reason="too_late"\} 1$/m;
    const metrics = await until('the Kafka source\'s rejections in /metrics', async () => {
      const text = await (await fetch(`${daemon.url}/metrics`)).text();
      return schema.test(text) && tooLate.test(text) ? text : null;
    }, 60_000, 50);
    expect(metrics).toMatch(/^promptpilot_events_accepted_total\{source="kafka"\} 4000$/m);
    expect(metrics).toMatch(schema);
    expect(metrics).toMatch(tooLate);
    const lag = [...metrics.matchAll(/^promptpilot_kafka_consumer_lag_messages\{topic="([^"]+)",partition="\d+"\} (\d+)$/gm)];
    expect(lag.some((m) => m[1] === kafka.topics.events)).toBe(true);
    expect(lag.every((m) => m[2] === '0')).toBe(true);
    await daemon.stop();
    expect(daemon.engine.counters.accepted).toBe(4000);
    expect(await committedTotal(mock.brokers, kafka.group_id, kafka.topics.events)).toBe(4002);
    const dlq = await kcatConsume(mock.brokers, kafka.topics.dead_letter);
    expect(dlq.map((r) => r.headers['promptpilot-error-field'])).toEqual(['ts', 'ts']);
    expect(dlq[1]!.headers['promptpilot-error']).toMatch(/^ts: too_late: /);
    expect(dlq[1]!.headers['promptpilot-original-offset']).toBe('4001');
    expect(JSON.parse(dlq[1]!.payload ?? '{}')).toMatchObject({ ts: start, route: 'slow', variant: 'cot' });
  });

  it('gateway role forwards POST /v1/events to the events topic keyed by route; a consumer daemon turns them into decisions', async () => {
    const kafka = uniqueSettings(mock.brokers);
    const { daemon: gateway } = await startTestDaemon({ kafka: { ...kafka, role: 'gateway' } });
    daemons.push(gateway);
    const batch = Array.from({ length: 4000 }, (_, i) => slowEvent(i));
    const res = await postJson(`${gateway.url}/v1/events`, batch);
    expect(res.status).toBe(202);
    const forwarded = await kcatConsume(mock.brokers, kafka.topics.events);
    expect(forwarded).toHaveLength(4000);
    expect(new Set(forwarded.map((r) => r.key))).toEqual(new Set(['slow']));
    expect(JSON.parse(forwarded[0]?.payload ?? 'null')).toEqual(batch[0]);
    expect(gateway.engine.counters.accepted).toBe(0);

    const { daemon: consumer } = await startTestDaemon({ kafka });
    daemons.push(consumer);
    expect(firing(await decisionsOnTopic(kafka.topics.decisions, firing))).toBe(true);
  });
});
