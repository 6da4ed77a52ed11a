// Bad input of any kind gets a clear 4xx and loses nothing else: a seeded fuzz of every intake endpoint.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { mulberry32 } from '../../src/sim/random.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon());
});
afterAll(async () => {
  await daemon.stop();
});

const rng = mulberry32(2026);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const junkValues: unknown[] = [null, true, -1, 1e308, '', 'x'.repeat(300), [], {}, { a: { b: [1, 2, { c: null }] } }, '2026-13-99T00:00:00Z', Number.MAX_SAFE_INTEGER, 0.5];

/** A near-valid event with some fields replaced by junk, some dropped, some added. */
function mutant(i: number): unknown {
  const base: Record<string, unknown> = {
    ts: Date.now() - 60_000, route: `fuzz-${i % 5}`, variant: 'v', latency_ms: 100 + i, pattern: 'few_shot',
    input_tokens: 10, output_tokens: 5, quality: 0.5, correct: true, error: false, arm: 'baseline',
  };
  const keys = Object.keys(base);
  for (let k = 0; k < 1 + Math.floor(rng() * 3); k++) {
    const roll = rng();
    const key = pick(keys);
    if (roll < 0.4) base[key] = pick(junkValues);
    else if (roll < 0.6) delete base[key];
    else base[`extra_${k}`] = pick(junkValues);
  }
  return rng() < 0.05 ? pick(junkValues) : base;
}

function randomBytes(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => Math.floor(rng() * 256)));
}

async function post(path: string, body: Buffer | string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${daemon.url}${path}`, { method: 'POST', headers, body });
  await res.arrayBuffer();
  return res.status;
}

describe('bad input never crashes the daemon or loses the rest', () => {
  it('300 mutated event batches: every valid event counted, every invalid one named, never a 5xx', async () => {
    let accepted = 0;
    let expectedValid = 0;
    for (let b = 0; b < 300; b++) {
      const batch = Array.from({ length: 1 + Math.floor(rng() * 20) }, (_, i) => mutant(b * 20 + i));
      const { status, json } = await postJson(`${daemon.url}/v1/events`, batch);
      expect(status, JSON.stringify(batch)).toBe(202);
      expect(json.accepted + json.rejected).toBe(batch.length);
      for (const e of json.errors) {
        expect(typeof e.index).toBe('number');
        expect(e.field.length).toBeGreaterThan(0);
        expect(e.message.length).toBeGreaterThan(0);
      }
      accepted += json.accepted;
      expectedValid += batch.length - json.rejected;
    }
    expect(accepted).toBe(expectedValid);
    expect(accepted).toBeGreaterThan(300);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    // Accepted means counted: late events (e.g. ts 0.5 on a route already at now) are rejections.
    const counter = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(counter('promptpilot_events_accepted_total{source="http"}')).toBe(accepted);
  });

  it('garbage bodies on every intake endpoint and content type: 4xx, never 5xx', async () => {
    const paths = ['/v1/events', '/v1/traces', '/v1/metrics'];
    const types = ['application/json', 'application/x-ndjson', 'application/x-protobuf', 'text/plain', 'application/octet-stream'];
    const statuses = new Set<number>();
    for (let i = 0; i < 150; i++) {
      const raw = rng() < 0.5 ? randomBytes(1 + Math.floor(rng() * 400)) : Buffer.from(JSON.stringify(pick(junkValues)));
      const gzip = rng() < 0.3;
      const headers: Record<string, string> = { 'content-type': pick(types) };
      if (gzip) headers['content-encoding'] = 'gzip';
      const body = gzip && rng() < 0.7 ? gzipSync(raw) : raw; // sometimes a lie: says gzip, is not
      const status = await post(pick(paths), body, headers);
      statuses.add(status);
      expect(status, `status ${status}`).toBeLessThan(500);
    }
    expect([...statuses].some((s) => s >= 400)).toBe(true);
    expect((await getJson(`${daemon.url}/healthz`)).json.status).toBe('ok');
  });

  it('the control API rejects malformed queries with 4xx', async () => {
    for (const q of ['/v1/assign', '/v1/assign?route=', '/v1/assign?route=%FF&unit=u', '/v1/decisions?limit=-1', '/v1/decisions?type=nope', '/v1/routes/%00', '/v1/experiments/%2e%2e']) {
      const res = await fetch(`${daemon.url}${q}`);
      expect(res.status, q).toBeLessThan(500);
      await res.arrayBuffer();
    }
  });
});
