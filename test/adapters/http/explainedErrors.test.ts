import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../../src/daemon.js';
import { NEXT_AFTER_HEADER } from '../../../src/adapters/http/server.js';
import { validateEvent } from '../../../src/core/event.js';
import type { DecisionRecord } from '../../../src/core/decision.js';
import { postJson, startTestDaemon } from '../../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { body_limit_bytes: 4096 } }));
});
afterAll(async () => {
  await daemon.stop();
});

const now = Date.now();

describe('POST /v1/events explains a rejection', () => {
  it('lists every missing or invalid field of an event, not the first only', async () => {
    const res = await postJson(`${daemon.url}/v1/events`, [{ ts: now - 1000, route: 'r', quality: 7 }, { ts: now - 1000, route: 'r', variant: 'v', latency_ms: 5 }]);
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ accepted: 1, rejected: 1 });
    const [error] = res.json.errors;
    expect(error).toMatchObject({ index: 0, field: 'variant', message: 'required field is missing; also latency_ms: required field is missing; quality: must be at most 1' });
    expect(error.problems.map((p: { field: string }) => p.field)).toEqual(['variant', 'latency_ms', 'quality']);
  });

  it('a ts in epoch seconds says so (and the date it would be)', async () => {
    const seconds = Math.floor((now - 60_000) / 1000);
    const res = await postJson(`${daemon.url}/v1/events`, { ts: seconds, route: 'r', variant: 'v', latency_ms: 5 });
    expect(res.json.errors).toEqual([
      { index: 0, field: 'ts', message: `${seconds} looks like epoch seconds (${new Date(seconds * 1000).toISOString()}): ts is epoch milliseconds (multiply by 1000) or an RFC 3339 string` },
    ]);
    // The fast path and the schema agree.
    expect(validateEvent({ ts: seconds, route: 'r', variant: 'v', latency_ms: 5 }).ok).toBe(false);
    expect(validateEvent({ ts: seconds * 1000, route: 'r', variant: 'v', latency_ms: 5 }).ok).toBe(true);
  });

  it('415 names the accepted content types; 413 names the limit and its config key', async () => {
    const wrongType = await postJson(`${daemon.url}/v1/events`, '{}', 'text/plain');
    expect(wrongType.status).toBe(415);
    expect(wrongType.json.error).toBe('unsupported media type: Content-Type text/plain; /v1/events accepts application/json, application/x-ndjson, application/jsonl, application/ndjson (gzip or deflate Content-Encoding allowed)');
    expect(wrongType.json.accepted).toContain('application/x-ndjson');
    const tooBig = await postJson(`${daemon.url}/v1/events`, JSON.stringify({ pad: 'x'.repeat(5000) }));
    expect(tooBig.status).toBe(413);
    expect(tooBig.json).toMatchObject({ error: 'request body larger than 4096 bytes (server.body_limit_bytes): send smaller batches or raise the limit', limit_bytes: 4096 });
  });
});

describe('GET /v1/decisions validates its query and pages in both forms', () => {
  it('400 on a limit or since that is not one', async () => {
    for (const [query, message] of [
      ['limit=-1', /^limit: expected an integer from 1 to 10000 \(got '-1'\)$/],
      ['limit=0', /^limit: expected an integer/],
      ['limit=abc', /^limit: expected an integer/],
      ['since=-1', /^since: expected epoch milliseconds or an RFC 3339 time/],
      ['since=yesterday', /^since: expected epoch milliseconds or an RFC 3339 time/],
      ['after=1.5', /^after: expected a decision sequence number/],
    ] as const) {
      const res = await fetch(`${daemon.url}/v1/decisions?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    expect((await fetch(`${daemon.url}/v1/decisions?since=2026-01-05T08:00:00Z&limit=5`)).status).toBe(200);
  });

  it('the NDJSON form pages with the cursor in a header', async () => {
    const seen: string[] = [];
    const records = Array.from({ length: 5 }, (_, i) => ({ type: 'trigger' as const, ts: 1_700_000_000_000 + i, route: `page-${i}`, variant: 'v', rule: 'r', metric: 'latency_p95_ms' as const, value: 1, threshold: 0, severity: 'warning' as const, state: 'firing' as const, evidence: { window_ms: 1, window_start: 0, window_end: 1, samples: 1 } })) as unknown as DecisionRecord[];
    await daemon.decisions.append(records);
    let after = 0;
    for (let page = 0; page < 5; page++) {
      const res = await fetch(`${daemon.url}/v1/decisions?after=${after}&limit=2`, { headers: { accept: 'application/x-ndjson' } });
      const lines = (await res.text()).split('\n').filter(Boolean);
      if (lines.length === 0) break;
      for (const line of lines) seen.push((JSON.parse(line) as { route: string }).route);
      after = Number(res.headers.get(NEXT_AFTER_HEADER));
    }
    expect(seen.filter((r) => r.startsWith('page-'))).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  });
});
