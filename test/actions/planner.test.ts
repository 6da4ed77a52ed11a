import { describe, expect, it } from 'vitest';
import { planAction, type PlanRequest } from '../../src/actions/planner.js';
import { compressionLevelOf } from '../../src/actions/plannerCandidates.js';
import { actionId } from '../../src/actions/plannerId.js';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import type { ActionKind } from '../../src/core/decision.js';
import type { Pattern } from '../../src/core/patterns.js';

const NOW = 1_700_000_000_000;
const DEFAULTS = ConfigSchema.parse({});

function request(kind: ActionKind, pattern: Pattern | null, overrides: Partial<PlanRequest> = {}): PlanRequest {
  return {
    route: 'support', variant: 'v1', pattern, rule: 'r', kind, metric: 'latency_p95_ms', op: 'gt',
    value: 2710, threshold: 2400, samples: 120, heldMs: 120_000, episodeStartMs: NOW - 120_000, nowMs: NOW, ...overrides,
  };
}

function planned(req: PlanRequest, config: Config = DEFAULTS) {
  const plan = planAction(req, null, config);
  if (plan.outcome !== 'planned') throw new Error(`expected a plan, got ${plan.reason}: ${plan.detail}`);
  return plan.record;
}

describe('planAction: pattern ladder', () => {
  it.each([
    ['pattern_simplification', 'chain_of_thought', 'few_shot'],
    ['pattern_simplification', 'self_consistency', 'tree_of_thought'],
    ['pattern_simplification', 'few_shot', 'zero_shot'],
    ['pattern_enhancement', 'few_shot', 'chain_of_thought'],
    ['pattern_enhancement', 'tree_of_thought', 'self_consistency'],
  ] as const)('%s: %s → %s with a derived candidate name', (kind, from, to) => {
    const record = planned(request(kind, from));
    // The candidate stays in the variant's budget tier: a promotion must not drop it.
    expect(record.from).toEqual({ variant: 'v1', pattern: from, tier: 'standard', max_tokens: 1500 });
    expect(record.to).toEqual({ variant: `v1~${to}`, pattern: to, tier: 'standard', max_tokens: 1500 });
    expect(record.prompt).toBeUndefined(); // no template known: the app serves its own prompt for the pattern
    expect(record).toMatchObject({ type: 'action', ts: NOW, route: 'support', kind, rule: 'r' });
  });

  it.each([
    ['pattern_simplification', 'zero_shot'],
    ['pattern_enhancement', 'self_consistency'],
    ['pattern_simplification', 'structured'],
    ['pattern_enhancement', null],
  ] as const)('%s from %s has no step', (kind, pattern) => {
    expect(planAction(request(kind, pattern), null, DEFAULTS)).toMatchObject({
      outcome: 'skipped', reason: 'no_candidate',
      record: { type: 'action', status: 'skipped', reason_code: 'no_candidate', route: 'support', variant: 'v1', kind, rule: 'r' },
    });
  });

  it('prefers a registered variant with the target pattern, and falls back to the configured pattern', () => {
    const config = ConfigSchema.parse({
      routes: { support: { variants: [{ name: 'v1', pattern: 'chain_of_thought' }, { name: 'short', pattern: 'few_shot' }] } },
    });
    const record = planned(request('pattern_simplification', null), config);
    expect(record.from).toEqual({ variant: 'v1', pattern: 'chain_of_thought', tier: 'standard', max_tokens: 1500 });
    expect(record.to).toEqual({ variant: 'short', pattern: 'few_shot', tier: 'standard', max_tokens: 1500 });
  });

  it('does not pile up derived suffixes', () => {
    const record = planned(request('pattern_simplification', 'few_shot', { variant: 'v1~few_shot' }));
    expect(record.to.variant).toBe('v1~zero_shot');
  });

  it('follows a custom ladder', () => {
    const config = ConfigSchema.parse({ actions: { pattern_ladder: ['zero_shot', 'chain_of_thought'] } });
    expect(planned(request('pattern_simplification', 'chain_of_thought'), config).to.pattern).toBe('zero_shot');
  });
});

