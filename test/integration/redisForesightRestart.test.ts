import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../src/config/schema.js';
import type { DecisionRecord, TriggerRecord, TrendRecord } from '../../src/core/decision.js';
import { mulberry32 } from '../../src/sim/random.js';
import { gaussian } from '../helpers/scenario.js';
import { until } from '../helpers/until.js';
import { postEvents, startDaemonProcess, type DaemonProcess, useRedisFixture } from './harness/index.js';

// Continuous-monitoring state across a restart (issue 10): a real `promptpilot run` on a real redis-server
// is fed nine days of a route's calls (event time, ending an hour ago), the last forty minutes with model
// inference over its share of the response-time budget, and killed with SIGKILL while that
// response_time_budget episode is firing. The restarted daemon shows the same weekly trend at once and,
// when the route is healthy again, resolves the episode it did not see fire — one firing, one resolve.

const ROUTE = 'staged';
const MINUTE = 60_000;
const fx = useRedisFixture('pp-foresight-restart-');

interface HistoryView {
  readonly hours: readonly { readonly hourStartMs: number; readonly count: number }[];
  readonly trend: TrendRecord | null;
}

/** The route's checkpoint in Redis: what the restart resumes from. */
async function checkpoint(): Promise<{ watermarkMs: number; lastDataMs: number; foresight?: { stages: { rules: [string, { state: { phase: string } }][] } | null; trend: { last: unknown } | null } } | null> {
  const raw = await fx.client.get(`promptpilot:checkpoint:${ROUTE}`);
  return raw === null ? null : JSON.parse((JSON.parse(raw) as { data: string }).data);
}

/** Posts in batches of 2,000; a batch shed for load (503 with Retry-After) is sent again. */
async function post(d: DaemonProcess, events: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 2000) {
    const { status, body } = await postEvents(d.url, events.slice(i, i + 2000));
    expect({ status, rejected: body.rejected, first: body.errors?.[0] }).toEqual({ status: 202, rejected: 0, first: undefined });
  }
}

const budgetTriggers = async (d: DaemonProcess): Promise<TriggerRecord[]> =>
  ((await (await fetch(`${d.url}/v1/decisions?type=trigger&route=${ROUTE}&limit=10000`)).json()) as { decisions: DecisionRecord[] }).decisions.filter(
    (r): r is TriggerRecord => r.type === 'trigger' && r.rule === 'response_time_budget',
  );

async function history(d: DaemonProcess): Promise<HistoryView> {
  const res = await fetch(`${d.url}/v1/routes/${ROUTE}/history?hours=2160`);
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryView;
}

describe('foresight state across a restart with Redis', () => {
  it('kill -9 while a response_time_budget episode fires: the restarted daemon has the same weekly trend and resolves that episode without firing it again', async () => {
    const file = join(fx.dir, 'daemon.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        simulator: { enabled: false },
        rules: DEFAULT_RULES.map((r) => ({ name: r.name, enabled: false })),
        redis: { instance_id: 'foresight-restart', checkpoint_interval: '1s' },
        log: { level: 'info' },
      }),
    );
    const env = { PROMPTPILOT_REDIS_URL: fx.redis.url };
    const rng = mulberry32(11);
    /** A call at `ts` with stage timings; model inference `slow` times its usual 1.5 s. */
    const call = (ts: number, slow: number): Record<string, unknown> => {
      const stage_ms = {
        prompt_processing: Math.round(400 * Math.exp(0.25 * gaussian(rng))),
        model_inference: Math.round(1500 * slow * Math.exp(0.25 * gaussian(rng))),
        post_processing: Math.round(80 * Math.exp(0.25 * gaussian(rng))),
      };
      return { ts, route: ROUTE, variant: 'v1', latency_ms: Object.values(stage_ms).reduce((a, b) => a + b, 0), stage_ms };
    };
    const endMs = Math.floor((Date.now() - 60 * MINUTE) / MINUTE) * MINUTE;
    const days: Record<string, unknown>[] = [];
    // Nine days at a call a minute, then the last hour at one every 2 s, model inference 2.2x slower for its last 40 minutes.
    for (let t = endMs - 9 * 1440 * MINUTE; t < endMs - 60 * MINUTE; t += MINUTE) days.push(call(t, 1));
    for (let t = endMs - 60 * MINUTE; t < endMs; t += 2000) days.push(call(t, t >= endMs - 40 * MINUTE ? 2.2 : 1));

    const a = await startDaemonProcess('a', file, env, fx.running);
    await post(a, days);
    await until('the budget episode firing', async () => ((await budgetTriggers(a)).some((r) => r.state === 'firing') ? true : null), 120_000);
    await until('a weekly trend', async () => ((await history(a)).trend !== null ? true : null), 120_000);
    const newest = days[days.length - 1]!['ts'] as number;
    await until('a checkpoint of every call, with the firing episode and the trend', async () => {
      const c = await checkpoint();
      const firing = c?.foresight?.stages?.rules.some(([stage, rule]) => stage === 'model_inference' && rule.state.phase === 'firing') === true;
      return c?.lastDataMs === newest && firing && c.foresight?.trend?.last != null ? true : null;
    }, 60_000);
    const before = await history(a);
    await a.kill();
    const b = await startDaemonProcess('b', file, env, fx.running);
    // The last checkpoint A wrote (one may still have been on its way to Redis at the kill).
    const resumedFrom = await until('the restored checkpoint', async () => {
      const line = b.output.find((l) => l.includes('resumed route statistics from its checkpoint'));
      return line === undefined ? null : (JSON.parse(line) as { watermark: string });
    });

    // Before any traffic: the week's trend as it was, and every call of the history.
    const restored = await history(b);
    expect(restored.trend).toEqual(before.trend);
    expect(restored.hours.reduce((n, h) => n + h.count, 0)).toBe(days.length);
    expect((await budgetTriggers(b)).map((r) => r.state)).toEqual(['firing']);

    // Healthy again, from just after what the checkpoint counted up to now.
    const fromMs = Math.max(Date.parse(resumedFrom.watermark), newest) + 1000;
    const healthy: Record<string, unknown>[] = [];
    for (let t = fromMs; t < Date.now() - 1000; t += 2000) healthy.push(call(t, 1));
    expect(healthy.length).toBeGreaterThan(900); // over 30 minutes: the 15-minute window clears, then keep_firing_for
    await post(b, healthy);
    const triggers = await until('the episode resolved', async () => {
      const all = await budgetTriggers(b);
      return all.some((r) => r.state === 'resolved') ? all : null;
    }, 120_000);
    expect(triggers.map((r) => [r.state, (r.evidence as { stage?: string }).stage])).toEqual([['firing', 'model_inference'], ['resolved', 'model_inference']]);
    expect(await b.stop()).toBe(0);
  }, 300_000);
});
