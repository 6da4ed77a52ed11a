import { describe, expect, it } from 'vitest';
import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { ExperimentService } from '../../src/app/experimentService.js';
import { VariantService } from '../../src/app/variantService.js';
import { parseConfig } from '../../src/config/load.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { PipelineRunner } from '../../src/runtime/pipelineRunner.js';
import type { ActionRecord } from '../../src/core/decision.js';
import { makeEvent } from '../../src/core/event.js';

function services(): { experiments: ExperimentService; variants: VariantService; runner: PipelineRunner } {
  const engine = new PipelineEngine(parseConfig({ routes: { support: { current: 'v1', variants: [{ name: 'v1', pattern: 'chain_of_thought' }] } } }));
  const runner = new PipelineRunner(engine, new MemoryDecisionLog());
  return { experiments: new ExperimentService(engine, runner, () => Date.now()), variants: new VariantService(engine, runner), runner };
}

/** Starts a pattern experiment on route `support` at `T0` (cot-v1 against cot-v1~few_shot); returns its id. */
function startExperiment(engine: PipelineEngine, T0: number): string {
  const action: ActionRecord = {
    type: 'action', ts: T0, id: 'a1', route: 'support', kind: 'pattern_simplification', rule: 'performance_degradation',
    from: { variant: 'cot-v1', pattern: 'chain_of_thought' }, to: { variant: 'cot-v1~few_shot', pattern: 'few_shot' },
    reason: 'test', evidence: { metric: 'latency_p95_ms', value: 3000, threshold: 2400, samples: 500 },
  };
  engine.experiments.onBoundary('support', T0, [action]);
  return engine.experiments.runningOn('support')!.id;
}

describe('ExperimentService and VariantService', () => {
  it('answers an unknown experiment or route as a value, never by throwing', async () => {
    const { experiments, variants } = services();
    expect(await experiments.decide('exp-nope', 'promote')).toEqual({ kind: 'not_found' });
    expect(experiments.get('exp-nope')).toBeNull();
    expect(experiments.list()).toEqual([]);
    expect(experiments.assign('nowhere', 'u1')).toBeNull();
    expect(variants.variants('nowhere')).toBeNull();
  });

  it('registers a variant through the serialized pipeline; assign keeps serving production', async () => {
    const { experiments, variants } = services();
    const registered = await variants.register('support', { name: 'v2', pattern: 'few_shot', tier: 'economy', template: 'Answer briefly: {{q}}' });
    expect(registered).toMatchObject({ kind: 'registered', variant: { variant: 'v2', pattern: 'few_shot', tier: 'economy', template: 'Answer briefly: {{q}}', source: 'api' } });
    expect(variants.variants('support')?.map((v) => v.variant)).toEqual(['v1', 'v2']);
    expect(experiments.assign('support', 'user-1')).toMatchObject({ variant: 'v1' });
  });

  it('does not replace a variant an experiment compares (running, or promoted and under its watch): it names the experiment and the arm', async () => {
    const T0 = Date.parse('2026-01-05T08:00:00Z');
    const engine = new PipelineEngine(parseConfig({ abtest: { ramp: [0.5], watch_after_promotion: '1h' } }));
    const variants = new VariantService(engine, new PipelineRunner(engine, new MemoryDecisionLog()));
    const id = startExperiment(engine, T0);
    const before = variants.variants('support');
    expect(await variants.register('support', { name: 'cot-v1', template: 'Other: {{q}}' })).toEqual({ kind: 'compared', experiment: id, arm: 'baseline', watch: false });
    expect(await variants.register('support', { name: 'cot-v1~few_shot', template: 'Other: {{q}}' })).toEqual({ kind: 'compared', experiment: id, arm: 'candidate', watch: false });
    expect(variants.variants('support')).toEqual(before);
    // Another name is registered while the experiment runs.
    expect(await variants.register('support', { name: 'v3', template: 'Other: {{q}}' })).toMatchObject({ kind: 'registered', variant: { variant: 'v3' } });
    engine.experiments.decideManually(id, 'promote', T0 + 60_000);
    expect(await variants.register('support', { name: 'cot-v1~few_shot', template: 'Other: {{q}}' })).toEqual({ kind: 'compared', experiment: id, arm: 'candidate', watch: true });
    // Once the watch is over the promoted variant can be replaced.
    engine.ingest([makeEvent(T0 + 60_000 + 3_700_000, 'support', 'cot-v1~few_shot', 900)]);
    engine.flush();
    expect(await variants.register('support', { name: 'cot-v1~few_shot', template: 'Other: {{q}}' })).toMatchObject({ kind: 'registered', variant: { variant: 'cot-v1~few_shot', template: 'Other: {{q}}' } });
  });

  it('shows a promotion under the watch after promotion, with its window and the calls compared, until it ends', async () => {
    const T0 = Date.parse('2026-01-05T08:00:00Z');
    const engine = new PipelineEngine(parseConfig({ abtest: { ramp: [0.5], watch_after_promotion: '1h' } }));
    const runner = new PipelineRunner(engine, new MemoryDecisionLog());
    const experiments = new ExperimentService(engine, runner, () => Date.now());
    const id = startExperiment(engine, T0);
    expect(experiments.get(id)!.watch).toBeUndefined();
    engine.experiments.decideManually(id, 'promote', T0 + 60_000);
    expect(experiments.get(id)).toMatchObject({ status: 'promoted', watch: { promoted_at: T0 + 60_000, until: T0 + 60_000 + 3_600_000, n: 0 } });
    // The promoted variant's live (untagged) calls are what the watch compares.
    engine.ingest(Array.from({ length: 30 }, (_, i) => makeEvent(T0 + 61_000 + i * 1_000, 'support', 'cot-v1~few_shot', 900)));
    expect(experiments.list().find((e) => e.id === id)?.watch?.n).toBe(30);
    // Past the window the watch ends, and the experiment no longer shows one.
    engine.ingest([makeEvent(T0 + 60_000 + 3_700_000, 'support', 'cot-v1~few_shot', 900)]);
    engine.flush();
    expect(experiments.get(id)!.watch).toBeUndefined();
    expect(experiments.get(id)!.status).toBe('promoted');
  });
});
