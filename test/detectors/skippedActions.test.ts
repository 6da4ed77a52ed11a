import { describe, expect, it } from 'vitest';
import { ExperimentManager } from '../../src/abtest/experimentManager.js';
import type { DecisionRecord, TriggerRecord } from '../../src/core/decision.js';
import { RouteDetector } from '../../src/detectors/index.js';
import { describeDecision } from '../../src/notify/describeDecision.js';
import { config, stats, T0 } from './fixtures.js';

const BUCKET_MS = 10_000;

function evaluateFor(detector: RouteDetector, durationMs: number, options: Parameters<RouteDetector['evaluate']>[2]): DecisionRecord[] {
  const out: DecisionRecord[] = [];
  for (let at = BUCKET_MS; at <= durationMs; at += BUCKET_MS) out.push(...detector.evaluate(stats(T0 + at, { p95: 2500 }), T0 + at, options));
  return out;
}

describe('an action not taken is a record, once per episode', () => {
  it('while an experiment runs: one skipped record naming the experiment, however long the breach lasts', () => {
    const detector = new RouteDetector(config());
    const records = evaluateFor(detector, 30 * 60_000, { blocked: { code: 'experiment_running', detail: 'experiment exp-1 running (pattern_simplification: v vs v~few_shot)' } });
    const skipped = records.filter((r) => r.type === 'action');
    expect(skipped).toEqual([
      expect.objectContaining({ type: 'action', status: 'skipped', reason_code: 'experiment_running', rule: 'performance_degradation', kind: 'pattern_simplification', reason: 'experiment exp-1 running (pattern_simplification: v vs v~few_shot)' }),
    ]);
    expect(describeDecision(skipped[0]!)).toMatch(/^support\/.+: pattern simplification not taken \(experiment_running\): experiment exp-1 running/);
  });

  it('the experiment manager says why a route is blocked: the running experiment, then its cooldown', () => {
    const manager = new ExperimentManager(config());
    expect(manager.blockFor('support', T0)).toBeNull();
    manager.onBoundary('support', T0, [{
      type: 'action', ts: T0, id: 'a1', route: 'support', kind: 'pattern_simplification', rule: 'performance_degradation',
      from: { variant: 'v1', pattern: 'chain_of_thought' }, to: { variant: 'v1~few_shot', pattern: 'few_shot' }, reason: 'test',
      evidence: { metric: 'latency_p95_ms', value: 2500, threshold: 2400, samples: 100 },
    }]);
    expect(manager.blockFor('support', T0 + 1)).toEqual({ code: 'experiment_running', detail: 'experiment exp-a1 running (pattern_simplification: v1 vs v1~few_shot)' });
    manager.decideManually('exp-a1', 'rollback', T0 + 60_000);
    expect(manager.blockFor('support', T0 + 120_000)).toEqual({ code: 'cooldown', detail: `cooldown until ${new Date(T0 + 60_000 + 3_600_000).toISOString()} after experiment exp-a1 (abtest.cooldown)` });
    expect(manager.blockFor('support', T0 + 60_000 + 3_600_000)).toBeNull();
  });
});

describe('a resolve caused by no traffic says so in its log line', () => {
  it('names the stopped traffic instead of a recovery', () => {
    const detector = new RouteDetector(config());
    const firing = evaluateFor(detector, 5 * 60_000, {});
    expect(firing.some((r) => r.type === 'trigger' && r.state === 'firing')).toBe(true);
    const resolved = detector.retire('support', stats(T0).variant, T0 + 20 * 60_000);
    expect(resolved.length).toBeGreaterThan(0);
    const line = describeDecision(resolved[0] as TriggerRecord);
    expect(line).toMatch(/^support\/\S+: \w+ resolved because its traffic stopped \(no events for a whole window\), not because p95 latency recovered/);
    const recovered = describeDecision({ ...(resolved[0] as TriggerRecord), evidence: { ...(resolved[0] as TriggerRecord).evidence, reason: undefined } });
    expect(recovered).not.toMatch(/traffic stopped/);
  });
});
