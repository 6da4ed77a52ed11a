import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Daemon } from '../../src/daemon.js';
import { fullSeriesBytes, HISTORY_ENTRY_BYTES, PROCESS_RESERVE_BYTES } from '../../src/engine/seriesMemory.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon | null = null;
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
});

const metric = (text: string, line: string): number => Number(text.split('\n').find((l) => l.startsWith(line + ' '))?.slice(line.length + 1));

describe('the memory budget refuses new series the daemon could not hold with full windows', () => {
  it('past the capacity a new series is refused with a route_limit reason, /readyz says so (degraded, still 200) and /metrics shows the capacity', async () => {
    // 1 GiB, of which a history cap takes all but room for 2.5 series with full windows: capacity 2
    // (resident memory stays far below 90 % of 1 GiB, so only the estimate refuses)
    const budget = 1024 ** 3;
    const full = fullSeriesBytes(parseConfig({}).time);
    const maxEntries = Math.floor((budget - PROCESS_RESERVE_BYTES - 2.5 * full) / HISTORY_ENTRY_BYTES);
    ({ daemon } = await startTestDaemon({ limits: { memory_budget_bytes: budget, probation_events: 1 }, monitoring: { history: { max_entries: maxEntries } }, routes: { declared: { variants: [{ name: 'v' }] } } }));
    const now = Date.now();
    const post = async (route: string) =>
      (await fetch(`${daemon!.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ts: now, route, variant: 'v', latency_ms: 100 }) })).json() as Promise<{ accepted: number; errors: { field: string; message: string }[] }>;
    expect((await getJson(`${daemon.url}/readyz`)).json).toEqual({ status: 'ready' });
    expect((await post('a')).accepted).toBe(1);
    expect((await post('b')).accepted).toBe(1);
    const third = await post('c');
    expect(third.accepted).toBe(0);
    expect(third.errors[0]).toMatchObject({ field: 'route', message: expect.stringMatching(/^memory budget full: 2 series/) });
    // a route declared in the config still gets in
    expect((await post('declared')).accepted).toBe(1);
    const ready = await getJson(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/^memory budget: 3 series fill what limits\.memory_budget_bytes holds \(2\); new series are refused \(1 events so far\)/) });
    const text = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metric(text, 'promptpilot_series_capacity')).toBe(2);
    expect(metric(text, 'promptpilot_series')).toBe(3);
    expect(text).toMatch(/^promptpilot_events_rejected_total\{(?=[^}]*reason="route_limit")(?=[^}]*source="http")[^}]*\} 1$/m);
  });
});
