import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ABBREVIATIONS } from '../../src/actions/compressAbbreviations.js';
import { compressPrompt } from '../../src/actions/compressPrompt.js';
import { COMPRESSION_LEVELS } from '../../src/actions/compressTransforms.js';
import { countTokens } from '../../src/actions/tokenCounter.js';

/**
 * The corpus of real-world verbose prose prompts (test/fixtures/prompts): per
 * prompt and level, every instruction's key terms and every placeholder and
 * template tag survive, the saving is at least the prompt's floor, and
 * compressing the output again changes nothing.
 */
interface CorpusEntry {
  readonly file: string;
  readonly minSavingPct: Readonly<Record<(typeof COMPRESSION_LEVELS)[number], number>>;
  readonly keyTerms: readonly string[];
}
const DIR = 'test/fixtures/prompts';
const corpus = (JSON.parse(readFileSync(join(DIR, 'corpus.json'), 'utf8')) as { prompts: CorpusEntry[] }).prompts;
const load = (file: string): string => readFileSync(join(DIR, file), 'utf8');

const TEMPLATE_PART = /\{\{[^{}]*\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}|\$\{[^{}]*\}|\{[A-Za-z_][\w.-]*\}|```[\s\S]*?```/g;
const templateParts = (text: string): string[] => [...text.matchAll(TEMPLATE_PART)].map((m) => m[0]);

/** Lower case, articles removed (the aggressive level drops them), spaces collapsed. */
const normalize = (text: string): string => text.toLowerCase().replace(/\b(?:the|an?)\s+/g, '').replace(/\s+/g, ' ');
/** A key term, an equivalent form after `|` ("anything else|nothing else"), or its library abbreviation. */
const survives = (term: string, text: string): boolean =>
  term.split('|').some((form) => {
    const short = DEFAULT_ABBREVIATIONS[form.toLowerCase()];
    return normalize(text).includes(normalize(form)) || (short !== undefined && text.includes(short));
  });

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

describe('prompt compression on the verbose-prompt corpus', () => {
  it('covers the everyday kinds of prompts', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(10);
    for (const entry of corpus) expect(entry.keyTerms.every((t) => survives(t, load(entry.file)))).toBe(true);
  });

  describe.each(COMPRESSION_LEVELS)('%s', (level) => {
    it.each(corpus.map((e) => [e.file, e] as const))('%s: key terms, placeholders and template logic survive; saves its floor', (_file, entry) => {
      const template = load(entry.file);
      const result = compressPrompt(template, { level });
      const lost = entry.keyTerms.filter((term) => !survives(term, result.text));
      expect(lost).toEqual([]);
      expect(templateParts(result.text)).toEqual(templateParts(template));
      expect(result.tokensBefore).toBe(countTokens(template));
      expect(result.tokensAfter).toBe(countTokens(result.text));
      expect(result.savingPct).toBeGreaterThanOrEqual(entry.minSavingPct[level]);
      // Per-transform savings add up to the total.
      expect(result.savings.reduce((sum, s) => sum + s.tokensSaved, 0)).toBe(result.tokensBefore - result.tokensAfter);
      expect(result.savings.every((s) => s.tokensSaved >= 0)).toBe(true);
    });

    it('is idempotent: compressing the output again changes nothing', () => {
      for (const entry of corpus) {
        const once = compressPrompt(load(entry.file), { level });
        const twice = compressPrompt(once.text, { level });
        expect(twice.text, entry.file).toBe(once.text);
        expect(twice.savings, entry.file).toEqual([]);
      }
    });
  });

  it('the guide\'s code-review prompt: aggressive saves at least 40 %, conservative at least 20 %', () => {
    const template = load('code_review_guide.txt');
    expect(compressPrompt(template, { level: 'aggressive' }).savingPct).toBeGreaterThanOrEqual(40);
    expect(compressPrompt(template, { level: 'conservative' }).savingPct).toBeGreaterThanOrEqual(20);
  });

  it('aggressive saves more than conservative on every prompt; corpus median and worst case', () => {
    const conservative = corpus.map((e) => compressPrompt(load(e.file), { level: 'conservative' }).savingPct);
    const aggressive = corpus.map((e) => compressPrompt(load(e.file), { level: 'aggressive' }).savingPct);
    aggressive.forEach((pct, i) => expect(pct, corpus[i]!.file).toBeGreaterThan(conservative[i]!));
    expect(median(conservative)).toBeGreaterThanOrEqual(20);
    expect(Math.min(...conservative)).toBeGreaterThanOrEqual(13);
    expect(median(aggressive)).toBeGreaterThanOrEqual(30);
    expect(Math.min(...aggressive)).toBeGreaterThanOrEqual(23);
  });

  it('a section priority orders the cuts and a token target stops early', () => {
    const template = load('classification.txt');
    const full = compressPrompt(template);
    const examplesFirst = compressPrompt(template, { sectionPriority: ['examples'], targetTokens: full.tokensBefore - 1 });
    expect(examplesFirst.transforms).toEqual(['merge_examples']);
    expect(examplesFirst.tokensAfter).toBeLessThan(full.tokensBefore);
    expect(examplesFirst.tokensAfter).toBeGreaterThan(full.tokensAfter);
    const instructionsFirst = compressPrompt(template, { sectionPriority: ['instructions'], targetTokens: full.tokensBefore - 1 });
    expect(instructionsFirst.transforms).not.toContain('merge_examples');
  });
});
