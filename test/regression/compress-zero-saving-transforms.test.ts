// Regression (found last session): `promptpilot compress --json` listed transforms that saved 0 tokens
// (`collapse_whitespace` after a same-token, shorter rewrite; every already-compressed template with a trailing
// newline) as `{"name":"collapse_whitespace","tokens_saved":0}`, while its help says each rewrite is kept only
// where it saves tokens. The per-transform evidence lists the transforms that saved tokens.
import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCompressCommand } from '../../src/cli/compressCommand.js';

interface CompressJson { tokens_before: number; tokens_after: number; transforms: { name: string; tokens_saved: number }[] }
const TEMPLATE = readFileSync('test/fixtures/prompts/code_review_guide.txt', 'utf8');

/** `promptpilot compress - …args` on `input`; its stdout. */
async function compress(input: string, ...args: string[]): Promise<string> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  expect(await runCompressCommand(['-', ...args], { stdout, stdin: Readable.from([Buffer.from(input)]) })).toBe(0);
  return text;
}

describe('compress --json', () => {
  it('lists only transforms that saved tokens; they add up to the saving', async () => {
    const first = JSON.parse(await compress(TEMPLATE, '--json')) as CompressJson;
    expect(first.transforms.length).toBeGreaterThan(0);
    expect(first.transforms.filter((t) => t.tokens_saved <= 0)).toEqual([]);
    expect(first.transforms.reduce((sum, t) => sum + t.tokens_saved, 0)).toBe(first.tokens_before - first.tokens_after);
  });

  it('an already-compressed template (as printed, with its trailing newline) lists none', async () => {
    const again = JSON.parse(await compress(await compress(TEMPLATE), '--json')) as CompressJson;
    expect(again.tokens_before).toBe(again.tokens_after);
    expect(again.transforms).toEqual([]);
  });
});
