import { afterEach, describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { startWebhookReceiver, verifySignature as verify, type ReceivedRequest, type WebhookReceiver } from './harness/index.js';

const SECRET = 'whsec-test-0123456789';
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

/** 4000 slow calls in one batch: the response-time rules fire (warning) on route `slow`. */
async function slowTraffic(daemon: Daemon, route = 'slow'): Promise<void> {
  const start = Date.now() - 3 * 3_600_000;
  const batch = Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 500, route, variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10 }));
  const res = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
  expect(res.status).toBe(202);
}

function receiverFor(daemonRaw: Record<string, unknown>, receiver: WebhookReceiver, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...daemonRaw,
    notify: {
      receivers: [{ name: 'audit', type: 'webhook', url: receiver.url, secret: SECRET, match: { types: ['trigger'], severity: ['warning', 'critical'] }, ...extra }],
      delivery: { initial_backoff: '20ms', max_backoff: '200ms', max_attempts: 5 },
    },
  };
}

const byKey = (requests: readonly ReceivedRequest[]): Map<string, ReceivedRequest[]> => {
  const out = new Map<string, ReceivedRequest[]>();
  for (const r of requests) {
    const key = String(r.headers['idempotency-key']);
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
};

describe('alert delivery (webhook receiver over real HTTP)', () => {
  it('a receiver answering 500 three times then 200 acknowledges each alert exactly once, under one key, signed verifiably', async () => {
    // Per idempotency key: 500, 500, 500, then 200.
    const receiver = await startWebhookReceiver((req, seen) => ({ status: seen.filter((s) => s.headers['idempotency-key'] === req.headers['idempotency-key']).length < 3 ? 500 : 200 }));
    running.push({ stop: () => receiver.close() });
    const { daemon } = await startTestDaemon(receiverFor({}, receiver));
    running.push(daemon);
    await slowTraffic(daemon);
    const { json } = await getJson(`${daemon.url}/v1/decisions?type=trigger`);
    const firing = (json.decisions as { severity: string }[]).filter((d) => d.severity === 'warning' || d.severity === 'critical');
    expect(firing.length).toBeGreaterThan(0);
    await receiver.waitFor((reqs) => [...byKey(reqs).values()].filter((attempts) => attempts.some((a) => a.status === 200)).length >= firing.length);
    await daemon.stop();
    const keys = byKey(receiver.requests);
    expect(keys.size).toBe(firing.length);
    for (const attempts of keys.values()) {
      expect(attempts.map((a) => a.status)).toEqual([500, 500, 500, 200]);
      expect(new Set(attempts.map((a) => a.body)).size).toBe(1); // same bytes every time
      for (const a of attempts) expect(verify(SECRET, a.body, String(a.headers['promptpilot-signature']), Date.now() / 1000)).toBe(true);
      expect(verify('wrong-secret', attempts[0]!.body, String(attempts[0]!.headers['promptpilot-signature']), Date.now() / 1000)).toBe(false);
      const body = JSON.parse(attempts[0]!.body) as { decision: { type: string }; summary: string; idempotency_key: string };
      expect(body.decision.type).toBe('trigger');
      expect(body.summary).toMatch(/^slow\/cot: .* — \w+ fires, \w+$/);
      expect(body.idempotency_key).toBe(attempts[0]!.headers['idempotency-key']);
    }
    // The payloads are the logged decisions, byte for byte.
    expect([...keys.values()].map((a) => JSON.stringify(JSON.parse(a[0]!.body).decision)).sort()).toEqual(firing.map((d) => JSON.stringify(d)).sort());
  });

  it('Slack: one incoming-webhook message per route and batch, headline, summary and evidence readable at a glance', async () => {
    const receiver = await startWebhookReceiver();
    running.push({ stop: () => receiver.close() });
    const { daemon } = await startTestDaemon({ notify: { receivers: [{ name: 'chat', type: 'slack', url: receiver.url, match: { types: ['trigger'] } }] } });
    running.push(daemon);
    await slowTraffic(daemon, 'slow');
    await slowTraffic(daemon, 'slower');
    await receiver.waitFor((reqs) => new Set(reqs.map((r) => (JSON.parse(r.body) as { text: string }).text.match(/on `(\w+)`/)?.[1])).size === 2);
    const message = JSON.parse(receiver.requests[0]!.body) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(message.text).toMatch(/^:large_orange_circle: \w+ FIRING on `slow` \(warning\): slow\/cot: p95 latency [\d.]+ s is above [\d.]+ s for \d+ min \(\d+ calls\)/);
    expect(message.blocks[0]).toMatchObject({ type: 'section', text: { text: expect.stringMatching(/^:large_orange_circle: \*\w+ FIRING\* on `slow` \(warning\)\nslow\/cot: p95 latency /) } });
    expect(message.blocks[1]!.text!.text).toMatch(/^• latency_p95_ms = \d+ vs threshold \d+ \(target latency_p95_ms 2000 \+\d+ %\)\n• window 5m, \d+ samples, held /);
    expect(message.blocks[2]).toMatchObject({ type: 'context' });
    // Slack gets no signature header (it has no secret) but the same idempotency key scheme.
    expect(receiver.requests[0]!.headers['promptpilot-signature']).toBeUndefined();
    expect(receiver.requests[0]!.headers['idempotency-key']).toMatch(/^chat-[0-9a-f]{32}$/);
  });

  it('a 4xx other than 429 is not retried: one request per alert, then a dead letter naming the status', async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 410 }));
    running.push({ stop: () => receiver.close() });
    const outbox = new MemoryOutbox();
    const { daemon } = await startTestDaemon(receiverFor({}, receiver), { outbox });
    running.push(daemon);
    await slowTraffic(daemon);
    await receiver.waitFor((reqs) => reqs.length > 0);
    const dead = await until('a dead letter', async () => {
      const letters = await outbox.deadLetters('notify:audit', 100);
      return letters.length > 0 ? letters : null;
    }, 60_000, 25);
    await new Promise((r) => setTimeout(r, 300)); // several backoff periods: a retry would have happened
    expect(dead[0]!.lastError ?? '').toMatch(/HTTP 410.*not retried/);
    expect(byKey(receiver.requests).size).toBe(receiver.requests.length);
  });

  it('429 with Retry-After: the next attempt waits at least that long', async () => {
    const receiver = await startWebhookReceiver((_req, seen) => (seen.length === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    running.push({ stop: () => receiver.close() });
    const raw = receiverFor({}, receiver, { match: { types: ['trigger'], severity: ['critical', 'warning'], routes: ['slow'] } });
    const { daemon } = await startTestDaemon({ ...raw, notify: { ...(raw['notify'] as object), delivery: { initial_backoff: '20ms', max_backoff: '5s' } } });
    running.push(daemon);
    const sentAt: number[] = [];
    const original = receiver.answer;
    receiver.answer = (req, seen) => {
      sentAt.push(Date.now());
      return original(req, seen);
    };
    await slowTraffic(daemon);
    await receiver.waitFor((reqs) => reqs.some((r) => r.status === 200));
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(950); // the 20 ms backoff alone would be far sooner
  });
  // A receiver that is down while the daemon restarts: test/integration/alertRestart.test.ts (real processes, real Redis).
});
