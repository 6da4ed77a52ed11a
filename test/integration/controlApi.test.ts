import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, postJson, startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
let open: Daemon;
const TOKEN = 's3cret-token';
const start = Date.now() - 4 * 3_600_000;

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({
    server: { api_token: TOKEN },
    routes: {
      support: {
        targets: { latency_p95_ms: 2000 },
        variants: [{ name: 'cot-v1', pattern: 'chain_of_thought', template: 'Please think step by step. {{q}}' }],
        examples: [{ input: 'What is 2 + 2?', output: '4' }],
      },
    },
  }));
  ({ daemon: open } = await startTestDaemon());
  // 20 minutes of slow traffic: performance_degradation fires and an experiment starts.
  const events = Array.from({ length: 6000 }, (_, i) => ({ ts: start + i * 200, route: 'support', variant: 'cot-v1', pattern: 'chain_of_thought', latency_ms: 2600 + (i % 20) * 5 }));
  const res = await postJson(`${daemon.url}/v1/events`, events);
  expect(res.json.accepted).toBe(6000);
});
afterAll(async () => {
  await daemon.stop();
  await open.stop();
});

describe('assignment and control API', () => {
  it('GET /v1/assign: 400 without route/unit, 404 for a route never seen', async () => {
    expect((await getJson(`${daemon.url}/v1/assign?unit=u`)).status).toBe(400);
    expect((await getJson(`${daemon.url}/v1/assign?route=support`)).status).toBe(400);
    const r = await getJson(`${daemon.url}/v1/assign?route=nowhere&unit=u`);
    expect(r.status).toBe(404);
    expect(r.json.error).toContain('nowhere');
  });

  it('assignment during an experiment is deterministic and sticky per unit, split near the candidate share', async () => {
    const { json } = await getJson(`${daemon.url}/v1/experiments`);
    const running = json.experiments.find((e: any) => e.status === 'running');
    expect(running).toMatchObject({ route: 'support', kind: 'pattern_simplification', share: 0.1, baseline: { variant: 'cot-v1' }, candidate: { pattern: 'few_shot' } });
    let candidates = 0;
    for (let u = 0; u < 400; u++) {
      const a = (await getJson(`${daemon.url}/v1/assign?route=support&unit=u${u}`)).json;
      const again = (await getJson(`${daemon.url}/v1/assign?route=support&unit=u${u}`)).json;
      expect(again).toEqual(a);
      expect(a.experiment).toBe(running.id);
      if (a.arm === 'candidate') {
        candidates++;
        // The candidate serves a prompt rewritten for few_shot, never the baseline text under a new name.
        expect(a).toMatchObject({ variant: running.candidate.variant, pattern: 'few_shot', params: { template: 'Example 1:\nInput: What is 2 + 2?\nOutput: 4\n\n{{q}}' } });
      } else expect(a).toMatchObject({ variant: 'cot-v1', pattern: 'chain_of_thought', params: { template: 'Please think step by step. {{q}}' } });
    }
    expect(candidates).toBeGreaterThan(20);
    expect(candidates).toBeLessThan(70);
  });

  it('mutating endpoints: 403 without a configured token, 401 with a wrong one', async () => {
    expect((await post(`${open.url}/v1/routes/x/variants`, { name: 'v' })).status).toBe(403);
    expect((await post(`${daemon.url}/v1/routes/support/variants`, { name: 'v' }, 'wrong')).status).toBe(401);
    expect((await post(`${daemon.url}/v1/experiments/nope/promote`, {}, TOKEN)).status).toBe(404);
  });

  it('registers a variant with a template', async () => {
    const res = await post(`${daemon.url}/v1/routes/support/variants`, { name: 'cot-v2', pattern: 'chain_of_thought', template: 'Answer: {{q}}', tier: 'economy' }, TOKEN);
    expect(res.status).toBe(201);
    // One spelling across the API: snake_case, as in /v1/assign params and decision records.
    expect(await res.json()).toEqual({ variant: 'cot-v2', pattern: 'chain_of_thought', template: 'Answer: {{q}}', tier: 'economy', max_tokens: 500, compression: null, source: 'api' });
    expect((await post(`${daemon.url}/v1/routes/support/variants`, { name: '' }, TOKEN)).status).toBe(400);
    // an unknown tier is refused as the config refuses it (it was taken: 201, max_tokens null)
    const gold = await post(`${daemon.url}/v1/routes/support/variants`, { name: 'cot-gold', tier: 'gold' }, TOKEN);
    expect(gold.status).toBe(400);
    expect(await gold.json()).toEqual({ error: "tier: unknown tier 'gold' (actions.budget_tiers has economy, standard, premium, research)" });
    const list = (await getJson(`${daemon.url}/v1/routes/support/variants`)).json.variants.map((v: any) => v.variant);
    expect(list).toContain('cot-v2');
    // The running experiment's baseline is not replaced under it (its template, tier and pattern went, and both arms' evidence with them).
    const running = (await getJson(`${daemon.url}/v1/experiments`)).json.experiments.find((e: any) => e.status === 'running');
    const arm = await post(`${daemon.url}/v1/routes/support/variants`, { name: 'cot-v1', template: 'Other: {{q}}' }, TOKEN);
    expect(arm.status).toBe(409);
    expect(await arm.json()).toEqual({ error: expect.stringContaining(`variant cot-v1 is the baseline of experiment ${running.id} (running)`), experiment: running.id });
    const variants = (await getJson(`${daemon.url}/v1/routes/support/variants`)).json.variants;
    expect(variants.find((v: any) => v.variant === 'cot-v1')).toMatchObject({ pattern: 'chain_of_thought', template: 'Please think step by step. {{q}}', source: 'config' });
  });

  it('pause/resume/freeze a route through the API with the token, each a policy decision record', async () => {
    expect((await post(`${daemon.url}/v1/routes/support/pause`, {})).status).toBe(401);
    expect((await post(`${open.url}/v1/routes/support/pause`, {}, TOKEN)).status).toBe(403);
    const paused = await post(`${daemon.url}/v1/routes/support/pause`, { reason: 'incident 42' }, TOKEN);
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as any).decision).toMatchObject({ type: 'policy', route: 'support', action: 'pause', source: 'api', reason: 'incident 42', experiment: expect.stringMatching(/^exp-/) });
    expect((await getJson(`${daemon.url}/v1/assign?route=support&unit=u-7`)).json).toMatchObject({ variant: 'cot-v1' });
    expect((await getJson(`${daemon.url}/v1/assign?route=support&unit=u-7`)).json.experiment).toBeUndefined();
    expect((await post(`${daemon.url}/v1/routes/support/pause`, {}, TOKEN)).status).toBe(409);
    expect((await post(`${daemon.url}/v1/routes/support/resume`, {}, TOKEN)).status).toBe(200);
    expect((await getJson(`${daemon.url}/v1/assign?route=support&unit=u-7`)).json.experiment).toMatch(/^exp-/);
    // A route never seen (nor configured, nor registered) is a 404 naming it, not a policy record about nothing.
    const unknown = await post(`${daemon.url}/v1/routes/billing/freeze`, {}, TOKEN);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'unknown route: billing' });
    expect((await post(`${daemon.url}/v1/routes/support/freeze`, { reason: 'release week' }, TOKEN)).status).toBe(200);
    expect((await post(`${daemon.url}/v1/routes/support/freeze`, {}, TOKEN)).status).toBe(409);
    expect((await post(`${daemon.url}/v1/routes/support/unfreeze`, { reason: 7 }, TOKEN)).status).toBe(400);
    expect((await post(`${daemon.url}/v1/routes/support/unfreeze`, {}, TOKEN)).status).toBe(200);
    const log = (await getJson(`${daemon.url}/v1/decisions?type=policy`)).json.decisions.map((d: any) => `${d.route}:${d.action}`);
    expect(log).toEqual(['support:pause', 'support:resume', 'support:freeze', 'support:unfreeze']);
  });

  it('manual rollback ends the experiment with a record and evidence; a second decision is a conflict', async () => {
    const running = (await getJson(`${daemon.url}/v1/experiments`)).json.experiments.find((e: any) => e.status === 'running');
    const res = await post(`${daemon.url}/v1/experiments/${running.id}/rollback`, {}, TOKEN);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.experiment.status).toBe('rolled_back');
    expect(body.decisions[0]).toMatchObject({ type: 'experiment', status: 'rolled_back', reason: 'manual rollback through the API' });
    expect((await post(`${daemon.url}/v1/experiments/${running.id}/promote`, {}, TOKEN)).status).toBe(409);
    const a = (await getJson(`${daemon.url}/v1/assign?route=support&unit=anyone`)).json;
    expect(a).toMatchObject({ variant: 'cot-v1' });
    expect(a.experiment).toBeUndefined();
    const log = (await getJson(`${daemon.url}/v1/decisions?type=experiment`)).json.decisions.map((d: any) => d.status);
    expect(log).toEqual(['started', 'rolled_back']);
  });
});
