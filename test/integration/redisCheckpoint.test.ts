import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RouteView } from '../../src/app/routeQuery.js';
import { until } from '../helpers/until.js';
import { postEvents, startDaemonProcess, type DaemonProcess, useRedisFixture } from './harness/index.js';

// Checkpoints of windows and detectors (issue 10): a real `promptpilot run` on a real redis-server is
// killed with SIGKILL; the restarted daemon shows the route's statistics and its pending rule as they
// were checkpointed, before any new traffic, and does not count a redelivered batch twice. A clean
// shutdown writes a last checkpoint, so nothing is lost then.

const ROUTE = 'support-answer';
const fx = useRedisFixture('pp-checkpoint-');

/** A quiet daemon (no simulator) with a slow-route rule that stays pending for 30 minutes. */
function configFile(name: string, checkpointInterval: string): string {
  const config = {
    simulator: { enabled: false },
    redis: { instance_id: 'checkpoint-test', checkpoint_interval: checkpointInterval },
    rules: [{ name: 'slow_route', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, for: '30m', severity: 'warning', min_samples: 20 }],
    log: { level: 'info' },
  };
  const file = join(fx.dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const env = (): Record<string, string> => ({ PROMPTPILOT_REDIS_URL: fx.redis.url });

async function route(d: DaemonProcess): Promise<RouteView> {
  const res = await fetch(`${d.url}/v1/routes/${ROUTE}`);
  expect(res.status).toBe(200);
  return (await res.json()) as RouteView;
}

async function post(d: DaemonProcess, events: readonly Record<string, unknown>[]): Promise<{ accepted: number; rejected: number; errors: { message: string }[] }> {
  return (await postEvents(d.url, events)).body as { accepted: number; rejected: number; errors: { message: string }[] };
}

/** `count` calls of about 2 s (over the rule's 1 s, under the default rules' thresholds) ending `agoMs` before now. */
function calls(count: number, agoMs: number, spreadMs: number): Record<string, unknown>[] {
  const end = Date.now() - agoMs;
  return Array.from({ length: count }, (_, i) => ({ ts: end - spreadMs + Math.round((i * spreadMs) / count), route: ROUTE, variant: 'v1', latency_ms: 1900 + (i % 20) * 10 }));
}

/** What a restart must keep: per variant its count and percentiles, and the rules pending or firing with their start. */
function statistics(view: RouteView): unknown {
  return { variants: view.variants.map((v) => ({ variant: v.variant, count: v.count, latency_ms: v.latency_ms, error_rate: v.error_rate })), active: view.active.map((a) => [a.rule, a.state, a.since]) };
}

/** The checkpoint stored for the route: its newest counted event time and whether slow_route is pending in it. */
async function storedCheckpoint(): Promise<{ lastDataMs: number; pending: boolean } | null> {
  const raw = await fx.client.get(`promptpilot:checkpoint:${ROUTE}`);
  if (raw === null) return null;
  const data = JSON.parse((JSON.parse(raw) as { data: string }).data) as { lastDataMs: number; detector: { variants: [string, { rules: [string, { phase: string }][] }][] } | null };
  const pending = (data.detector?.variants ?? []).some(([, v]) => v.rules.some(([name, state]) => name === 'slow_route' && state.phase === 'pending'));
  return { lastDataMs: data.lastDataMs, pending };
}

describe('checkpoints of windows and detectors in Redis', () => {
  it('kill -9: the restarted daemon shows the checkpointed counts, p95 and pending rule before any traffic, and counts a redelivered batch once', async () => {
    const a = await startDaemonProcess('a', configFile('often', '1s'), env(), fx.running);
    const batch = calls(300, 2_000, 90_000);
    expect(await post(a, batch)).toMatchObject({ accepted: 300, rejected: 0 });
    const newest = Math.max(...batch.map((e) => e['ts'] as number));
    await until('slow_route pending on the route', async () => ((await route(a)).active.some((r) => r.rule === 'slow_route' && r.state === 'pending') ? true : null), 60_000);
    await until('a checkpoint holding every event and the pending rule', async () => {
      const stored = await storedCheckpoint();
      return stored !== null && stored.lastDataMs === newest && stored.pending ? stored : null;
    }, 60_000);
    const before = statistics(await route(a));
    expect(before).toMatchObject({ variants: [{ variant: 'v1', count: 300 }], active: [['slow_route', 'pending', expect.any(Number)]] });
    await a.kill();

    const b = await startDaemonProcess('b', configFile('rare', '1h'), env(), fx.running);
    expect(b.output.some((line) => line.includes('resumed route statistics from its checkpoint'))).toBe(true);
    // No traffic yet: the same window, the same percentiles, the rule still pending since the same time.
    expect(statistics(await route(b))).toEqual(before);

    // The client retries the batch it never saw acknowledged: all of it was counted already.
    const again = await post(b, batch);
    expect(again).toMatchObject({ accepted: 0, rejected: 300 });
    expect(again.errors[0]?.message).toMatch(/^too_late: .* is at or before .*, up to which the route's statistics were restored from a checkpoint after a restart or takeover/);
    const fresh = calls(40, 0, 1_000);
    expect(await post(b, fresh)).toMatchObject({ accepted: 40, rejected: 0 });
    const afterNew = await until('the new calls counted', async () => {
      const view = await route(b);
      return view.variants[0]?.count === 340 ? view : null;
    }, 30_000);
    expect(afterNew.active.find((r) => r.rule === 'slow_route')?.since).toEqual((before as { active: [string, string, number][] }).active[0]![2]);

    // A clean shutdown writes a last checkpoint: with a 1 h interval, it is the only one b writes.
    expect(await b.stop()).toBe(0);
    const c = await startDaemonProcess('c', configFile('rare', '1h'), env(), fx.running);
    expect(statistics(await route(c))).toEqual(statistics(afterNew));
    expect(await c.stop()).toBe(0);
  }, 300_000);
});
