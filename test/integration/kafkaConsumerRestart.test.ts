import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaEventSource, type AdapterLogger } from '../../src/adapters/kafka/index.js';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';
import { kcatProduce, startKafkaMock, startKafkaOutageProxy, type KafkaMock, type KafkaOutageProxy } from './harness/index.js';
import { RecordingConsumer, uniqueSettings, waitUntil, wire } from './harness/kafkaTestSupport.js';

// The race of issue 15, made deterministic: librdkafka's mock coordinator completes a generation as soon as
// the leader's SyncGroup carries every member's assignment, and answers a follower's SyncGroup that arrives
// after it with INVALID_REQUEST, which kafkajs treats as fatal. A leader without the sync grace and a
// follower whose responses are 300 ms late (the proxy) lose that race every time.

let mock: KafkaMock;
let proxy: KafkaOutageProxy;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  mock = await startKafkaMock();
  proxy = await startKafkaOutageProxy(mock.brokers);
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await proxy.stop();
  await mock.stop();
});

const SESSION_MS = 3_000;
const fastRestart = { maxAttempts: 8, initialBackoffMs: 200, maxBackoffMs: 1_000 };

function recordingLogger(lines: string[]): AdapterLogger {
  return { info: () => {}, warn: (_o, msg) => lines.push(`warn ${msg ?? ''}`), error: (_o, msg) => lines.push(`error ${msg ?? ''}`) };
}

async function startLeader(settings: ReturnType<typeof uniqueSettings>): Promise<{ source: KafkaEventSource; consumer: RecordingConsumer }> {
  const source = new KafkaEventSource(settings, { sessionTimeoutMs: SESSION_MS, syncGraceMs: 0 });
  const consumer = new RecordingConsumer(source);
  cleanups.push(async () => {
    await source.stop();
    consumer.close();
  });
  await source.start();
  await waitUntil(() => source.health.state === 'consuming', 15_000, () => 'the leader to join');
  return { source, consumer };
}

describe('a Kafka consumer that crashes in a rebalance', () => {
  it('is restarted with backoff; with the sync grace the group then splits the partitions and every event is counted once', async () => {
    const settings = uniqueSettings(mock.brokers);
    const leader = await startLeader(settings);

    proxy.delayResponses(300);
    const lines: string[] = [];
    const follower = new KafkaEventSource(settings, { sessionTimeoutMs: SESSION_MS, restart: fastRestart, client: { brokers: [proxy.brokers] }, logger: recordingLogger(lines) });
    const followerConsumer = new RecordingConsumer(follower);
    cleanups.push(async () => {
      await follower.stop();
      followerConsumer.close();
    });
    const states: string[] = [];
    follower.health$.subscribe((h) => states.push(`${h.state}${h.reason === undefined ? '' : ` (${h.reason})`}`));
    await follower.start();
    await waitUntil(() => follower.counters.crashes > 0, 20_000, () => 'the follower to lose the SyncGroup race');
    expect(follower.health.state).toBe('recovering');
    expect(follower.health.reason).toMatch(/^consumer crashed: .*malformed/);
    proxy.delayResponses(0);
    // The graceless leader leaves; the follower's restart gets the group (once its crashed member's session expired).
    await leader.source.stop();
    await waitUntil(() => follower.health.state === 'consuming', 40_000, () => `the follower to be restarted and join (states ${states.join(' → ')})`);
    expect(lines).toContain('warn restarting the Kafka consumer');
    expect(follower.health.restarts).toBeGreaterThan(0);

    // A second instance with the default sync grace joins: no crash, the partitions are split.
    const second = new KafkaEventSource(settings, { sessionTimeoutMs: SESSION_MS });
    const secondConsumer = new RecordingConsumer(second);
    cleanups.push(async () => {
      await second.stop();
      secondConsumer.close();
    });
    const crashesBefore = follower.counters.crashes;
    await second.start();
    await waitUntil(() => second.health.state === 'consuming', 20_000, () => 'the second instance to join');
    const messages = Array.from({ length: 64 }, (_, i) => ({ key: `route-${i % 16}`, value: JSON.stringify(wire(i, `route-${i % 16}`)) }));
    await kcatProduce(mock.brokers, settings.topics.events, messages);
    await waitUntil(() => followerConsumer.events.length + secondConsumer.events.length >= 64, 40_000, () => `64 events (follower ${followerConsumer.events.length}, second ${secondConsumer.events.length})`);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const all = [...followerConsumer.events, ...secondConsumer.events].map((e) => e.ts);
    expect(all).toHaveLength(64);
    expect(new Set(all).size).toBe(64);
    expect(followerConsumer.events.length).toBeGreaterThan(0);
    expect(secondConsumer.events.length).toBeGreaterThan(0);
    expect(follower.counters.crashes).toBe(crashesBefore);
    expect(second.counters.crashes).toBe(0);
  }, 90_000);

  it('a consumer that cannot rejoin makes the daemon unready and settles its failure (promptpilot run then exits 1)', async () => {
    const settings = uniqueSettings(mock.brokers, { session_timeout: SESSION_MS, restart: { max_attempts: 0, initial_backoff: 100, max_backoff: 100 } });
    await startLeader(settings);
    proxy.delayResponses(300);
    let daemon: Daemon | null = null;
    try {
      ({ daemon } = await startTestDaemon({ kafka: { ...settings, brokers: [proxy.brokers] } }));
      const started = daemon;
      cleanups.push(() => started.stop());
      const failure = await Promise.race([daemon.failure, new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000))]);
      expect(failure?.message).toMatch(/the Kafka consumer failed: consumer crashed 1 times in a row/);
      const readyz = await getJson(`${daemon.url}/readyz`);
      expect(readyz.status).toBe(503);
      expect(readyz.json).toMatchObject({ status: 'not_ready' });
      expect(readyz.json.reason).toMatch(/^kafka consumer failed: /);
    } finally {
      proxy.delayResponses(0);
    }
  }, 60_000);
});

