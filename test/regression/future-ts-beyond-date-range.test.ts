// Regression: an event with ts = 1e308 (or MAX_SAFE_INTEGER) passed validation, then formatting its
// future-skew rejection called new Date(ts).toISOString(), which throws: the whole batch got a 500.
// Found by test/integration/badInput.test.ts. Now such a ts is rejected as bad input and the rest is kept.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { postJson, startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon());
});
afterAll(async () => {
  await daemon.stop();
});

it('a timestamp beyond the date range is one rejected event, not a failed batch', async () => {
  const ok = { ts: Date.now() - 1000, route: 'r', variant: 'v', latency_ms: 5 };
  const { status, json } = await postJson(`${daemon.url}/v1/events`, [ok, { ...ok, ts: 1e308 }, { ...ok, ts: Number.MAX_SAFE_INTEGER }, ok]);
  expect(status).toBe(202);
  expect(json.accepted).toBe(2);
  expect(json.errors.map((e: { index: number; field: string }) => [e.index, e.field])).toEqual([[1, 'ts'], [2, 'ts']]);
});
