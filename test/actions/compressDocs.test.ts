import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compressPrompt } from '../../src/actions/compressPrompt.js';
import type { CompressionLevel } from '../../src/actions/compressTransforms.js';

/** docs/compression.md's before/after examples are what the code does, with the token counts it states. */
const DOC = readFileSync('docs/compression.md', 'utf8');
const EXAMPLE = /### `(\w+)` \((conservative|aggressive)\)[\s\S]*?```text before\n([\s\S]*?)\n```\n\n```text after\n([\s\S]*?)\n```\n\nMeasured at the \w+ level: (\d+) → (\d+) o200k tokens \(−([\d.]+) %; ([^)]*)\)/g;
const examples = [...DOC.matchAll(EXAMPLE)].map((m) => ({
  name: m[1]!, level: m[2] as CompressionLevel, before: m[3]!, after: m[4]!, tokensBefore: Number(m[5]), tokensAfter: Number(m[6]), savingPct: Number(m[7]), applied: m[8]!,
}));

describe('docs/compression.md', () => {
  it('has a checked example for every transform but whitespace', () => {
    expect(examples.map((e) => e.name).sort()).toEqual(
      ['abbreviations', 'concise_phrasing', 'drop_articles', 'drop_courtesy', 'drop_hedging', 'drop_item_justification', 'drop_meta', 'drop_rationale', 'list_item_substance', 'merge_examples', 'output_spec', 'structure_over_prose', 'telegraphic', 'terse_constraints'],
    );
  });

  it.each(examples.map((e) => [e.name, e] as const))('%s: the stated after-text and token counts', (name, example) => {
    const result = compressPrompt(example.before, { level: example.level });
    expect(result.text).toBe(example.after);
    expect([result.tokensBefore, result.tokensAfter, result.savingPct]).toEqual([example.tokensBefore, example.tokensAfter, example.savingPct]);
    expect(result.savings.map((s) => `${s.name} −${s.tokensSaved}`).join(', ')).toBe(example.applied);
    expect(result.transforms).toContain(name);
  });

  it('states the corpus savings the code achieves', () => {
    const rows = [...DOC.matchAll(/^\| `([\w.]+\.txt)` \| (\d+) \| (\d+) \(−([\d.]+) %\) \| (\d+) \(−([\d.]+) %\) \|$/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const [, file, before, conservativeAfter, , aggressiveAfter] of rows) {
      const template = readFileSync(`test/fixtures/prompts/${file!}`, 'utf8');
      const conservative = compressPrompt(template, { level: 'conservative' });
      expect([conservative.tokensBefore, conservative.tokensAfter], file).toEqual([Number(before), Number(conservativeAfter)]);
      expect(compressPrompt(template, { level: 'aggressive' }).tokensAfter, file).toBe(Number(aggressiveAfter));
    }
  });

  it('is linked from the README', () => {
    expect(readFileSync('README.md', 'utf8')).toContain('docs/compression.md');
  });
});
