// Kafka ingest benchmark (issue 3): events/s through KafkaEventSource (fetch, decode, validate,
// dead-letter check, in-order manual commits) vs a bare kafkajs consumer doing only JSON.parse,
// both reading the same topic of the librdkafka mock cluster in the same run. Target ratio >= 0.7.
// The mock keeps only ~5 MB per partition (older segments are dropped: 200k of these events leave
// ~100k readable), so the default is 90k events over 4 partitions, all retained.
// Usage: npx tsx bench/kafka.ts [--events 90000] [--rounds 3]
import { Kafka, logLevel } from 'kafkajs';
import { KafkaEventSource } from '../src/adapters/kafka/index.js';
import { ConfigSchema } from '../src/config/schema.js';
import { kcatProduce, startKafkaMock } from '../test/integration/harness/index.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 90_000);
const ROUNDS = arg('rounds', 3);
const TOPIC = 'bench.events';
const PATTERNS = ['zero_shot', 'few_shot', 'chain_of_thought'] as const;

/** Realistic v1 events: ~170 bytes each, 50 routes. */
function messages(): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const route = `route-${i % 50}`;
    const event = {
      ts: 1_767_225_600_000 + i,
      route,
      variant: `v${i % 3}`,
      pattern: PATTERNS[i % 3],
      latency_ms: 400 + (i * 37) % 2000,
      input_tokens: 300 + (i % 400),
      output_tokens: 100 + (i % 200),
      model: 'gpt-4o-mini',
      quality: ((i * 7) % 100) / 100,
      correct: i % 10 !== 0,
    };
    out.push({ key: route, value: JSON.stringify(event) });
  }
  return out;
}

/** Time from the first delivered batch to the last event (excludes the mock's ~3 s group-join delay). */
interface Timing {
  first: number;
  last: number;
  count: number;
}

function waitFor(condition: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const tick = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error('benchmark timed out (did the mock drop old segments? lower --events)'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

async function bareConsumer(brokers: string, group: string): Promise<number> {
  const kafka = new Kafka({ brokers: [brokers], clientId: 'bench-bare', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 500 });
  const t: Timing = { first: 0, last: 0, count: 0 };
  let sink = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (t.first === 0) t.first = performance.now();
      for (const m of batch.messages) {
        const v = JSON.parse(m.value?.toString('utf8') ?? 'null') as { latency_ms?: number };
        sink += v.latency_ms ?? 0;
      }
      t.count += batch.messages.length;
      if (t.count >= EVENTS) t.last = performance.now();
    },
  });
  await waitFor(() => t.count >= EVENTS);
  await consumer.disconnect();
  if (sink < 0) console.log(sink);
  return (EVENTS / (t.last - t.first)) * 1000;
}

async function eventSource(brokers: string, group: string): Promise<number> {
  const base = ConfigSchema.parse({}).kafka;
  const source = new KafkaEventSource({ ...base, brokers: [brokers], group_id: group, topics: { ...base.topics, events: TOPIC, otlp_spans: `${TOPIC}.otlp` } });
  const t: Timing = { first: 0, last: 0, count: 0 };
  let rejected = 0;
  const subscription = source.batches$.subscribe((batch) => {
    if (t.first === 0) t.first = performance.now();
    t.count += batch.events.length;
    rejected += batch.rejected.length;
    if (t.count + rejected >= EVENTS) t.last = performance.now();
    void batch.commit();
  });
  await source.start();
  await waitFor(() => t.count + rejected >= EVENTS);
  await source.stop();
  subscription.unsubscribe();
  if (rejected > 0) throw new Error(`${rejected} events rejected`);
  return (EVENTS / (t.last - t.first)) * 1000;
}

const mock = await startKafkaMock();
try {
  const t0 = performance.now();
  await kcatProduce(mock.brokers, TOPIC, messages());
  console.log(`produced ${EVENTS} events to ${TOPIC} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const bare: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await bareConsumer(mock.brokers, `bench-bare-${round}`));
    ours.push(await eventSource(mock.brokers, `bench-source-${round}`));
    console.log(`round ${round + 1}: bare kafkajs + JSON.parse ${Math.round(bare[round] ?? 0)} ev/s, KafkaEventSource ${Math.round(ours[round] ?? 0)} ev/s`);
  }
  const best = (xs: number[]): number => Math.max(...xs);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const ratio = best(ours) / best(bare);
  console.log(`kafka ingest (best of ${ROUNDS}): bare ${Math.round(best(bare))} ev/s, KafkaEventSource ${Math.round(best(ours))} ev/s, ratio ${ratio.toFixed(2)} (target >= 0.7)`);
  console.log(`kafka ingest (median): bare ${Math.round(median(bare))} ev/s, KafkaEventSource ${Math.round(median(ours))} ev/s, ratio ${(median(ours) / median(bare)).toFixed(2)}`);
  process.exitCode = ratio >= 0.7 ? 0 : 1;
} finally {
  await mock.stop();
}
