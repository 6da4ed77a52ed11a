import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/runtime/logger.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { kcatProduce, startKafkaMock, type KafkaMock } from './harness/index.js';
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

const start = Date.now() - 3_600_000;
const KAFKA_EVENTS = 6000;
const event = (route: string, i: number): Record<string, unknown> => ({ ts: start + i * 100, route, variant: 'v1', latency_ms: 800 + (i % 50) });

describe('Kafka consumer and a full pipeline queue', () => {
  it('with a tiny limits.max_queued_events the consumer pauses while HTTP traffic fills the queue, resumes, and every Kafka event is counted exactly once', async () => {
    const kafka = uniqueSettings(mock.brokers);
    await kcatProduce(mock.brokers, kafka.topics.events, Array.from({ length: KAFKA_EVENTS }, (_, i) => ({ key: 'from-kafka', value: JSON.stringify(event('from-kafka', i)) })));
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const logger = createLogger(parseConfig({ log: { level: 'info', format: 'json' } }), sink);
    const { daemon } = await startTestDaemon({ kafka, limits: { max_queued_events: 50 } }, { logger });
    daemons.push(daemon);

    // Four HTTP clients keep the queue busy with batches of 40 (some answered 503 while it is full) until Kafka is through.
    let httpAccepted = 0;
    let httpRefused = 0;
    let stop = false;
    const client = async (c: number): Promise<void> => {
      for (let n = 0; !stop; n++) {
        const body = JSON.stringify(Array.from({ length: 40 }, (_, i) => event(`from-http-${c}`, n * 40 + i)));
        const res = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status === 202) httpAccepted += ((await res.json()) as { accepted: number }).accepted;
        else {
          expect(res.status).toBe(503);
          await res.text();
          httpRefused++;
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    const paused = (): boolean => lines.some((l) => l.includes('Kafka consumer paused'));
    try {
      await waitUntil(paused, 120_000, () => 'the Kafka consumer to pause on a full queue');
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    await waitUntil(() => lines.some((l) => l.includes('Kafka consumer resumed')), 120_000, () => 'the Kafka consumer to resume');
    await waitUntil(() => daemon.engine.counters.accepted >= KAFKA_EVENTS + httpAccepted, 180_000, () => `${KAFKA_EVENTS} Kafka and ${httpAccepted} HTTP events accepted (now ${daemon.engine.counters.accepted})`);
    expect(httpRefused).toBeGreaterThan(0);
    // The source's counter moves when a batch is committed, just after the engine step.
    const kafkaAccepted = new RegExp(`^promptpilot_events_accepted_total\\{source="kafka"\\} ${KAFKA_EVENTS}$`, 'm');
    await until('the Kafka events counted in /metrics', async () => {
      const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
      return kafkaAccepted.test(metrics) ? true : null;
    }, 60_000, 50);
    await daemon.stop();
    // Exactly once: every Kafka event counted once and its offset committed once, whatever the pauses.
    expect(daemon.engine.counters.accepted).toBe(KAFKA_EVENTS + httpAccepted);
    expect(await committedTotal(mock.brokers, kafka.group_id, kafka.topics.events)).toBe(KAFKA_EVENTS);
    const pauses = lines.filter((l) => l.includes('Kafka consumer paused')).length;
    const resumes = lines.filter((l) => l.includes('Kafka consumer resumed')).length;
    expect(resumes).toBeGreaterThanOrEqual(pauses - 1);
  }, 480_000);
});
