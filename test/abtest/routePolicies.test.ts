import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { abtestFor } from '../../src/config/schema.js';
import type { ActionRecord, DecisionRecord, ExperimentRecord, PolicyRecord, TriggerRecord } from '../../src/core/decision.js';
import { makeEvent } from '../../src/core/event.js';
import { ExperimentManager } from '../../src/abtest/experimentManager.js';
import { mulberry32, normal } from '../../src/sim/index.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const BUCKET = 10_000;

function action(route: string): ActionRecord {
  return {
    type: 'action', ts: T0, id: `act-${route}`, route, kind: 'pattern_simplification', rule: 'performance_degradation',
    from: { variant: 'cot-v1', pattern: 'chain_of_thought' }, to: { variant: 'cot-v1~few_shot', pattern: 'few_shot' },
    reason: 'test', evidence: { metric: 'latency_p95_ms', value: 3000, threshold: 2400, samples: 500 },
  };
}

/** How each variant behaves: median latency and error rate; `after` switches the candidate's behaviour at that event time. */
interface Behaviour {
  readonly medianMs: number;
  readonly errorRate: number;
}
interface Traffic {
  readonly baseline: Behaviour;
  readonly candidate: Behaviour;
  /** The candidate's behaviour from this event time on (a regression after promotion). */
  readonly later?: { readonly fromMs: number; readonly candidate: Behaviour };
}

/**
 * Closes the loop like an app following /v1/assign: every call asks the
 * manager which variant to serve, reports the outcome, and the manager decides
 * at each bucket boundary. Runs `buckets` buckets; returns every record.
 */
function drive(manager: ExperimentManager, routes: readonly string[], traffic: Traffic, buckets: number, seed = 5): DecisionRecord[] {
  const rng = mulberry32(seed);
  const out: DecisionRecord[] = [];
  for (const route of routes) out.push(...manager.onBoundary(route, T0, [action(route)]));
  for (let b = 1; b <= buckets; b++) {
    const boundary = T0 + b * BUCKET;
    for (const route of routes) {
      for (let i = 0; i < 100; i++) {
        const ts = boundary - BUCKET + i * 100;
        const unit = `u${Math.floor(rng() * 1_000_000)}`;
        const a = manager.assign(route, unit)!;
        const isCandidate = a.variant === 'cot-v1~few_shot';
        const behaviour = isCandidate ? (traffic.later !== undefined && ts >= traffic.later.fromMs ? traffic.later.candidate : traffic.candidate) : traffic.baseline;
        const event = { ...makeEvent(ts, route, a.variant, behaviour.medianMs * Math.exp(0.25 * normal(rng))), isError: rng() < behaviour.errorRate, quality: 0.9 + 0.02 * normal(rng) };
        manager.onEvent(a.experiment === undefined ? event : { ...event, experiment: a.experiment, arm: a.arm, unit });
      }
      out.push(...manager.onBoundary(route, boundary, []));
    }
  }
  return out;
}

const ended = (records: readonly DecisionRecord[], route: string) =>
  records.filter((r): r is ExperimentRecord => r.type === 'experiment' && r.route === route && r.status !== 'started');

