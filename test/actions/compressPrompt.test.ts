import { describe, expect, it } from 'vitest';
import { compressPrompt } from '../../src/actions/compressPrompt.js';
import { countTokens } from '../../src/actions/tokenCounter.js';
import { ALL_FIXTURES, CODE_REVIEW, ENTITY_EXTRACTION, RAG_ANSWER, SUPPORT_TRIAGE, TERSE } from './fixtures/prompts.js';

const PLACEHOLDER = /\{\{[^{}]*\}\}|\$\{[^{}]*\}|\{[A-Za-z_][\w.-]*\}/g;
const placeholders = (text: string): string[] => [...text.matchAll(PLACEHOLDER)].map((m) => m[0]);

describe('compressPrompt', () => {
  it.each([
    ['CODE_REVIEW', CODE_REVIEW, 15],
    ['SUPPORT_TRIAGE', SUPPORT_TRIAGE, 15],
    ['RAG_ANSWER', RAG_ANSWER, 15],
    ['ENTITY_EXTRACTION', ENTITY_EXTRACTION, 8],
  ])('saves real tokens on %s (at least %s percent)', (_name, template, minSavingPct) => {
    const result = compressPrompt(template);
    expect(result.tokensBefore).toBe(countTokens(template));
    expect(result.tokensAfter).toBe(countTokens(result.text));
    expect(result.savingPct).toBeGreaterThanOrEqual(minSavingPct);
    expect(result.savingPct).toBeCloseTo(((result.tokensBefore - result.tokensAfter) / result.tokensBefore) * 100, 1);
    expect(result.transforms.length).toBeGreaterThan(0);
  });

  it('preserves every placeholder, in order, and code blocks verbatim', () => {
    for (const template of Object.values(ALL_FIXTURES)) {
      expect(placeholders(compressPrompt(template).text)).toEqual(placeholders(template));
    }
    expect(compressPrompt(CODE_REVIEW).text).toContain('```{{language}}\n{{code}}\n```');
    const tricky = 'Please answer {{ please_note }} and {for_example} using `please keep this` — for example {{input}}.';
    const out = compressPrompt(tricky).text;
    expect(out).toContain('{{ please_note }}');
    expect(out).toContain('{for_example}');
    expect(out).toContain('`please keep this`');
  });

  it('is idempotent: compressing the output again changes nothing', () => {
    for (const template of Object.values(ALL_FIXTURES)) {
      const once = compressPrompt(template);
      const twice = compressPrompt(once.text);
      expect(twice.text).toBe(once.text);
      expect(twice.tokensAfter).toBe(once.tokensAfter);
      expect(twice.savingPct).toBe(0);
    }
  });

  it('is deterministic', () => {
    for (const template of Object.values(ALL_FIXTURES)) expect(compressPrompt(template)).toEqual(compressPrompt(template));
  });

  it('drops filler and politeness but keeps the instruction, capitalised', () => {
    const out = compressPrompt('I would like you to please summarize the text. It is important to note that dates matter. Thank you!\n\n{{text}}').text;
    expect(out).toBe('Summarize the text. Dates matter.\n\n{{text}}');
  });

  it('does not edit example data ("please" inside an example input is data)', () => {
    const out = compressPrompt(SUPPORT_TRIAGE).text;
    expect(out).toContain('I was charged twice for my subscription this month, please refund me. → billing');
    expect(out).not.toMatch(/Please make sure/);
  });

  it('merges repeated "Example N:" blocks into one compact list', () => {
    const result = compressPrompt(SUPPORT_TRIAGE);
    expect(result.transforms).toContain('merge_examples');
    expect(result.text).not.toMatch(/Example \d/);
    expect(result.text).toContain('Examples (Input → Output):\n- I was charged');
    expect(result.text).toContain('- My package has been stuck in transit for two weeks. → shipping');
  });

  it('turns ordinal prose into a bullet list and role/task sentences into key: value lines', () => {
    const result = compressPrompt(CODE_REVIEW);
    expect(result.transforms).toContain('structure_over_prose');
    expect(result.text).toMatch(/^Role: experienced senior software engineer/);
    expect(result.text).toContain('issues:\n- check for any logical bugs');
    expect(result.text).toContain('\n- look for opportunities');
    expect(compressPrompt(SUPPORT_TRIAGE).text).toContain('Task: classify');
    expect(compressPrompt(RAG_ANSWER).text).toContain('Output: Markdown');
  });

  it('uses abbreviations and shorter phrasings only where the tokenizer counts fewer tokens', () => {
    const result = compressPrompt(RAG_ANSWER);
    expect(result.text).toContain('etc.');
    expect(result.text).toContain('for every claim');
    expect(result.text).toContain('If the context');
    // "e.g." is more o200k tokens than "for example", so it stays
    expect(compressPrompt(ENTITY_EXTRACTION).text).toContain('For example');
  });

  it('collapses whitespace runs', () => {
    const out = compressPrompt('Summarize   the text.\n\n\n\n\nText:  {{text}}   ').text;
    expect(out).toBe('Summarize the text.\n\nText: {{text}}');
  });

  it('leaves terse prompts and empty input alone', () => {
    expect(compressPrompt(TERSE)).toMatchObject({ text: TERSE, transforms: [], savingPct: 0 });
    expect(compressPrompt('')).toEqual({ text: '', transforms: [], tokensBefore: 0, tokensAfter: 0, savingPct: 0 });
  });
});
