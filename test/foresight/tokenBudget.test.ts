import { describe, expect, it } from 'vitest';
import { sectionUsage } from '../../src/actions/tokenAllocation.js';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { makeEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { mulberry32 } from '../../src/sim/random.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');

// A template whose worked examples take far more than their 500-token share.
const example = (i: number): string => `Example ${i}:\nInput: The customer wrote a long message about order ${i} arriving late, damaged, and with the wrong colour, and asks for a refund and an apology.\nOutput: shipping`;
const TEMPLATE = [
  'You are a helpful customer support assistant for an online shop. Classify the ticket into exactly one category.',
  'Examples:',
  ...Array.from({ length: 16 }, (_, i) => example(i + 1)),
  'Answer with the category name only.',
  'Ticket: {{ticket}}',
].join('\n\n');

function traffic(minutes: number, inputTokens: number, route = 'support'): ReturnType<typeof makeEvent>[] {
  const rng = mulberry32(5);
  const out = [];
  for (let t = T0; t < T0 + minutes * 60_000; t += 500) {
    const e = makeEvent(t, route, 'v1', 900 + rng() * 200);
    e.inputTokens = Math.round(inputTokens * (0.9 + 0.2 * rng()));
    e.outputTokens = 150;
    e.costUsd = 0.004;
    e.pattern = 'few_shot';
    out.push(e);
  }
  return out;
}

const config = (maxPerRequest?: number) =>
  parseConfig({
    routes: { support: { current: 'v1', variants: [{ name: 'v1', pattern: 'few_shot', template: TEMPLATE }] } },
    ...(maxPerRequest !== undefined ? { budgets: { tokens: { max_per_request: maxPerRequest } } } : {}),
  });

const byRule = (records: DecisionRecord[], rule: string) => records.filter((r) => 'rule' in r && r.rule === rule);

describe('token_budget_per_request', () => {
  it('a route whose calls are over the per-request budget gets a token_optimization that cuts the section furthest over its share first', () => {
    const engine = new PipelineEngine(config());
    const records = [...engine.ingest(traffic(20, 4600)), ...engine.flush()];
    const [trigger, action] = byRule(records, 'token_budget_per_request');
    expect(trigger).toMatchObject({ type: 'trigger', rule: 'token_budget_per_request', metric: 'tokens_per_request', threshold: 4000, state: 'firing' });
    expect((trigger as any).evidence.threshold_from).toEqual({ kind: 'budget', budget: 'budgets.tokens.max_per_request', reference: 4000, margin_pct: 0 });
    expect(action).toMatchObject({ type: 'action', kind: 'token_optimization', rule: 'token_budget_per_request' });
    const started = records.find((r) => r.type === 'experiment' && r.status === 'started') as any;
    expect(started.token_budget.cut_first).toBe('examples');
    expect(started.token_budget.sections[0]).toMatchObject({ section: 'examples', budget: 500 });
    expect(started.token_budget.sections[0].over).toBeGreaterThan(0);
    expect(started.compression.tokens_after).toBeLessThan(started.compression.tokens_before);
  });

  it('a route under the budget stays quiet; budgets.tokens.max_per_request moves the threshold', () => {
    const under = new PipelineEngine(config());
    expect(byRule([...under.ingest(traffic(20, 3000)), ...under.flush()], 'token_budget_per_request')).toEqual([]);
    const tight = new PipelineEngine(config(2500));
    const fired = byRule([...tight.ingest(traffic(20, 3000)), ...tight.flush()], 'token_budget_per_request');
    expect(fired[0]).toMatchObject({ threshold: 2500, state: 'firing' });
  });

  it('splits a template into sections and orders them by how far each is over its share', () => {
    const usage = sectionUsage(TEMPLATE, { system_prompt: 1500, user_context: 1500, examples: 500, instructions: 500 });
    expect(usage.map((u) => u.section).slice(0, 2)).toEqual(['examples', 'instructions']);
    const tokens = Object.fromEntries(usage.map((u) => [u.section, u.tokens]));
    expect(tokens['examples']).toBeGreaterThan(500);
    expect(tokens['user_context']).toBeGreaterThan(0);
    expect(tokens['instructions']).toBeGreaterThan(0);
    expect(tokens['system_prompt']).toBeGreaterThan(0);
  });
});
