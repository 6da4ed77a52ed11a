import { describe, expect, it } from 'vitest';
import { planAction } from '../../src/actions/planner.js';
import { ExperimentManager } from '../../src/abtest/experimentManager.js';
import { parseConfig } from '../../src/config/load.js';
import type { ActionRecord, DecisionRecord, ExperimentRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { mulberry32, normal } from '../../src/sim/index.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const COT = [
  'You classify support tickets for {{company}} into billing, technical or other.',
  '',
  'Please think step by step: first find what the customer wants, then pick the area.',
  '',
  'Your answer should be the reasoning followed by the category name on the last line.',
  '',
  'Ticket: {{ticket}}',
  '',
].join('\n');

const config = parseConfig({
  routes: {
    support: {
      tier: 'premium',
      variants: [{ name: 'triage-v4', pattern: 'chain_of_thought', template: COT }],
      examples: [{ input: 'I was charged twice for May.', output: 'billing' }],
    },
  },
});

function plannedAction(): ActionRecord {
  const plan = planAction(
    {
      route: 'support', variant: 'triage-v4', pattern: 'chain_of_thought', rule: 'performance_degradation', kind: 'pattern_simplification',
      metric: 'latency_p95_ms', op: 'gt', value: 7500, threshold: 7200, samples: 900, heldMs: 120_000, episodeStartMs: T0 - 120_000, nowMs: T0,
    },
    null,
    config,
  );
  if (plan.outcome !== 'planned') throw new Error(plan.detail);
  return plan.record;
}

/** Feeds both arms as an app following /v1/assign would until the experiment ends; the candidate is 40 % faster. */
function runToEnd(manager: ExperimentManager): DecisionRecord[] {
  const rng = mulberry32(7);
  const out: DecisionRecord[] = [];
  for (let b = 1; b <= 500; b++) {
    const boundary = T0 + b * 10_000;
    for (let i = 0; i < 100; i++) {
      const unit = `u${Math.floor(rng() * 1e6)}`;
      const a = manager.assign('support', unit)!;
      const median = a.arm === 'candidate' ? 1800 : 3000;
      const e: TelemetryEvent = {
        ...makeEvent(boundary - 10_000 + i * 100, 'support', a.variant, median * Math.exp(0.3 * normal(rng))),
        experiment: a.experiment!, arm: a.arm!, unit, quality: 0.85 + 0.03 * normal(rng),
      };
      manager.onEvent(e);
    }
    out.push(...manager.onBoundary('support', boundary, []));
    if (out.some((r) => r.type === 'experiment' && r.status !== 'started')) break;
  }
  return out;
}

describe('a pattern action changes the prompt, and promotion keeps what the candidate is', () => {
  it('serves a template rewritten for few_shot in the candidate arm; the experiment record carries both token counts', () => {
    const manager = new ExperimentManager(config);
    const action = plannedAction();
    const started = manager.onBoundary('support', T0, [action]).find((r): r is ExperimentRecord => r.type === 'experiment')!;
    expect(started.status).toBe('started');
    expect(started.candidate).toEqual({ variant: 'triage-v4~few_shot', pattern: 'few_shot', tier: 'premium', max_tokens: 4000 });
    const tokens = started['template_tokens'] as { baseline: number; candidate: number };
    expect(tokens).toEqual({ baseline: action.prompt!.baseline_tokens, candidate: action.prompt!.candidate_tokens });
    expect(tokens.candidate).toBeLessThan(tokens.baseline);

    const arms = new Map<string, NonNullable<ReturnType<ExperimentManager['assign']>>>();
    for (let u = 0; arms.size < 2 && u < 1000; u++) {
      const a = manager.assign('support', `unit-${u}`)!;
      arms.set(a.arm!, a);
    }
    const candidate = arms.get('candidate')!;
    const template = candidate.params!['template'] as string;
    expect(template).not.toBe(COT);
    expect(template).not.toMatch(/step by step|reasoning/i);
    expect(template).toContain('Example 1:\nTicket: I was charged twice for May.\nOutput: billing');
    expect(template).toContain('Your answer should be the category name on the last line.');
    for (const placeholder of ['{{company}}', '{{ticket}}']) expect(template).toContain(placeholder);
    expect(candidate.params).toMatchObject({ tier: 'premium', max_tokens: 4000 });
    expect(arms.get('baseline')!.params).toMatchObject({ template: COT, tier: 'premium', max_tokens: 4000 });
  });

  it('after promotion every unit gets the candidate with its tier, max_tokens, template and pattern', () => {
    const manager = new ExperimentManager(config);
    manager.onBoundary('support', T0, [plannedAction()]);
    const ended = runToEnd(manager).find((r): r is ExperimentRecord => r.type === 'experiment' && r.status !== 'started')!;
    expect(ended.status).toBe('promoted');
    expect(ended['template_tokens']).toMatchObject({ baseline: expect.any(Number) as unknown, candidate: expect.any(Number) as unknown });
    const after = manager.assign('support', 'anyone')!;
    expect(after).toMatchObject({ variant: 'triage-v4~few_shot', pattern: 'few_shot', params: { tier: 'premium', max_tokens: 4000 } });
    expect(after.params!['template']).toMatch(/Example 1:/);
    expect(after.experiment).toBeUndefined();
  });
});
