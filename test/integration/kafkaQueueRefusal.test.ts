import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/runtime/logger.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { GatedLog } from '../helpers/gatedLog.js';
import { kcatProduce, startKafkaMock, type KafkaMock } from './harness/index.js';
import { committedTotal, uniqueSettings, waitUntil } from './harness/kafkaTestSupport.js';
import { until } from '../helpers/until.js';

let mock: KafkaMock;
let daemon: Daemon | null = null;
let log: GatedLog | null = null;
beforeAll(async () => {
  mock = await startKafkaMock();
});
afterAll(async () => {
  log?.release();
  await daemon?.stop();
  await mock.stop();
});

const now = Date.now();
const KAFKA_EVENTS = 300;
const QUEUE_BOUND = 500;
const HTTP_EVENTS = QUEUE_BOUND;
/** Three hours of slow calls: the step that takes them produces decisions, whose append waits on the gate. */
const slowRoute = (): object[] =>
  Array.from({ length: 4000 }, (_, i) => ({ ts: now - 3 * 3_600_000 + i * 2_500, route: 'slow', variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10 }));
const httpEvents = (n: number): object[] => Array.from({ length: n }, (_, i) => ({ ts: now - 60_000 + i, route: 'from-http', variant: 'v', latency_ms: 5 }));
const kafkaEvent = (i: number): Record<string, unknown> => ({ ts: now - 3_600_000 + i * 100, route: 'from-kafka', variant: 'v1', latency_ms: 800 + (i % 50) });
const post = (url: string, body: unknown): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('a Kafka batch refused by a full pipeline queue', () => {
  it('is retried, uncommitted meanwhile, and once the queue drains every Kafka event is counted and committed exactly once', async () => {
    const kafka = uniqueSettings(mock.brokers);
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const logger = createLogger(parseConfig({ log: { level: 'info', format: 'json' } }), sink);
    log = new GatedLog();
    ({ daemon } = await startTestDaemon({ kafka, limits: { max_queued_events: QUEUE_BOUND } }, { logger, decisionLog: log }));
    const url = daemon.url;

    // The pipeline stalls on the first step's decisions; HTTP events fill the queue behind it to its bound, so
    // no Kafka batch fits, however the broker splits the topic into fetches (a fetch of 100 or fewer events
    // would fit beside 400 queued ones, and would then wait on the stalled step instead of being refused).
    const first = post(`${url}/v1/events`, slowRoute());
    await waitUntil(() => log!.appendsStarted === 1, 30_000, () => 'the first step to wait on the decision log');
    const second = post(`${url}/v1/events`, httpEvents(HTTP_EVENTS));
    const queued = async (): Promise<number> => Number(/^promptpilot_pipeline_queued_events (\S+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
    await expect.poll(queued, { timeout: 30_000 }).toBe(HTTP_EVENTS);
    const acceptedBefore = daemon.engine.counters.accepted;

    // Every Kafka batch would pass the bound: each is refused whole with OverloadedError and retried.
    await kcatProduce(mock.brokers, kafka.topics.events, Array.from({ length: KAFKA_EVENTS }, (_, i) => ({ key: 'from-kafka', value: JSON.stringify(kafkaEvent(i)) })));
    const refusals = (): Record<string, unknown>[] =>
      lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'batch failed, retrying');
    await waitUntil(() => refusals().length >= 2, 60_000, () => `two refusals of a Kafka batch (log: ${lines.slice(-5).join('')})`);
    expect(refusals()[0]).toMatchObject({ attempt: 1, err: { code: 'OVERLOADED' } });
    expect(refusals()[1]).toMatchObject({ attempt: 2, err: { code: 'OVERLOADED' } });
    // Refused means nothing taken and nothing committed.
    expect(daemon.engine.counters.accepted).toBe(acceptedBefore);
    expect(await committedTotal(mock.brokers, kafka.group_id, kafka.topics.events)).toBe(0);

    log.release();
    expect((await first).status).toBe(202);
    expect((await second).status).toBe(202);
    await waitUntil(() => daemon!.engine.counters.accepted === acceptedBefore + HTTP_EVENTS + KAFKA_EVENTS, 60_000,
      () => `every event accepted (now ${daemon!.engine.counters.accepted - acceptedBefore} of ${HTTP_EVENTS + KAFKA_EVENTS})`);
    const kafkaAccepted = new RegExp(`^promptpilot_events_accepted_total\\{source="kafka"\\} ${KAFKA_EVENTS}$`, 'm');
    await until('the Kafka events counted in /metrics', async () => {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      return kafkaAccepted.test(metrics) ? true : null;
    }, 60_000, 50);
    await daemon.stop();
    // Exactly once: the refused batch counted once after its retry, its offsets committed once.
    expect(daemon.engine.counters.accepted).toBe(acceptedBefore + HTTP_EVENTS + KAFKA_EVENTS);
    expect(daemon.engine.liveStats('from-kafka')?.[0]?.count ?? null).toBe(KAFKA_EVENTS);
    expect(await committedTotal(mock.brokers, kafka.group_id, kafka.topics.events)).toBe(KAFKA_EVENTS);
    expect(lines.some((l) => l.includes('batch failed and was skipped'))).toBe(false);
    daemon = null;
  }, 180_000);
});
