// Regression (found in the QA pass): a token_optimization on a route whose template compression cannot shorten
// ("Classify: {{ticket}}") already in the lowest budget tier started an experiment of `v1` against `v1~compressed`:
// the same prompt under a new name, tested against itself. A derived compression that saves no tokens is not a
// candidate: the step is the lower tier alone, or, with none left, a skipped action saying why.
import { describe, expect, it } from 'vitest';
import { planAction, type PlanRequest } from '../../src/actions/planner.js';
import { parseConfig } from '../../src/config/load.js';

const request: PlanRequest = {
  route: 'r', variant: 'v1', pattern: 'zero_shot', kind: 'token_optimization', rule: 'cost_threshold_breach', metric: 'cost_per_task_usd',
  op: 'gt', value: 0.25, threshold: 0.125, samples: 350, heldMs: 120_000, nowMs: 1_767_600_000_000, episodeStartMs: 1_767_600_000_000,
};
const configWith = (template: string, tier?: string) =>
  parseConfig({ routes: { r: { ...(tier !== undefined ? { tier } : {}), variants: [{ name: 'v1', pattern: 'zero_shot', template }] } } });

describe('token optimization of a template compression cannot shorten', () => {
  it('in the lowest tier: skipped, no candidate, saying why', () => {
    const plan = planAction(request, null, configWith('Classify: {{ticket}}', 'economy'));
    expect(plan.outcome).toBe('skipped');
    expect(plan.outcome === 'skipped' && plan.record).toMatchObject({ reason_code: 'no_candidate', reason: expect.stringContaining("compressing v1's template saves no tokens and economy is the lowest budget tier") });
  });

  it('with a lower tier: the tier alone, not a "compressed" copy', () => {
    const plan = planAction(request, null, configWith('Classify: {{ticket}}'));
    expect(plan.outcome === 'planned' && plan.record.to).toMatchObject({ variant: 'v1~economy', tier: 'economy' });
  });

  it('a template it can shorten still gets its compressed candidate', () => {
    const plan = planAction(request, null, configWith('Please could you kindly classify the following ticket for me. Thank you so much!\n\n{{ticket}}', 'economy'));
    expect(plan.outcome === 'planned' && plan.record.to).toMatchObject({ variant: 'v1~compressed' });
  });
});
