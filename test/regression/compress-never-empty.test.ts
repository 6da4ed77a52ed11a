// Regression (found in the QA pass): `promptpilot compress` of a template that is all courtesy or meta-instruction
// ("Thank you!", "Please kindly note that.") printed an empty template, 100 % saving, and the daemon would have
// served that empty prompt as a token_optimization candidate. A rewrite that leaves nothing is not kept.
import { describe, expect, it } from 'vitest';
import { compressPrompt } from '../../src/actions/compressPrompt.js';

describe('compress never empties a template', () => {
  it.each(['Thank you!', 'Please kindly note that.', 'Please kindly note that. '.repeat(50)])('%j keeps some text at both levels', (template) => {
    for (const level of ['conservative', 'aggressive'] as const) {
      const result = compressPrompt(template, { level });
      expect(result.text.trim()).not.toBe('');
      expect(result.tokensAfter).toBeGreaterThan(0);
    }
  });
});
