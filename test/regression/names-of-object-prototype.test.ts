// Regression (found using the daemon as a new user): names are free text, but the config's maps were plain objects,
// so a name that Object.prototype has was "found" in them. One event with "route":"constructor" (or "__proto__",
// "toString", …) was taken for a configured route without variants, threw in the engine and stopped the pipeline:
// the daemon answered 500 and exited. "model":"toString" with token counts was priced from a function (NaN), and a
// stage or tier so named was looked up the same way. Those maps have no prototype now.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Daemon } from '../../src/daemon.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
let daemon: Daemon;

beforeAll(async () => {
  ({ daemon } = await startTestDaemon());
});
afterAll(async () => {
  await daemon.stop();
});

describe('names that Object.prototype has', () => {
  it.each(NAMES)('%s as route, variant, model, tier and stage is an ordinary name', async (name) => {
    const ts = Date.now();
    const events = [
      { ts, route: name, variant: name, latency_ms: 5, model: name, input_tokens: 10, tier: name, stage_ms: { [name]: 3 } },
      { ts, route: 'plain', variant: name, latency_ms: 5, model: name, input_tokens: 10, tier: name, stage_ms: { [name]: 3 } },
    ];
    const sent = await postJson(`${daemon.url}/v1/events`, events);
    expect(sent).toEqual({ status: 202, json: { accepted: 2, rejected: 0, errors: [] } });
    expect((await getJson(`${daemon.url}/healthz`)).status).toBe(200);
    const view = await getJson(`${daemon.url}/v1/routes/${encodeURIComponent(name)}`);
    expect(view.status).toBe(200);
    expect(view.json.route).toBe(name);
    // no price for a model of that name: no cost, not NaN (which JSON writes as null too, so read the sums)
    const plain = await getJson(`${daemon.url}/v1/routes/plain`);
    const variant = (plain.json.variants as { variant: string; cost_per_task_usd: unknown }[]).find((v) => v.variant === name);
    expect(variant?.cost_per_task_usd).toBeNull();
    const assign = await getJson(`${daemon.url}/v1/assign?route=${encodeURIComponent(name)}&unit=u`);
    expect(assign.json).toMatchObject({ route: name, variant: name });
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).not.toMatch(/NaN/);
  });

  it('the config maps looked up by such names find nothing', () => {
    const config = parseConfig({});
    for (const name of NAMES) {
      expect(config.routes[name]).toBeUndefined();
      expect(config.prices[name]).toBeUndefined();
      expect(config.actions.budget_tiers[name]).toBeUndefined();
      expect(config.budgets.response_time.allocation[name]).toBeUndefined();
    }
    // and entries so named are entries: a route called constructor is configured like any other
    const named = parseConfig({ routes: { constructor: { current: 'v1', variants: [{ name: 'v1' }] } } });
    expect(named.routes['constructor']?.current).toBe('v1');
    expect(named.routes['toString']).toBeUndefined();
  });
});
