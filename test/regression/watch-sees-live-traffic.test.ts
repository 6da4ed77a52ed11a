// Regression (found while persisting the watch, issue 11): the engine fed only experiment-tagged events to the
// experiment manager (a hot-path saving), so the watch after promotion never saw the promoted variant's traffic in
// the daemon or in replay — a promoted candidate that regressed was never rolled back outside unit tests that
// called the manager directly.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ActionRecord, DecisionRecord, ExperimentRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { mulberry32, normal } from '../../src/sim/index.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const ACTION: ActionRecord = {
  type: 'action', ts: T0, id: 'a1', route: 'support', kind: 'pattern_simplification', rule: 'performance_degradation',
  from: { variant: 'cot-v1', pattern: 'chain_of_thought' }, to: { variant: 'cot-v1~few_shot', pattern: 'few_shot' },
  reason: 'test', evidence: { metric: 'latency_p95_ms', value: 3000, threshold: 2400, samples: 500 },
};

describe('the watch after promotion in the engine', () => {
  it('untagged traffic of the promoted variant reaches the watch, which rolls a regression back', () => {
    const engine = new PipelineEngine(parseConfig({ abtest: { ramp: [0.5], min_samples_per_arm: 50, watch_after_promotion: '1h' } }));
    const rng = mulberry32(3);
    const latency = (median: number): number => median * Math.exp(0.2 * normal(rng));
    engine.experiments.onBoundary('support', T0, [ACTION]);
    const experiment = engine.experiments.runningOn('support')!;
    // Experiment traffic (tagged, following the assignment): the candidate is faster.
    const tagged: TelemetryEvent[] = [];
    for (let i = 0; i < 400; i++) {
      const unit = `u${i}`;
      const a = engine.experiments.assign('support', unit)!;
      tagged.push({ ...makeEvent(T0 + 1_000 + i * 200, 'support', a.variant, latency(a.arm === 'candidate' ? 1800 : 3000)), experiment: experiment.id, arm: a.arm!, unit });
    }
    const out: DecisionRecord[] = engine.ingest(tagged);
    const promotedAt = T0 + 100_000;
    if (engine.experiments.runningOn('support') !== null) out.push(...engine.experiments.decideManually(experiment.id, 'promote', promotedAt)!);
    const promoted = out.find((r): r is ExperimentRecord => r.type === 'experiment' && r.status === 'promoted')!;
    expect(promoted).toBeDefined();
    expect(engine.experiments.assign('support', 'anyone')!.variant).toBe('cot-v1~few_shot');
    // After the promotion the app serves the candidate to everyone, untagged; it regresses.
    const later = Array.from({ length: 600 }, (_, i) => makeEvent(promoted.ts + 1_000 + i * 200, 'support', 'cot-v1~few_shot', latency(7000)));
    const decided = [...engine.ingest(later), ...engine.flush()];
    const rolledBack = decided.find((r): r is ExperimentRecord => r.type === 'experiment' && r.status === 'rolled_back');
    expect(rolledBack).toMatchObject({ id: experiment.id, watch: { promoted_at: promoted.ts, window_ms: 3_600_000 } });
    expect(engine.experiments.assign('support', 'anyone')!.variant).toBe('cot-v1');
  });
});