describe('planAction: token_optimization', () => {
  it('uses the registered compressed variant and the next lower budget tier', () => {
    const config = ConfigSchema.parse({
      routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot', compressed: 'v1-short' }, { name: 'v1-short', pattern: 'zero_shot' }] } },
    });
    const record = planned(request('token_optimization', 'few_shot'), config);
    expect(record.from).toEqual({ variant: 'v1', pattern: 'few_shot', tier: 'standard', max_tokens: 1500 });
    expect(record.to).toEqual({ variant: 'v1-short', pattern: 'zero_shot', tier: 'economy', max_tokens: 500 });
  });

  it('derives a compressed candidate name and lowers the route tier', () => {
    const config = ConfigSchema.parse({ routes: { support: { tier: 'research' } } });
    const record = planned(request('token_optimization', 'tree_of_thought'), config);
    expect(record.to).toEqual({ variant: 'v1~compressed', pattern: 'tree_of_thought', tier: 'premium', max_tokens: 4000 });
  });

  it('at the lowest tier still compresses; an aggressively compressed variant at the lowest tier has no step', () => {
    const config = ConfigSchema.parse({ actions: { default_tier: 'economy' } });
    expect(planned(request('token_optimization', 'zero_shot'), config).to).toEqual({ variant: 'v1~compressed', pattern: 'zero_shot', tier: 'economy', max_tokens: 500 });
    expect(planAction(request('token_optimization', 'zero_shot', { variant: 'v1~compressed-aggressive' }), null, config)).toMatchObject({ outcome: 'skipped', reason: 'no_candidate' });
  });

  it('conservative first, aggressive only from a (promoted) conservative variant, then only the tier', () => {
    const config = ConfigSchema.parse({ actions: { default_tier: 'economy' } });
    const second = planned(request('token_optimization', 'zero_shot', { variant: 'v1~compressed' }), config);
    expect(second.to).toEqual({ variant: 'v1~compressed-aggressive', pattern: 'zero_shot', tier: 'economy', max_tokens: 500 });
    expect(compressionLevelOf('v1~compressed')).toBe('conservative');
    expect(compressionLevelOf(second.to.variant)).toBe('aggressive');
    // A registered compressed variant is a conservative step too: the next one is aggressive.
    const registered = ConfigSchema.parse({ routes: { support: { variants: [{ name: 'v1', compressed: 'v1-short' }, { name: 'v1-short' }] } } });
    expect(planned(request('token_optimization', 'few_shot', { variant: 'v1-short' }), registered).to.variant).toBe('v1-short~compressed-aggressive');
  });

  it('an aggressively compressed variant above the lowest tier only lowers the tier', () => {
    const record = planned(request('token_optimization', 'few_shot', { variant: 'v1~compressed-aggressive' }));
    expect(record.to).toEqual({ variant: 'v1~compressed-aggressive~economy', pattern: 'few_shot', tier: 'economy', max_tokens: 500 });
  });
});

describe('planAction: cooldown and idempotency', () => {
  it('plans nothing while the route is in cooldown, from any rule', () => {
    const first = planAction(request('pattern_simplification', 'chain_of_thought'), null, DEFAULTS);
    expect(first.outcome).toBe('planned');
    const state = first.outcome === 'planned' ? first.cooldown : null;
    const during = request('token_optimization', 'chain_of_thought', { rule: 'other', nowMs: NOW + 29 * 60_000 });
    expect(planAction(during, state, DEFAULTS)).toMatchObject({
      outcome: 'skipped', reason: 'cooldown',
      record: { status: 'skipped', reason_code: 'cooldown', reason: expect.stringMatching(/^cooldown until 2023-11-14T22:43:20.000Z/) as unknown },
    });
    const after = request('token_optimization', 'chain_of_thought', { rule: 'other', nowMs: NOW + 30 * 60_000 });
    expect(planAction(after, state, DEFAULTS).outcome).toBe('planned');
  });

  it('derives the id from (route, variant, rule, episode start) only', () => {
    const a = planned(request('pattern_simplification', 'chain_of_thought'));
    const replay = planned(request('pattern_simplification', 'chain_of_thought', { nowMs: NOW + 10_000, value: 3000 }));
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    expect(replay.id).toBe(a.id);
    expect(a.id).toBe(actionId('support', 'v1', 'r', NOW - 120_000));
    const others = [
      request('pattern_simplification', 'chain_of_thought', { episodeStartMs: NOW - 110_000 }),
      request('pattern_simplification', 'chain_of_thought', { route: 'billing' }),
      request('pattern_simplification', 'chain_of_thought', { variant: 'v2' }),
      request('pattern_simplification', 'chain_of_thought', { rule: 'r2' }),
    ].map((r) => planned(r).id);
    expect(new Set([a.id, ...others]).size).toBe(5);
  });

  it('explains itself with the value and the threshold', () => {
    const record = planned(request('pattern_simplification', 'chain_of_thought'));
    expect(record.reason).toContain('2710');
    expect(record.reason).toContain('2400');
    expect(record.reason).toContain('chain_of_thought');
    expect(record.reason).toContain('few_shot');
    expect(record.evidence).toEqual({ metric: 'latency_p95_ms', value: 2710, threshold: 2400, samples: 120 });
  });
});

