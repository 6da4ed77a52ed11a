import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kcatProduce, killAll, startDaemonProcess, startKafkaMock, type DaemonProcess, type KafkaMock } from './harness/index.js';
import { committedTotal, uniqueSettings } from './harness/kafkaTestSupport.js';

// Real `promptpilot run` processes (the built package; npm test builds first) sharing one consumer group
// on librdkafka's mock cluster through PROMPTPILOT_KAFKA_BROKERS, as an operator scales out.

let mock: KafkaMock;
const running: DaemonProcess[] = [];
beforeAll(async () => {
  mock = await startKafkaMock();
});
afterAll(async () => {
  await killAll(running);
  await mock.stop();
});

function startDaemon(name: string, configFile: string): Promise<DaemonProcess> {
  return startDaemonProcess(name, configFile, { PROMPTPILOT_KAFKA_BROKERS: mock.brokers }, running);
}

async function readyStatus(d: DaemonProcess): Promise<number> {
  return (await fetch(`${d.url}/readyz`)).status;
}

/** The daemon's counters from /metrics: events counted into route statistics, late, rejected. */
async function counts(d: DaemonProcess): Promise<{ accepted: number; late: number; rejected: number }> {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  // Sums every labelled series of a counter (rejections are labelled by reason).
  const value = (name: string): number => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  return { accepted: value('promptpilot_events_accepted_total'), late: value('promptpilot_events_late_total'), rejected: value('promptpilot_events_rejected_total') };
}

let produced = 0;
/** Produces `n` events keyed by route over 16 routes, dated just behind the wall clock, in order per route. */
async function produce(topic: string, n: number): Promise<void> {
  const base = Date.now() - 60_000;
  const messages = Array.from({ length: n }, (_, k) => {
    const i = produced + k;
    const route = `route-${i % 16}`;
    return { key: route, value: JSON.stringify({ ts: base + k, route, variant: 'v1', latency_ms: 100 + (i % 50), input_tokens: 10, output_tokens: 5 }) };
  });
  produced += n;
  await kcatProduce(mock.brokers, topic, messages);
}

describe('several promptpilot daemons in one Kafka consumer group', () => {
  it('split the partitions and count every event exactly once as instances join, leave and are killed', async () => {
    const settings = uniqueSettings(mock.brokers);
    const dir = mkdtempSync(join(tmpdir(), 'pp-group-'));
    const configFile = join(dir, 'promptpilot.yaml');
    writeFileSync(
      configFile,
      [
        'server: { host: 127.0.0.1 }',
        'log: { level: info }',
        'kafka:',
        `  group_id: ${settings.group_id}`,
        `  topics: { events: ${settings.topics.events}, otlp_spans: ${settings.topics.otlp_spans}, decisions: ${settings.topics.decisions}, dead_letter: ${settings.topics.dead_letter} }`,
        '  session_timeout: 3s',
        '',
      ].join('\n'),
    );
    const topic = settings.topics.events;
    const committed = (): Promise<number> => committedTotal(mock.brokers, settings.group_id, topic);
    const finals = new Map<string, number>();
    const total = async (live: readonly DaemonProcess[]): Promise<number> => {
      let sum = 0;
      for (const value of finals.values()) sum += value;
      for (const d of live) sum += (await counts(d)).accepted;
      return sum;
    };
    /** Waits until the instances together counted everything produced and the group committed it, then checks it stays exact. */
    const settle = async (live: readonly DaemonProcess[], what: string): Promise<void> => {
      let last = -1;
      const deadline = Date.now() + 40_000;
      while (Date.now() < deadline) {
        last = await total(live);
        if (last >= produced && (await committed()) === produced) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect({ what, counted: await total(live), committed: await committed() }).toEqual({ what, counted: produced, committed: produced });
    };

    const a = await startDaemon('A', configFile);
    await waitForReady(a);
    await produce(topic, 200);
    await settle([a], 'A alone');
    expect((await counts(a)).accepted).toBe(200);

    // B joins: the partitions are split, nobody crashes, both stay ready.
    const b = await startDaemon('B', configFile);
    await waitForReady(b);
    await produce(topic, 200);
    await settle([a, b], 'A and B');
    const afterJoin = { a: (await counts(a)).accepted, b: (await counts(b)).accepted };
    expect(afterJoin.b).toBeGreaterThan(0);
    expect(afterJoin.a).toBeGreaterThan(200);
    expect(await readyStatus(a)).toBe(200);
    expect(await readyStatus(b)).toBe(200);

    // B leaves cleanly (SIGTERM, exit 0): A takes its partitions over.
    finals.set('B', afterJoin.b);
    b.child.kill('SIGTERM');
    const [bCode] = (await once(b.child, 'exit')) as [number | null];
    expect(bCode).toBe(0);
    await produce(topic, 200);
    await settle([a], 'after B left');

    // C joins, then is killed (SIGKILL, no goodbye): after its session times out A takes everything back.
    const c = await startDaemon('C', configFile);
    await waitForReady(c);
    await produce(topic, 200);
    await settle([a, c], 'A and C');
    const cCount = (await counts(c)).accepted;
    expect(cCount).toBeGreaterThan(0);
    finals.set('C', cCount);
    c.child.kill('SIGKILL');
    await once(c.child, 'exit');
    await produce(topic, 200);
    await settle([a], 'after C was killed');

    expect(await counts(a)).toMatchObject({ late: 0, rejected: 0 });
    expect(await readyStatus(a)).toBe(200);
    const crashLines = [...a.output, ...b.output, ...c.output].filter((line) => line.includes('Kafka consumer crashed'));
    expect(crashLines).toEqual([]);
    a.child.kill('SIGTERM');
    const [aCode] = (await once(a.child, 'exit')) as [number | null];
    expect(aCode).toBe(0);
  }, 150_000);
});

async function waitForReady(d: DaemonProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await readyStatus(d)) !== 200) {
    if (Date.now() > deadline) throw new Error(`${d.name} never became ready: ${d.output.join('\n').slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
