import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { startWebhookReceiver } from './harness/index.js';

const TOKEN = 'dead-letter-test-token';
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

/** 4000 slow calls in one batch: the response-time rules fire (warning) on route `slow`. */
async function slowTraffic(daemon: Daemon): Promise<void> {
  const start = Date.now() - 3 * 3_600_000;
  const batch = Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 500, route: 'slow', variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10 }));
  const res = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
  expect(res.status).toBe(202);
}

describe('dead letters over HTTP (GET /v1/outbox, /v1/outbox/dead-letters)', () => {
  it('an alert a receiver refused is listed with its key, attempts, the receiver\'s answer and the exact body; a healthy receiver shows none', async () => {
    const refusing = await startWebhookReceiver(() => ({ status: 422, body: 'unknown field "decision"' }));
    const healthy = await startWebhookReceiver();
    running.push({ stop: () => refusing.close() }, { stop: () => healthy.close() });
    const match = { types: ['trigger'], severity: ['warning', 'critical'] };
    const { daemon } = await startTestDaemon({
      server: { api_token: TOKEN, protect_templates: true },
      notify: {
        receivers: [
          { name: 'legacy', type: 'webhook', url: refusing.url, match },
          { name: 'ops', type: 'webhook', url: healthy.url, match },
        ],
        delivery: { initial_backoff: '20ms', max_backoff: '100ms', max_attempts: 3 },
      },
    });
    running.push(daemon);
    await slowTraffic(daemon);
    await healthy.waitFor((reqs) => reqs.length > 0);
    await refusing.waitFor((reqs) => reqs.length > 0);

    const auth = { authorization: `Bearer ${TOKEN}` };
    const overview = await until('nothing pending in the outbox', async () => {
      const destinations = (await getJson(`${daemon.url}/v1/outbox`)).json.destinations as { destination: string; pending: number; dead_lettered: number }[];
      return destinations.every((d) => d.pending === 0) ? destinations : null;
    }, 60_000, 25);
    // A 4xx other than 429 is not retried: every message the refusing receiver got is dead-lettered after one try.
    expect(overview).toEqual([
      { destination: 'notify:legacy', pending: 0, dead_lettered: refusing.requests.length },
      { destination: 'notify:ops', pending: 0, dead_lettered: 0 },
    ]);

    const res = await fetch(`${daemon.url}/v1/outbox/dead-letters?destination=notify:legacy`, { headers: auth });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { destination: string; dead_letters: { key: string; attempts: number; last_error: string; payload: { body: string } }[] };
    expect(page.destination).toBe('notify:legacy');
    expect(page.dead_letters).toHaveLength(refusing.requests.length);
    for (const [i, letter] of page.dead_letters.entries()) {
      expect(letter.attempts).toBe(1);
      expect(letter.last_error).toContain('HTTP 422: unknown field "decision"');
      // What was sent, byte for byte, under the key it was sent with.
      expect(letter.payload.body).toBe(refusing.requests[i]!.body);
      expect(letter.key).toBe(refusing.requests[i]!.headers['idempotency-key']);
    }
    expect(((await (await fetch(`${daemon.url}/v1/outbox/dead-letters?destination=notify:ops`, { headers: auth })).json()) as { dead_letters: unknown[] }).dead_letters).toEqual([]);

    // They can hold decisions with candidate templates: behind the token with server.protect_templates.
    expect((await fetch(`${daemon.url}/v1/outbox/dead-letters?destination=notify:legacy`)).status).toBe(401);
    const bad = await fetch(`${daemon.url}/v1/outbox/dead-letters?limit=5`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^destination: required/);
    expect((await fetch(`${daemon.url}/v1/outbox/dead-letters?destination=notify:legacy&limit=0`, { headers: auth })).status).toBe(400);
    // A misspelt destination is not an empty list (which reads as "nothing was given up on"): 404 with the names there are.
    const typo = await fetch(`${daemon.url}/v1/outbox/dead-letters?destination=notify:legcy`, { headers: auth });
    expect(typo.status).toBe(404);
    expect(await typo.json()).toEqual({ error: 'unknown destination: notify:legcy (GET /v1/outbox lists them: notify:legacy, notify:ops)' });
  });
});
