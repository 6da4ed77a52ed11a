import { describe, expect, it } from 'vitest';
import { rewriteForPattern } from '../../src/actions/patternRewrite.js';
import { placeholdersOf } from '../../src/actions/promptSections.js';
import { countTokens } from '../../src/actions/tokenCounter.js';

const COT_WITH_EXAMPLES = [
  'You review contracts for {{company}}. List every risky clause.',
  '',
  'Think step by step and quote the relevant clause.',
  '',
  'Example 1:',
  'Clause: The Supplier shall indemnify the Customer against any and all losses.',
  'Reasoning: an indemnity without a cap exposes us to unlimited losses.',
  'Risk: uncapped indemnity; propose a cap of 12 months\' fees.',
  '',
  'Format: first write your reasoning, then give the risks as a JSON list under "Answer:".',
  '',
  'Contract:',
  '{{contract}}',
  '',
].join('\n');

const FEW_SHOT = [
  'Extract the people and places from the text and return them as JSON with the keys "people" and "places".',
  '',
  'Example 1:',
  'Input: Tim Cook visited Berlin.',
  'Output: {"people":["Tim Cook"],"places":["Berlin"]}',
  '',
  'Text: {{text}}',
].join('\n');

const ZERO_SHOT = 'Classify the sentiment of the review as positive, negative or neutral. Reply with one word.\n\nReview: {{review}}\n';

function rewritten(template: string, from: Parameters<typeof rewriteForPattern>[1], to: Parameters<typeof rewriteForPattern>[2], examples: Parameters<typeof rewriteForPattern>[3] = []) {
  const result = rewriteForPattern(template, from, to, examples);
  if (result.outcome !== 'rewritten') throw new Error(result.reason);
  return result;
}

describe('rewriteForPattern', () => {
  it('chain_of_thought → few_shot drops the reasoning instructions and the reasoning-first format, keeps examples, task and contract', () => {
    const r = rewritten(COT_WITH_EXAMPLES, 'chain_of_thought', 'few_shot');
    expect(r.template).not.toMatch(/step by step|Reasoning:|your reasoning/i);
    expect(r.template).toContain('You review contracts for {{company}}. List every risky clause.');
    expect(r.template).toContain('Quote the relevant clause.');
    expect(r.template).toContain('Give the risks as a JSON list under "Answer:".');
    expect(r.template).toContain('Clause: The Supplier shall indemnify the Customer against any and all losses.\nRisk: uncapped indemnity');
    expect(r.steps.map((s) => s.name)).toEqual(['drop_reasoning']);
    expect(r.tokensAfter).toBe(countTokens(r.template));
    expect(r.tokensAfter).toBeLessThan(r.tokensBefore);
  });

  it('chain_of_thought → zero_shot also drops the examples', () => {
    const r = rewritten(COT_WITH_EXAMPLES, 'chain_of_thought', 'zero_shot');
    expect(r.template).not.toMatch(/Example 1|Clause: The Supplier/);
    expect(r.steps.map((s) => s.name)).toEqual(['drop_examples', 'drop_reasoning']);
  });

  it('few_shot → chain_of_thought adds a reasoning instruction and answer format before the input, keeping the examples', () => {
    const r = rewritten(FEW_SHOT, 'few_shot', 'chain_of_thought');
    expect(r.template).toContain('Example 1:\nInput: Tim Cook visited Berlin.');
    expect(r.template).toMatch(/step by step[\s\S]*"Reasoning:"[\s\S]*"Answer:"[\s\S]*\n\nText: \{\{text\}\}$/);
    expect(r.tokensAfter).toBeGreaterThan(r.tokensBefore);
  });

  it('zero_shot → few_shot inserts the route\'s examples with the template\'s input label', () => {
    const r = rewritten(ZERO_SHOT, 'zero_shot', 'few_shot', [{ input: 'Great value, fast delivery.', output: 'positive' }]);
    expect(r.template).toBe(
      'Classify the sentiment of the review as positive, negative or neutral. Reply with one word.\n\nExample 1:\nReview: Great value, fast delivery.\nOutput: positive\n\nReview: {{review}}\n',
    );
  });

  it.each([
    ['few_shot without examples', ZERO_SHOT, 'zero_shot', 'few_shot', /few_shot needs examples/],
    ['chain_of_thought with nothing to drop', ZERO_SHOT, 'chain_of_thought', 'few_shot', /no reasoning instruction or reasoning-first answer format found/],
    ['examples made by template logic', '{% for e in examples %}\nExample {{loop.index}}:\nInput: {{e.input}}\nOutput: {{e.output}}\n{% endfor %}\n\nThink step by step.\n\n{{q}}', 'chain_of_thought', 'zero_shot', /examples are produced by template logic/],
  ] as const)('is impossible, with a reason, for %s', (_name, template, from, to, reason) => {
    const result = rewriteForPattern(template, from, to);
    expect(result).toMatchObject({ outcome: 'impossible', reason: expect.stringMatching(reason) as unknown });
  });

  it('keeps every placeholder and piece of template logic byte-identical and in order', () => {
    const template = '{# role #}You answer questions about {{ product.name }}.\n\n{% if strict %}Think step by step.{% endif %} Show your work.\n\n```\n{{ raw }} think step by step\n```\n\nQuestion: {{question}}';
    const r = rewritten(template, 'chain_of_thought', 'zero_shot');
    expect(placeholdersOf(r.template)).toEqual(placeholdersOf(template));
    expect(r.template).toContain('```\n{{ raw }} think step by step\n```'); // code is never edited
    expect(r.template).not.toContain('Show your work');
  });

  it('is deterministic', () => {
    expect(rewriteForPattern(COT_WITH_EXAMPLES, 'chain_of_thought', 'few_shot')).toEqual(rewriteForPattern(COT_WITH_EXAMPLES, 'chain_of_thought', 'few_shot'));
  });
});
