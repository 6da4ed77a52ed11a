// Regression (found in the QA pass): `promptpilot compress` of a template with one long line was quadratic in its
// length: 96 KB took 1.2 s, 768 KB 35 s, 4.8 MB never finished (a JSON example or a pasted document on one line).
// Each phrase removal tested "does a sentence start here?" with a regex unanchored at its start against all of the
// line before it, and two rules led with a lookbehind that ran back over the line at every position. The test now
// looks at the line's last characters, with the same answers; the two rules match their words first.
import { describe, expect, it } from 'vitest';
import { sentenceStartsAt } from '../../src/actions/compressPhraseRules.js';
import { compressPrompt } from '../../src/actions/compressPrompt.js';

/** The regex the check replaced: the reference for its answers. */
const BEFORE = /(?:^|[.!?:]["')\]]?[ \t]+|^[ \t]*(?:[-*]|\d+[.)])[ \t]+)$/;

describe('the sentence-start check of phrase removals', () => {
  it('answers as the regex did, on every short text made of the characters that matter', () => {
    const alphabet = [' ', '\t', '.', '!', ':', '"', ')', ']', '-', '*', '1', '2', 'a', 'B', ','];
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      const length = next() % 9;
      for (let j = 0; j < length; j++) text += alphabet[next() % alphabet.length]!;
      const line = `${text}x`;
      expect(sentenceStartsAt(line, text.length), JSON.stringify(text)).toBe(BEFORE.test(text));
    }
  });

  it('keeps compress about linear in a line\'s length: 384 KB on one line in a second or two, not 10 s', () => {
    const line = 'Please kindly note that the output must be JSON, with no comments or any notes '.repeat(4_800);
    for (const level of ['conservative', 'aggressive'] as const) {
      // CPU time, not wall time: on a loaded machine (CI shares its cores) the wall clock runs on while others run.
      const started = process.cpuUsage();
      const result = compressPrompt(line, { level });
      const used = process.cpuUsage(started);
      const cpuMs = (used.user + used.system) / 1000;
      expect(result.tokensAfter).toBeLessThan(result.tokensBefore);
      // Quadratic, the conservative level took about 10 s here and the aggressive one longer; linear, about 1 s each.
      expect(cpuMs).toBeLessThan(6_000);
    }
  }, 120_000);
});
