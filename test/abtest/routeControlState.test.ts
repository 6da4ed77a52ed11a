import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { formatRecord, type ActionRecord, type DecisionRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { ExperimentManager, type RouteControlState } from '../../src/abtest/experimentManager.js';
import { cooldownAfterAction } from '../../src/actions/routeCooldown.js';
import { mulberry32, normal } from '../../src/sim/index.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const BUCKET = 10_000;
const ACTION: ActionRecord = {
  type: 'action', ts: T0, id: 'a1', route: 'support', kind: 'pattern_simplification', rule: 'performance_degradation',
  from: { variant: 'cot-v1', pattern: 'chain_of_thought' }, to: { variant: 'cot-v1~few_shot', pattern: 'few_shot' },
  reason: 'test', evidence: { metric: 'latency_p95_ms', value: 3000, threshold: 2400, samples: 500 },
};

/** Buckets `from..to` of traffic following the manager's assignments; a faster candidate. */
function drive(manager: ExperimentManager, from: number, to: number): DecisionRecord[] {
  const out: DecisionRecord[] = [];
  for (let b = from; b <= to; b++) {
    const rng = mulberry32(b);
    const boundary = T0 + b * BUCKET;
    for (let i = 0; i < 100; i++) {
      const unit = `u${Math.floor(rng() * 100_000)}`;
      const a = manager.assign('support', unit);
      if (a?.experiment === undefined) continue;
      const median = a.arm === 'candidate' ? 1800 : 3000;
      manager.onEvent({ ...makeEvent(boundary - BUCKET + i * 100, 'support', a.variant, median * Math.exp(0.3 * normal(rng))), experiment: a.experiment, arm: a.arm, unit });
    }
    out.push(...manager.onBoundary('support', boundary, []));
  }
  return out;
}

/** Through JSON, as every store keeps it. */
const viaJson = (state: RouteControlState): RouteControlState => JSON.parse(JSON.stringify(state)) as RouteControlState;
const units = Array.from({ length: 200 }, (_, i) => `unit-${i}`);

describe('RouteControlState: a route exported and imported elsewhere continues exactly', () => {
  it('a running experiment continues under the same id with the same arms and reaches the same decision', () => {
    const config = parseConfig({});
    const original = new ExperimentManager(config);
    expect(original.onBoundary('support', T0, [ACTION]).map((r) => r.type)).toEqual(['experiment']);
    drive(original, 1, 3);
    expect(original.list()[0]?.status).toBe('running');
    expect(original.takeChangedRoutes()).toEqual(['support']);
    const resumed = new ExperimentManager(config);
    resumed.importRoute('support', viaJson(original.exportRoute('support')));
    expect(JSON.stringify(resumed.list())).toBe(JSON.stringify(original.list())); // as the API shows them (Infinity → null)
    expect(units.map((u) => resumed.assign('support', u))).toEqual(units.map((u) => original.assign('support', u)));
    const a = drive(original, 4, 400).map(formatRecord);
    const b = drive(resumed, 4, 400).map(formatRecord);
    expect(a.some((line) => line.includes('"status":"promoted"'))).toBe(true);
    expect(b).toEqual(a);
  });

  it('arm events the next owner gets again (a batch redelivered after a crash) add to the arms once', () => {
    const config = parseConfig({});
    const original = new ExperimentManager(config);
    original.onBoundary('support', T0, [ACTION]);
    const seen: TelemetryEvent[] = [];
    const count = original.onEvent.bind(original);
    original.onEvent = (event) => {
      seen.push(event);
      count(event);
    };
    drive(original, 1, 3);
    const stored = viaJson(original.exportRoute('support'));
    expect(stored.running?.countedThroughMs).toBe(Math.max(...seen.map((e) => e.ts)));
    const arms = (m: ExperimentManager): string => JSON.stringify(m.exportRoute('support').running?.state);
    const resumed = new ExperimentManager(config);
    resumed.importRoute('support', stored);
    for (const event of seen.slice(-60)) resumed.onEvent(event);
    expect(arms(resumed)).toBe(arms(original));
    // A state stored before this field existed counts them again, as before.
    const older = new ExperimentManager(config);
    const { countedThroughMs: _dropped, ...withoutIt } = stored.running!;
    older.importRoute('support', { ...stored, running: withoutIt });
    for (const event of seen.slice(-60)) older.onEvent(event);
    expect(arms(older)).not.toBe(arms(original));
    // New events count on both alike, to the same decision.
    expect(drive(resumed, 4, 400).map(formatRecord)).toEqual(drive(original, 4, 400).map(formatRecord));
  });

  it('after the end: the promotion stands, the ended experiment is listed once, the cooldown still blocks', () => {
    const config = parseConfig({});
    const original = new ExperimentManager(config);
    original.onBoundary('support', T0, [ACTION]);
    const ended = drive(original, 1, 400).find((r) => r.type === 'experiment' && r.status !== 'started');
    expect(ended).toBeDefined();
    const resumed = new ExperimentManager(config);
    resumed.importRoute('support', viaJson(original.exportRoute('support')));
    resumed.importRoute('support', viaJson(original.exportRoute('support')));
    expect(JSON.stringify(resumed.list())).toBe(JSON.stringify(original.list())); // as the API shows them (Infinity → null)
    expect(resumed.assign('support', 'anyone')).toEqual(original.assign('support', 'anyone'));
    expect(resumed.assign('support', 'anyone')?.variant).toBe('cot-v1~few_shot');
    expect(resumed.blockFor('support', ended!.ts + 1)?.code).toBe('cooldown');
    // A new action inside the cooldown starts nothing on either.
    expect(resumed.onBoundary('support', ended!.ts + BUCKET, [{ ...ACTION, id: 'a2' }])).toEqual([]);
  });
  it('the watch after promotion is part of the stored state: a restart during the watch still rolls a regressing candidate back, with the same records', () => {
    const config = parseConfig({ abtest: { watch_after_promotion: '1h' } });
    // Every call follows the manager's assignment; the promoted candidate regresses from 40 min of event time on.
    const regressAtMs = T0 + 40 * 60_000;
    const watchDrive = (manager: ExperimentManager, from: number, to: number): DecisionRecord[] => {
      const out: DecisionRecord[] = [];
      for (let b = from; b <= to; b++) {
        const rng = mulberry32(b);
        const boundary = T0 + b * BUCKET;
        for (let i = 0; i < 100; i++) {
          const ts = boundary - BUCKET + i * 100;
          const unit = `u${Math.floor(rng() * 100_000)}`;
          const a = manager.assign('support', unit)!;
          const median = a.variant === 'cot-v1~few_shot' ? (ts >= regressAtMs ? 6500 : 1800) : 3000;
          const event = makeEvent(ts, 'support', a.variant, median * Math.exp(0.25 * normal(rng)));
          manager.onEvent(a.experiment === undefined ? event : { ...event, experiment: a.experiment, arm: a.arm, unit });
        }
        out.push(...manager.onBoundary('support', boundary, []));
      }
      return out;
    };
    const uninterrupted = new ExperimentManager(config);
    uninterrupted.onBoundary('support', T0, [ACTION]);
    const all = watchDrive(uninterrupted, 1, 600).map(formatRecord);
    const ends = all.filter((line) => line.includes('"type":"experiment"') && !line.includes('"status":"started"'));
    expect(ends.map((line) => (JSON.parse(line) as { status: string }).status)).toEqual(['promoted', 'rolled_back']);
    const promotedAt = (JSON.parse(ends[0]!) as { ts: number }).ts;
    const restartBucket = Math.ceil((regressAtMs + 5 * 60_000 - T0) / BUCKET); // regressing already, watch still on
    expect(T0 + restartBucket * BUCKET).toBeGreaterThan(promotedAt);

    const first = new ExperimentManager(config);
    first.onBoundary('support', T0, [ACTION]);
    const before = watchDrive(first, 1, restartBucket).map(formatRecord);
    const stored = viaJson(first.exportRoute('support'));
    expect(stored.watch).toMatchObject({ experiment: 'exp-a1', promotedAtMs: promotedAt, untilMs: promotedAt + 3_600_000 });
    // The watch's own traffic marks the route changed, so the state mirror writes it after every step.
    first.takeChangedRoutes();
    watchDrive(first, restartBucket + 1, restartBucket + 1);
    expect(first.takeChangedRoutes()).toEqual(['support']);

    const resumed = new ExperimentManager(config);
    resumed.importRoute('support', stored);
    expect(resumed.watches.watching('support')).toEqual({ experiment: 'exp-a1', promotedAtMs: promotedAt, untilMs: promotedAt + 3_600_000, n: stored.watch!.state.candidate.n });
    const after = watchDrive(resumed, restartBucket + 1, 600).map(formatRecord);
    expect([...before, ...after]).toEqual(all);
    expect(resumed.assign('support', 'anyone')!.variant).toBe('cot-v1');
    // Its end is a change too: the stored state no longer carries the watch.
    expect(resumed.exportRoute('support').watch).toBeNull();
  });

  it('a state stored before the one route cooldown (cooldownUntil, lastEnded) imports as the cooldown after that experiment', () => {
    const config = parseConfig({});
    const untilMs = T0 + 3_600_000;
    const older: RouteControlState = { registry: null, running: null, finished: [], cooldownUntil: untilMs, lastEnded: 'exp-old' };
    const resumed = new ExperimentManager(config);
    resumed.importRoute('support', older);
    expect(resumed.blockFor('support', T0)).toEqual({ code: 'cooldown', detail: `cooldown until ${new Date(untilMs).toISOString()} after experiment exp-old (abtest.cooldown)` });
    expect(resumed.onBoundary('support', T0, [ACTION])).toEqual([]); // no experiment starts inside it
    expect(resumed.blockFor('support', untilMs)).toBeNull();
    expect(resumed.exportRoute('support').cooldown).toEqual({ untilMs, after: 'experiment', id: 'exp-old', sinceMs: null });
  });

  it('the cooldown an action starts holds other actions, not the experiment of that action', () => {
    const config = parseConfig({});
    const manager = new ExperimentManager(config);
    manager.cooldowns.start('support', cooldownAfterAction('a1', T0, config.actions.cooldown));
    expect(manager.onBoundary('support', T0, [{ ...ACTION, id: 'a2' }])).toEqual([]);
    expect(manager.onBoundary('support', T0, [ACTION]).map((r) => r.type === 'experiment' && r.status)).toEqual(['started']);
    // Stored once, with the route's control state, and read back the same.
    expect(manager.takeChangedRoutes()).toEqual(['support']);
    const resumed = new ExperimentManager(config);
    resumed.importRoute('support', viaJson(manager.exportRoute('support')));
    expect(resumed.cooldowns.get('support')).toEqual({ untilMs: T0 + config.actions.cooldown, after: 'action', id: 'a1', sinceMs: T0 });
  });

  it('a state stored before watches were persisted (no watch field) imports as no watch', () => {
    const config = parseConfig({});
    const original = new ExperimentManager(config);
    original.onBoundary('support', T0, [ACTION]);
    const { watch: _dropped, ...older } = viaJson(original.exportRoute('support'));
    const resumed = new ExperimentManager(config);
    resumed.importRoute('support', older);
    expect(resumed.watches.watching('support')).toBeNull();
  });
});
