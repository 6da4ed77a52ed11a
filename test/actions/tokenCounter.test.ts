import { describe, expect, it } from 'vitest';
import { countTokens, TOKENIZER } from '../../src/actions/tokenCounter.js';

describe('countTokens', () => {
  it('counts o200k_base tokens, not characters or words', () => {
    expect(TOKENIZER).toBe('o200k_base');
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
    // one long common word is one token; a rare string is many
    expect(countTokens(' information')).toBe(1);
    expect(countTokens('zqxjvkw')).toBeGreaterThan(2);
  });

  it('treats special-token markers in user text as plain text instead of throwing', () => {
    expect(countTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('is stable across calls (cached encoder)', () => {
    const text = 'Summarize {{input}} in three bullet points.';
    expect(countTokens(text)).toBe(countTokens(text));
  });
});
