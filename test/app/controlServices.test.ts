import { describe, expect, it } from 'vitest';
import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { ExperimentService } from '../../src/app/experimentService.js';
import { VariantService } from '../../src/app/variantService.js';
import { parseConfig } from '../../src/config/load.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { PipelineRunner } from '../../src/runtime/pipelineRunner.js';

function services(): { experiments: ExperimentService; variants: VariantService; runner: PipelineRunner } {
  const engine = new PipelineEngine(parseConfig({ routes: { support: { current: 'v1', variants: [{ name: 'v1', pattern: 'chain_of_thought' }] } } }));
  const runner = new PipelineRunner(engine, new MemoryDecisionLog());
  return { experiments: new ExperimentService(engine, runner, () => Date.now()), variants: new VariantService(engine, runner), runner };
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
    expect(registered).toMatchObject({ variant: 'v2', pattern: 'few_shot', tier: 'economy', template: 'Answer briefly: {{q}}', source: 'api' });
    expect(variants.variants('support')?.map((v) => v.variant)).toEqual(['v1', 'v2']);
    expect(experiments.assign('support', 'user-1')).toMatchObject({ variant: 'v1' });
  });
});