describe('per-route rollback policies (routes.<route>.abtest)', () => {
  const config = parseConfig({
    routes: {
      tolerant: { abtest: { rollback: { error_rate_increase_points: 20 }, watch_after_promotion: '2h' } },
    },
  });

  it('merges a route override over abtest key by key and validates it with its path', () => {
    expect(abtestFor(config, 'tolerant').rollback).toEqual({ response_time_spike_pct: 50, error_rate_increase_points: 20, satisfaction_drop_pct: 10 });
    expect(abtestFor(config, 'tolerant').gates).toEqual(config.abtest.gates);
    expect(abtestFor(config, 'anything-else')).toBe(config.abtest);
    expect(() => parseConfig({ routes: { r: { abtest: { rollback: { error_rate_increase_points: -1 } } } } })).toThrow(/routes\.r\.abtest\.rollback\.error_rate_increase_points/);
    expect(() => parseConfig({ routes: { r: { abtest: { on_breach: 'panic' } } } })).toThrow(/routes\.r\.abtest\.on_breach/);
    expect(() => parseConfig({ routes: { r: { abtest: { ramp: [0.3, 0.2] } } } })).toThrow(/routes\.r\.abtest\.ramp\[1\]: ramp shares must increase/);
  });

  it('closed loop: the same failing candidate is rolled back on the default route and promoted on the tolerant one', () => {
    const manager = new ExperimentManager(config);
    // Faster (the action's goal) but 8 points more errors: breaches the default +5 points trigger only.
    const records = drive(manager, ['default', 'tolerant'], { baseline: { medianMs: 3000, errorRate: 0.01 }, candidate: { medianMs: 1800, errorRate: 0.09 } }, 400);
    const [onDefault] = ended(records, 'default');
    const [onTolerant] = ended(records, 'tolerant');
    expect(onDefault).toMatchObject({ status: 'rolled_back', reason: expect.stringContaining('error_rate_increase failed') });
    expect(onTolerant).toMatchObject({ status: 'promoted' });
    expect(manager.assign('default', 'someone')!.variant).toBe('cot-v1');
    expect(manager.assign('tolerant', 'someone')!.variant).toBe('cot-v1~few_shot');
  });

  it('the watch after promotion rolls back a promoted candidate that regresses against the pre-promotion baseline', () => {
    const manager = new ExperimentManager(parseConfig({ abtest: { watch_after_promotion: '1h' } }));
    // Healthy until promoted; from 40 min of event time on its latency more than doubles.
    const records = drive(manager, ['support'], {
      baseline: { medianMs: 3000, errorRate: 0.01 }, candidate: { medianMs: 1800, errorRate: 0.01 },
      later: { fromMs: T0 + 40 * 60_000, candidate: { medianMs: 6500, errorRate: 0.01 } },
    }, 600);
    const outcomes = ended(records, 'support');
    expect(outcomes.map((r) => r.status)).toEqual(['promoted', 'rolled_back']);
    const [promoted, watched] = outcomes as [ExperimentRecord, ExperimentRecord];
    expect(promoted.ts).toBeLessThan(T0 + 40 * 60_000);
    expect(watched.id).toBe(promoted.id);
    expect(watched.reason).toMatch(/^watch after promotion: rollback trigger: response_time_spike failed/);
    expect(watched['watch']).toEqual({ promoted_at: promoted.ts, window_ms: 3_600_000 });
    expect(watched.ts).toBeLessThan(promoted.ts + 3_600_000);
    expect((watched.evidence['latency_p95_ms'] as { delta: number }).delta).toBeGreaterThan(0.5);
    expect(manager.assign('support', 'anyone')!.variant).toBe('cot-v1');
    expect(manager.get(promoted.id)!.status).toBe('rolled_back');
  });

  it('a promoted candidate that stays healthy is left alone once the watch is over', () => {
    const manager = new ExperimentManager(parseConfig({ abtest: { watch_after_promotion: '30m' } }));
    const records = drive(manager, ['support'], { baseline: { medianMs: 3000, errorRate: 0.01 }, candidate: { medianMs: 1800, errorRate: 0.01 } }, 600);
    expect(ended(records, 'support').map((r) => r.status)).toEqual(['promoted']);
    expect(manager.watches.watching('support')).toBeNull();
  });

  it('on_breach: pause sends everyone to the baseline and waits for an operator; alert_only alerts and lets the gates decide', () => {
    const failing: Traffic = { baseline: { medianMs: 3000, errorRate: 0.01 }, candidate: { medianMs: 1800, errorRate: 0.09 } };
    const paused = new ExperimentManager(parseConfig({ routes: { support: { abtest: { on_breach: 'pause' } } } }));
    const records = drive(paused, ['support'], failing, 300);
    const pause = records.find((r): r is PolicyRecord => r.type === 'policy');
    expect(pause).toMatchObject({ action: 'pause', source: 'policy', experiment: 'exp-act-support', reason: expect.stringContaining('error_rate_increase failed') });
    expect(ended(records, 'support')).toEqual([]);
    expect(paused.get('exp-act-support')).toMatchObject({ status: 'running', paused: 'policy' });
    expect(paused.assign('support', 'anyone')).toEqual({ route: 'support', variant: 'cot-v1', pattern: 'chain_of_thought', params: {} });
    const resumed = paused.steer('support', 'resume', T0 + 301 * BUCKET, 'fixed upstream');
    expect(resumed).toMatchObject({ type: 'policy', action: 'resume', source: 'api', experiment: 'exp-act-support' });

    const alerting = new ExperimentManager(parseConfig({ routes: { support: { abtest: { on_breach: 'alert_only' } } } }));
    const alerted = drive(alerting, ['support'], failing, 400);
    expect(alerted.find((r): r is TriggerRecord => r.type === 'trigger' && r.rule === 'rollback_trigger_breach')).toMatchObject({ state: 'firing', severity: 'critical' });
    // Promoted on its gates; the watch after promotion alerts again instead of rolling back.
    expect(ended(alerted, 'support')).toMatchObject([{ status: 'promoted' }]);
    expect(alerted.filter((r) => r.type === 'trigger' && r.rule === 'rollback_trigger_breach' && r.evidence['watch'] === true)).toHaveLength(1);
  });

  it('manual steering: pause/resume need a running experiment, freeze blocks new actions until unfrozen', () => {
    const manager = new ExperimentManager(parseConfig({}));
    expect(manager.steer('support', 'pause', T0, 'x')).toEqual({ error: 'no experiment running on route support' });
    expect(manager.steer('support', 'freeze', T0, 'release week')).toEqual({ type: 'policy', ts: T0, route: 'support', action: 'freeze', source: 'api', reason: 'release week' });
    expect(manager.steer('support', 'freeze', T0, 'again')).toEqual({ error: 'route support is already frozen' });
    expect(manager.blockFor('support', T0)).toMatchObject({ code: 'frozen' });
    expect(manager.onBoundary('support', T0, [action('support')])).toEqual([]);
    expect(manager.steer('support', 'unfreeze', T0 + 1, 'done')).toMatchObject({ action: 'unfreeze' });
    expect(manager.onBoundary('support', T0 + 2, [action('support')])).toMatchObject([{ type: 'experiment', status: 'started' }]);
    expect(manager.steer('support', 'pause', T0 + 3, 'investigating')).toMatchObject({ action: 'pause', experiment: 'exp-act-support' });
    expect(manager.assign('support', 'u1')!.experiment).toBeUndefined();
    expect(manager.steer('support', 'resume', T0 + 4, 'ok')).toMatchObject({ action: 'resume' });
    expect(manager.assign('support', 'u1')!.experiment).toBe('exp-act-support');
  });
});
