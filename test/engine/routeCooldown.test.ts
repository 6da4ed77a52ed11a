import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const MIN = 60_000;
const config = parseConfig({ actions: { cooldown: '30m' }, abtest: { cooldown: '10m' } });

/** Four calls a second of the route's production variant from `fromMin` to `toMin`, at `latencyMs`. */
function calls(fromMin: number, toMin: number, latencyMs: number): TelemetryEvent[] {
  const out: TelemetryEvent[] = [];
  for (let ts = T0 + fromMin * MIN; ts < T0 + toMin * MIN; ts += 250) out.push({ ...makeEvent(ts, 'support', 'v1', latencyMs), pattern: 'chain_of_thought' });
  return out;
}

const actionsOf = (records: readonly DecisionRecord[]) => records.filter((r) => r.type === 'action');

describe('one route cooldown in the engine: after an action, then after the experiment it started', () => {
  it('holds the route for abtest.cooldown after the experiment ends, then acts again (no extra actions.cooldown on top)', () => {
    const engine = new PipelineEngine(config);
    const first = engine.ingest([...calls(0, 6, 5000), ...calls(6, 25, 1000)]);
    const [action] = actionsOf(first);
    expect(action).toMatchObject({ kind: 'pattern_simplification' });
    const experiment = engine.experiments.runningOn('support')!;
    expect(experiment.action_id).toBe(action!.id);
    // While it runs the route is held by the experiment, not by a cooldown.
    expect(engine.experiments.blockFor('support', T0 + 20 * MIN)?.code).toBe('experiment_running');

    const endedMs = T0 + 25 * MIN;
    engine.experiments.decideManually(experiment.id, 'rollback', endedMs);
    expect(engine.experiments.blockFor('support', endedMs + 5 * MIN)).toEqual({
      code: 'cooldown', detail: `cooldown until ${new Date(endedMs + 10 * MIN).toISOString()} after experiment ${experiment.id} (abtest.cooldown)`,
    });
    // Past both the action's 30 min and the experiment's 10 min: a new episode gets its action.
    const second = engine.ingest([...calls(25, 40, 1000), ...calls(40, 50, 5000)]);
    expect(actionsOf(second)).toMatchObject([{ kind: 'pattern_simplification', rule: 'performance_degradation' }]);
    expect(actionsOf(second)[0]).not.toHaveProperty('status');
  });

  it('a rule firing inside the cooldown gets a skipped record naming the experiment that started it', () => {
    const engine = new PipelineEngine(config);
    engine.ingest([...calls(0, 6, 5000), ...calls(6, 25, 1000)]);
    const experiment = engine.experiments.runningOn('support')!;
    engine.experiments.decideManually(experiment.id, 'rollback', T0 + 25 * MIN);
    const during = actionsOf(engine.ingest(calls(25, 34, 5000)));
    expect(during).toMatchObject([{ status: 'skipped', reason_code: 'cooldown', reason: expect.stringContaining(`after experiment ${experiment.id} (abtest.cooldown)`) as unknown }]);
  });
});