describe('planAction: pattern actions change the prompt', () => {
  const COT = [
    'You classify support tickets for {{company}} into billing, technical or other.',
    '',
    'Think step by step: first find what the customer wants, then pick the area.',
    '',
    'Answer with the reasoning followed by the category name on the last line.',
    '',
    'Ticket: {{ticket}}',
    '',
  ].join('\n');

  it('derives a candidate whose template is rewritten for the target pattern, with both token counts', () => {
    const config = ConfigSchema.parse({
      routes: { support: { tier: 'premium', variants: [{ name: 'v1', pattern: 'chain_of_thought', template: COT }], examples: [{ input: 'I was charged twice.', output: 'billing' }] } },
    });
    const record = planned(request('pattern_simplification', 'chain_of_thought'), config);
    expect(record.to).toEqual({ variant: 'v1~few_shot', pattern: 'few_shot', tier: 'premium', max_tokens: 4000 });
    expect(record.prompt).toMatchObject({ source: 'derived' });
    expect(record.prompt!.changes!.map((c) => c.name)).toEqual(['drop_reasoning', 'add_examples']);
    expect(record.prompt!.candidate_tokens).toBeLessThan(record.prompt!.baseline_tokens!);
    expect(record.reason).toMatch(/prompt \d+ → \d+ tokens, rewritten from the baseline template/);
  });

  it('is a skipped record, never the baseline text under a new name, when few_shot has no examples', () => {
    const config = ConfigSchema.parse({ routes: { support: { variants: [{ name: 'v1', pattern: 'chain_of_thought', template: COT }] } } });
    const plan = planAction(request('pattern_simplification', 'chain_of_thought'), null, config);
    expect(plan).toMatchObject({ outcome: 'skipped', reason: 'no_candidate' });
    expect(plan.record).toMatchObject({
      type: 'action', status: 'skipped', reason_code: 'no_candidate', kind: 'pattern_simplification',
      to: { variant: 'v1~few_shot', pattern: 'few_shot' },
      reason: expect.stringMatching(/^no candidate: few_shot needs examples: the template has none and the route provides none in config/) as unknown,
    });
  });

  it('prefers a variant registered for the target pattern over a derived one, and counts both templates', () => {
    const config = ConfigSchema.parse({
      routes: { support: { variants: [{ name: 'v1', pattern: 'chain_of_thought', template: COT }, { name: 'fs', pattern: 'few_shot', template: 'Classify {{ticket}}.' }] } },
    });
    const record = planned(request('pattern_simplification', 'chain_of_thought'), config);
    expect(record.to.variant).toBe('fs');
    expect(record.prompt).toEqual({ source: 'registered', baseline_tokens: expect.any(Number) as unknown, candidate_tokens: 6 });
  });

  it('sees templates registered outside config through the catalog', () => {
    const catalog = { variants: () => [{ variant: 'v1', pattern: 'chain_of_thought' as const, tier: 'economy', maxTokens: 500, template: COT }] };
    const plan = planAction(request('pattern_simplification', 'chain_of_thought'), null, DEFAULTS, catalog);
    expect(plan).toMatchObject({ outcome: 'skipped', reason: 'no_candidate', record: { from: { tier: 'economy', max_tokens: 500 } } });
  });
});

describe('planAction: actions not taken are records', () => {
  it('skips a variant that is not in production, naming the production one', () => {
    const plan = planAction(request('pattern_simplification', 'chain_of_thought', { production: 'v0' }), null, DEFAULTS);
    expect(plan.record).toMatchObject({ status: 'skipped', reason_code: 'not_production', reason: expect.stringContaining('(v0)') as unknown });
  });

  it('skips while an experiment runs, with the caller\'s reason', () => {
    const plan = planAction(request('pattern_simplification', 'chain_of_thought', { blocked: { code: 'experiment_running', detail: 'experiment exp-1 running' } }), null, DEFAULTS);
    expect(plan.record).toMatchObject({ type: 'action', status: 'skipped', reason_code: 'experiment_running', reason: 'experiment exp-1 running', evidence: { value: 2710 } });
  });
});
