import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentSnapshot } from '../../src/abtest/experimentManager.js';
import { assignArm } from '../../src/abtest/index.js';
import { connectRedis } from '../../src/adapters/redis/index.js';
import type { DecisionRecord, ExperimentRecord } from '../../src/core/decision.js';
import { mulberry32, normal } from '../../src/sim/index.js';
import { until } from '../helpers/until.js';
import { killAll, startDaemonProcess, startRedis, type DaemonProcess, type RedisServer } from './harness/index.js';

// The watch after promotion survives a kill -9 (issues 10 and 11): it is part of the route's stored control state,
// written after every step that changes it, so a daemon restarted during the watch goes on watching and rolls a
// promoted candidate that regresses back — as the daemon that promoted it would have.

const TOKEN = 'watch-token';
const ROUTE = 'slow';
let redis: RedisServer;
let dir: string;
const running: DaemonProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'pp-watch-restart-'));
});
afterAll(async () => {
  await killAll(running);
  await redis?.stop();
});

function configFile(): string {
  const file = join(dir, 'watch.json');
  // One ramp step at 50 % and 50 samples per arm: the experiment has its evidence after a few hundred calls.
  const config = { server: { max_event_loop_delay: 0 }, redis: { instance_id: 'watch-test' }, abtest: { ramp: [0.5], min_samples_per_arm: 50, watch_after_promotion: '1h' }, log: { level: 'info' } };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function post(url: string, events: readonly Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
  expect(res.status).toBe(202);
}

async function experimentsOn(url: string): Promise<ExperimentSnapshot[]> {
  const { experiments } = (await (await fetch(`${url}/v1/experiments`)).json()) as { experiments: ExperimentSnapshot[] };
  return experiments.filter((e) => e.route === ROUTE);
}

async function servedOn(url: string): Promise<string> {
  return ((await (await fetch(`${url}/v1/assign?route=${ROUTE}&unit=anyone`)).json()) as { variant: string }).variant;
}

async function decisions(url: string, type: DecisionRecord['type']): Promise<DecisionRecord[]> {
  return ((await (await fetch(`${url}/v1/decisions?type=${type}&limit=10000`)).json()) as { decisions: DecisionRecord[] }).decisions;
}

describe('watch after promotion across a kill -9', () => {
  it('a daemon restarted during the watch rolls back the promoted candidate when it regresses', async () => {
    const env = { PROMPTPILOT_REDIS_URL: redis.url, PROMPTPILOT_API_TOKEN: TOKEN };
    const rng = mulberry32(7);
    const latency = (medianMs: number): number => Math.round(medianMs * Math.exp(0.2 * normal(rng)));
    const a = await startDaemonProcess('a', configFile(), env, running);

    // Slow chain-of-thought calls: a response-time trigger, a pattern_simplification action, an experiment.
    const start = Date.now() - 3 * 3_600_000;
    const slow = Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 500, route: ROUTE, variant: 'cot', pattern: 'chain_of_thought', latency_ms: latency(3500) }));
    await post(a.url, slow);
    const postedAt = Date.now();
    const experiment = await until('an experiment on the slow route', async () => (await experimentsOn(a.url)).find((e) => e.status === 'running') ?? null, 60_000);

    // Calls that follow the assignment (the same hash the daemon uses): the candidate is faster.
    let ts = slow.at(-1)!.ts + (Date.now() - postedAt) + 2_000;
    const tagged = Array.from({ length: 600 }, (_, i) => {
      const unit = `user-${i}`;
      const arm = assignArm(experiment.salt, unit, experiment.share, experiment.hash_version);
      const ref = arm === 'candidate' ? experiment.candidate : experiment.baseline;
      return { ts: (ts += 200), route: ROUTE, variant: ref.variant, ...(ref.pattern ? { pattern: ref.pattern } : {}), latency_ms: latency(arm === 'candidate' ? 1800 : 3500), experiment: experiment.id, arm, unit };
    });
    await post(a.url, tagged);
    await until('the experiment to have samples in both arms', async () => {
      const now = (await experimentsOn(a.url)).find((e) => e.id === experiment.id);
      return now !== undefined && (now.status !== 'running' || (now.n[0] >= 50 && now.n[1] >= 50)) ? now : null;
    }, 60_000);
    if ((await experimentsOn(a.url)).find((e) => e.id === experiment.id)?.status === 'running') {
      const res = await fetch(`${a.url}/v1/experiments/${experiment.id}/promote`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
    }
    const promoted = await until('the promotion', async () => {
      const records = (await decisions(a.url, 'experiment')) as ExperimentRecord[];
      return records.find((r) => r.id === experiment.id && r.status === 'promoted') ?? null;
    }, 60_000);
    expect(await servedOn(a.url)).toBe(experiment.candidate.variant);

    // The watch is in the route's stored state in Redis when the daemon dies.
    const client = await connectRedis(redis.url);
    const stored = await until('the watch in the stored route', async () => {
      const raw = await client.get(`promptpilot:route:${ROUTE}`);
      const route = raw === null ? null : (JSON.parse(raw) as { control: { watch?: { experiment: string; promotedAtMs: number; untilMs: number } | null } });
      return route?.control.watch?.experiment === experiment.id ? route.control.watch : null;
    }, 30_000);
    client.disconnect();
    expect(stored).toMatchObject({ promotedAtMs: promoted.ts, untilMs: promoted.ts + 3_600_000 });
    await a.kill();

    // Restarted (same instance id, as a pod keeps its name): the promoted candidate regresses within the watch.
    const b = await startDaemonProcess('b', configFile(), env, running);
    expect(await servedOn(b.url)).toBe(experiment.candidate.variant);
    ts = Math.max(ts, promoted.ts) + 1_000;
    const regressed = Array.from({ length: 600 }, () => ({ ts: (ts += 200), route: ROUTE, variant: experiment.candidate.variant, ...(experiment.candidate.pattern ? { pattern: experiment.candidate.pattern } : {}), latency_ms: latency(7000) }));
    await post(b.url, regressed);
    const rolledBack = await until('the watch to roll the promotion back', async () => {
      const records = (await decisions(b.url, 'experiment')) as ExperimentRecord[];
      return records.find((r) => r.id === experiment.id && r.status === 'rolled_back') ?? null;
    }, 60_000);
    expect(rolledBack.reason).toMatch(/^watch after promotion: rollback trigger: response_time_spike/);
    expect(rolledBack['watch']).toEqual({ promoted_at: promoted.ts, window_ms: 3_600_000 });
    expect(await servedOn(b.url)).toBe(experiment.baseline.variant);
    // Decided once: one promotion, one rollback for the experiment in the log.
    const ends = ((await decisions(b.url, 'experiment')) as ExperimentRecord[]).filter((r) => r.id === experiment.id && r.status !== 'started');
    expect(ends.map((r) => r.status)).toEqual(['promoted', 'rolled_back']);
    expect(await b.stop()).toBe(0);
  }, 240_000);
});
