// Regression (found trying the API): an RFC 3339 time that names no day on the calendar was rolled over by
// Date.parse instead of refused: an event dated `2026-02-30T10:00:00Z` was counted on 2 March, one at `T24:00:00Z`
// on the next day, and `GET /v1/decisions?since=2026-02-30T00:00:00Z` paged from 2 March. Both now refuse such a
// time, the event naming it "not a date on the calendar", `since` with its usual 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { rfc3339Ms, validateEvent } from '../../src/core/event.js';
import { startTestDaemon } from '../helpers/daemon.js';

describe('rfc3339Ms', () => {
  it.each([
    ['2026-02-28T10:00:00Z', Date.UTC(2026, 1, 28, 10)],
    ['2024-02-29T10:00:00Z', Date.UTC(2024, 1, 29, 10)],
    ['2026-12-31T23:59:59.999+01:00', Date.UTC(2026, 11, 31, 22, 59, 59, 999)],
    ['2026-01-05 08:00:00z', Date.UTC(2026, 0, 5, 8)],
  ])('%s is a time', (text, ms) => {
    expect(rfc3339Ms(text)).toBe(ms);
  });

  it.each(['2026-02-29T10:00:00Z', '2026-02-30T10:00:00Z', '2026-04-31T10:00:00Z', '2026-00-10T10:00:00Z', '2026-13-01T10:00:00Z', '2026-01-00T10:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T10:60:00Z', '2026-01-01T10:00:00+24:00', '2026-01-01T10:00:00', 'yesterday'])('%s is not', (text) => {
    expect(rfc3339Ms(text)).toBeNaN();
  });
});

describe('an event dated off the calendar', () => {
  it('is rejected naming its ts, not counted on another day', () => {
    const result = validateEvent({ ts: '2026-02-30T10:00:00Z', route: 'r', variant: 'v', latency_ms: 5 }, 0);
    expect(result.ok).toBe(false);
    expect(result.ok ? null : result.error).toMatchObject({ field: 'ts', message: "'2026-02-30T10:00:00Z' is not a date on the calendar (RFC 3339 timestamp expected)" });
  });
});

describe('GET /v1/decisions?since= off the calendar', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    ({ daemon } = await startTestDaemon());
  });
  afterAll(async () => {
    await daemon.stop();
  });

  it('is a 400 naming it', async () => {
    const res = await fetch(`${daemon.url}/v1/decisions?since=2026-02-30T00:00:00Z`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "since: expected epoch milliseconds or an RFC 3339 time such as 2026-01-05T08:00:00Z (got '2026-02-30T00:00:00Z')" });
  });
});
