import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentSnapshot } from '../../src/abtest/experimentManager.js';
import { connectRedis } from '../../src/adapters/redis/index.js';
import { parseYaml } from '../../src/config/load.js';
import { formatRecord, type DecisionRecord } from '../../src/core/decision.js';
import { until } from '../helpers/until.js';
import { killAll, startDaemonProcess, startRedis, type DaemonProcess, type RedisServer } from './harness/index.js';

// Restart safety (issue 10): a real `promptpilot run` on a real redis-server, killed with SIGKILL in the
// middle of an experiment, started again. The demo simulator makes the experiments; the restarted daemon
// runs first without traffic (nothing may move), then with it (the same experiment goes on).

/** An experiment as `GET /v1/experiments` shows it. */
type Experiment = ExperimentSnapshot;

let redis: RedisServer;
const running: DaemonProcess[] = [];
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'pp-restart-'));
});
afterAll(async () => {
  await killAll(running);
  await redis?.stop();
});

/** The demo config with the simulator on or off, this test's instance id (stable across restarts, like a pod name). */
function configFile(name: string, simulator: boolean): string {
  const raw = parseYaml(readFileSync('config/demo.yaml', 'utf8'), 'config/demo.yaml') as Record<string, Record<string, unknown>>;
  const config = { ...raw, simulator: { ...raw['simulator'], enabled: simulator, speedup: 60 }, redis: { instance_id: 'restart-test' }, log: { level: 'info' } };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const env = (): Record<string, string> => ({ PROMPTPILOT_REDIS_URL: redis.url, PROMPTPILOT_API_TOKEN: 'restart-token' });

async function experiments(d: DaemonProcess): Promise<Experiment[]> {
  return ((await (await fetch(`${d.url}/v1/experiments`)).json()) as { experiments: Experiment[] }).experiments;
}

async function assign(d: DaemonProcess, route: string, unit: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${d.url}/v1/assign?route=${encodeURIComponent(route)}&unit=${encodeURIComponent(unit)}`)).json()) as Record<string, unknown>;
}

/** Every decision in the log, through the paging API. */
async function decisionLines(d: DaemonProcess): Promise<string[]> {
  const lines: string[] = [];
  let after = 0;
  for (;;) {
    const page = (await (await fetch(`${d.url}/v1/decisions?after=${after}&limit=500`)).json()) as { decisions: DecisionRecord[]; next: number };
    if (page.decisions.length === 0) return lines;
    for (const record of page.decisions) lines.push(formatRecord(record));
    after = page.next;
  }
}

/** Per experiment id: how many `started` and how many end records the log holds. */
function experimentRecordCounts(lines: readonly string[]): Map<string, { started: number; ended: number }> {
  const counts = new Map<string, { started: number; ended: number }>();
  for (const line of lines) {
    const record = JSON.parse(line) as DecisionRecord;
    if (record.type !== 'experiment') continue;
    const c = counts.get(record.id) ?? { started: 0, ended: 0 };
    if (record.status === 'started') c.started++;
    else c.ended++;
    counts.set(record.id, c);
  }
  return counts;
}

const units = Array.from({ length: 200 }, (_, i) => `user-${i}`);

/** The experiment running on a route as stored in Redis, or null. */
async function storedExperiment(route: string): Promise<Experiment | null> {
  const client = await connectRedis(redis.url);
  try {
    const stored = JSON.parse((await client.get(`promptpilot:route:${route}`)) ?? 'null') as { control: { running: { snapshot: Experiment } | null } } | null;
    return stored?.control.running?.snapshot ?? null;
  } finally {
    client.disconnect();
  }
}

describe('restart safety with Redis', () => {
  it('kill -9 mid-experiment: the same experiment continues, every unit keeps its arm, promotions stand, no decision is lost or recorded twice', async () => {
    const a = await startDaemonProcess('a', configFile('sim', true), env(), running);
    // An experiment running and one promoted (the API promotes one if the simulator has not yet).
    let live = await until('a running experiment and a second one or a promotion', async () => {
      const list = await experiments(a);
      const runningOnes = list.filter((e) => e.status === 'running');
      return runningOnes.length >= 1 && (list.some((e) => e.status === 'promoted') || runningOnes.length >= 2) ? list : null;
    });
    if (!live.some((e) => e.status === 'promoted')) {
      const oldest = live.filter((e) => e.status === 'running').at(-1)!;
      const res = await fetch(`${a.url}/v1/experiments/${oldest.id}/promote`, { method: 'POST', headers: { authorization: 'Bearer restart-token' } });
      expect(res.status).toBe(200);
      live = await experiments(a);
    }
    const promoted = live.find((e) => e.status === 'promoted')!;
    // The simulator keeps running: an experiment may end or ramp while 200 assignments are read. Take the
    // snapshot again until the experiment is still running at the same share right before the kill, so
    // what the restart must restore is what the daemon held at the kill, not a few seconds earlier.
    const promotedBefore = await assign(a, promoted.route, 'anyone');
    let experiment = live.find((e) => e.status === 'running')!;
    let before: Record<string, unknown>[] = [];
    let shareBefore = -1;
    let linesBefore: string[] = [];
    for (let attempt = 0; ; attempt++) {
      shareBefore = experiment.share;
      before = await Promise.all(units.map((u) => assign(a, experiment.route, u)));
      linesBefore = await decisionLines(a);
      const now = await experiments(a);
      const still = now.find((e) => e.id === experiment.id);
      if (still?.status === 'running' && still.share === shareBefore) {
        // A is frozen (SIGSTOP) and killed without running again: at 60x an experiment can end or ramp between
        // this read and the kill. What it stored, which the restart restores, is read while it cannot change.
        process.kill(-a.child.pid!, 'SIGSTOP');
        const stored = await storedExperiment(experiment.route);
        if (stored?.id === experiment.id && stored.status === 'running' && stored.share === shareBefore) {
          experiment = still;
          break;
        }
        process.kill(-a.child.pid!, 'SIGCONT');
      }
      const next = now.find((e) => e.status === 'running');
      if (next === undefined || attempt >= 5) throw new Error(`no experiment stayed running long enough to snapshot it (attempt ${attempt})`);
      experiment = next;
    }
    await a.kill();

    // Restarted without traffic: exactly what was decided before the kill.
    const b = await startDaemonProcess('b', configFile('quiet', false), env(), running);
    const restored = (await experiments(b)).find((e) => e.id === experiment.id);
    expect(restored).toMatchObject({ id: experiment.id, status: 'running', salt: experiment.salt, route: experiment.route });
    expect(restored!.n[0]).toBeGreaterThanOrEqual(experiment.n[0]);
    expect(restored!.n[1]).toBeGreaterThanOrEqual(experiment.n[1]);
    const after = await Promise.all(units.map((u) => assign(b, experiment.route, u)));
    if (restored!.share === shareBefore) {
      expect(after).toEqual(before);
    } else {
      // A ramp step landed between the snapshot and the kill: candidates stay candidates.
      expect(restored!.share).toBeGreaterThan(shareBefore);
      for (let i = 0; i < units.length; i++) if (before[i]!['arm'] === 'candidate') expect(after[i]!['arm']).toBe('candidate');
    }
    expect(new Set(after.map((x) => x['experiment']))).toEqual(new Set([experiment.id]));
    expect(await assign(b, promoted.route, 'anyone')).toEqual(promotedBefore);
    expect(promotedBefore['variant']).toBe(promoted.candidate.variant);
    expect((await experiments(b)).find((e) => e.id === promoted.id)?.status).toBe('promoted');
    const linesRestored = await decisionLines(b);
    expect(linesRestored.slice(0, linesBefore.length)).toEqual(linesBefore);
    expect(new Set(linesRestored).size).toBe(linesRestored.length);
    expect(await b.stop()).toBe(0);

    // Traffic again: the same experiment goes on from its stored arms, none is started twice.
    const c = await startDaemonProcess('c', configFile('sim', true), env(), running);
    await until('the experiment to gain samples after the restart', async () => {
      const now = (await experiments(c)).find((e) => e.id === experiment.id);
      return now !== undefined && (now.status !== 'running' || now.n[0] > restored!.n[0]) ? now : null;
    });
    expect((await experiments(c)).filter((e) => e.route === experiment.route && e.status === 'running').map((e) => e.id)).toEqual(
      (await experiments(c)).find((e) => e.id === experiment.id)?.status === 'running' ? [experiment.id] : [],
    );
    await c.stop();
    const b2 = await startDaemonProcess('b2', configFile('quiet', false), env(), running);
    const linesFinal = await decisionLines(b2);
    expect(linesFinal.slice(0, linesBefore.length)).toEqual(linesBefore);
    expect(new Set(linesFinal).size).toBe(linesFinal.length);
    for (const [id, c2] of experimentRecordCounts(linesFinal)) {
      expect({ id, started: c2.started <= 1, ended: c2.ended <= 1 }).toEqual({ id, started: true, ended: true });
    }
    expect(experimentRecordCounts(linesFinal).get(experiment.id)?.started).toBe(1);
    expect(await b2.stop()).toBe(0);
  }, 600_000);
});
