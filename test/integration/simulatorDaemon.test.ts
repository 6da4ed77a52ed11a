import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

describe('the built-in simulator in the daemon', () => {
  it('feeds its routes through the ingest service and serves by the daemon\'s assignment', async () => {
    ({ daemon } = await startTestDaemon({
      simulator: { enabled: true, seed: 7, speedup: 60, start_offset: '-10m', routes: [{ route: 'sim-route', variant: 'v1', pattern: 'few_shot', model: 'gpt-4o-mini', rate_per_second: 20 }] },
    }));
    const url = daemon.url;
    await expect.poll(async () => (await getJson(`${url}/v1/routes`)).json, { timeout: 15_000 }).toMatchObject({ routes: expect.arrayContaining([expect.objectContaining({ route: 'sim-route' })]) });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(Number(/^promptpilot_events_accepted_total\{source="simulator"\} (\S+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect((await getJson(`${url}/v1/assign?route=sim-route&unit=u1`)).json).toMatchObject({ variant: 'v1' });
  });
});
