// Regression (found trying the API): `GET /v1/assign` took a unit of any length, while an event carries a unit
// of at most 500 characters: a longer unit was assigned an arm, and every call the app then reported for it was
// refused at ingest (`unit: …`), so the experiment never saw that unit. The assignment now refuses it up front.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { EVENT_LIMITS } from '../../src/core/event.js';
import { startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

describe('GET /v1/assign with a long unit', () => {
  it('takes a unit as long as an event can carry', async () => {
    expect((await fetch(`${daemon.url}/v1/assign?route=support&unit=${'u'.repeat(EVENT_LIMITS.maxUnitLength)}`)).status).toBe(200);
  });

  it('refuses a longer one with 400 saying so', async () => {
    const res = await fetch(`${daemon.url}/v1/assign?route=support&unit=${'u'.repeat(EVENT_LIMITS.maxUnitLength + 1)}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: `unit: at most 500 characters, as on events (got 501)` });
  });

  it('the same unit on an event is refused, which is why', async () => {
    const event = { ts: Date.now(), route: 'support', variant: 'v1', latency_ms: 5, unit: 'u'.repeat(EVENT_LIMITS.maxUnitLength + 1) };
    const res = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(await res.json()).toMatchObject({ accepted: 0, rejected: 1, errors: [{ field: 'unit' }] });
  });
});
