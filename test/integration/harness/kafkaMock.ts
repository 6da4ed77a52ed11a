import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll } from 'vitest';

/** Path of the kcat binary (Debian package `kcat`). */
export const KCAT = process.env['KCAT'] ?? '/usr/bin/kcat';

/** A running librdkafka mock cluster. */
export interface KafkaMock {
  /** Bootstrap address, `127.0.0.1:PORT`. */
  readonly brokers: string;
  /** Stops the cluster (all its data is lost). Idempotent. */
  stop(): Promise<void>;
}

const ADDRESS = /(?:bootstrap\.servers=|replaced with )(127\.0\.0\.1:\d+)/;

/**
 * Starts librdkafka's mock cluster (a real Kafka-protocol server) inside a kcat
 * consumer process, as DESIGN §7 describes, and resolves with its address.
 *
 * @remarks The mock auto-creates topics (4 partitions) on metadata requests and
 * does not implement CreateTopics: producers need `allowAutoTopicCreation`.
 * librdkafka 2.0.2's only mock options are `test.mock.num.brokers` and
 * `test.mock.broker.rtt`: there is no fixed port, so a killed cluster cannot
 * come back with its data. Use {@link startKafkaOutageProxy} to simulate an outage.
 */
export async function startKafkaMock(options: { brokers?: number; timeoutMs?: number } = {}): Promise<KafkaMock> {
  const child = spawn(
    KCAT,
    ['-b', '127.0.0.1:1', '-X', `test.mock.num.brokers=${options.brokers ?? 1}`, '-q', '-C', '-t', '__harness_keepalive'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const brokers = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat mock cluster did not start: ${log.slice(0, 500)}`));
    }, options.timeoutMs ?? 10_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      const match = ADDRESS.exec(log);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kcat exited with ${String(code)} before the mock cluster started: ${log.slice(0, 500)}`));
    });
  });
  child.stderr?.resume();
  let stopping: Promise<void> | null = null;
  return {
    brokers,
    stop() {
      stopping ??= stopChild(child);
      return stopping;
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** One message to produce with kcat. */
export interface KcatMessage {
  readonly key?: string;
  readonly value: string | Buffer;
}

/**
 * Produces messages with `kcat -P`: one kcat run, keys and values framed with
 * unique delimiters so values may contain newlines or binary bytes.
 *
 * @remarks The mock broker answers a fetch with one produced batch (MessageSet) per partition, and how kcat
 * batches a run depends on timing, so a test must not assume its messages come in one fetch. To check one,
 * run it with `KCAT_BATCH_MESSAGES=1`: every message is then a batch, and a fetch, of its own.
 */
export async function kcatProduce(brokers: string, topic: string, messages: readonly KcatMessage[], partition?: number): Promise<void> {
  const keyDelimiter = '\u0001KEY\u0001';
  const messageDelimiter = '\u0002MSG\u0002';
  const parts: Buffer[] = [];
  for (const m of messages) {
    if (m.key !== undefined) parts.push(Buffer.from(m.key + keyDelimiter));
    else parts.push(Buffer.from(keyDelimiter));
    parts.push(typeof m.value === 'string' ? Buffer.from(m.value) : m.value);
    parts.push(Buffer.from(messageDelimiter));
  }
  const args = ['-P', '-b', brokers, '-t', topic, '-K', keyDelimiter, '-D', messageDelimiter, '-X', 'topic.acks=all'];
  if (partition !== undefined) args.push('-p', String(partition));
  const batchMessages = process.env['KCAT_BATCH_MESSAGES'];
  if (batchMessages !== undefined && batchMessages !== '') args.push('-X', `batch.num.messages=${batchMessages}`);
  await runKcat(args, Buffer.concat(parts));
}

/** A message read back with kcat's JSON envelope (`-J`). */
export interface KcatRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** Reads every message of a topic from the beginning (`kcat -C -e -o beginning -J`), ordered by partition then offset. */
export async function kcatConsume(brokers: string, topic: string): Promise<KcatRecord[]> {
  const out = await runKcat(['-C', '-b', brokers, '-t', topic, '-e', '-o', 'beginning', '-J', '-q'], null);
  const records: KcatRecord[] = [];
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const raw = JSON.parse(line) as { topic: string; partition: number; offset: number; key: string | null; payload: string | null; headers?: string[] };
    const headers: Record<string, string> = {};
    const list = raw.headers ?? [];
    for (let i = 0; i + 1 < list.length; i += 2) headers[list[i] ?? ''] = list[i + 1] ?? '';
    records.push({ topic: raw.topic, partition: raw.partition, offset: raw.offset, key: raw.key, payload: raw.payload, headers });
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

async function runKcat(args: readonly string[], input: Buffer | null): Promise<string> {
  const child = spawn(KCAT, args, { stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  if (input !== null) child.stdin?.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${String(code)}: ${Buffer.concat(err).toString('utf8').slice(0, 500)}`);
  return Buffer.concat(out).toString('utf8');
}

/**
 * A mock cluster for the test file: started before its tests, stopped after them. Read `brokers` inside tests.
 * Call it before `useRedisFixture`, so the daemons that fixture kills go before their broker does.
 */
export function useKafkaMock(options: { brokers?: number; timeoutMs?: number } = {}): { readonly brokers: string } {
  let mock: KafkaMock | undefined;
  beforeAll(async () => {
    mock = await startKafkaMock(options);
  });
  afterAll(async () => {
    await mock?.stop();
  });
  return {
    get brokers(): string {
      if (mock === undefined) throw new Error('useKafkaMock: the cluster starts in beforeAll; read brokers inside a test');
      return mock.brokers;
    },
  };
}
