import { COMPRESSION_TRANSFORMS, TRANSFORM_FNS, type CompressionTransform } from './compressTransforms.js';
import { countTokens } from './tokenCounter.js';

/** Result of {@link compressPrompt}. Token counts are o200k_base tokens. */
export interface CompressedPrompt {
  /** The compressed template; placeholders and fenced/inline code are byte-identical. */
  readonly text: string;
  /** Transforms that changed the text, in the order first applied. */
  readonly transforms: CompressionTransform[];
  readonly tokensBefore: number;
  readonly tokensAfter: number;
  /** (before − after) / before × 100, one decimal; 0 for an empty template. */
  readonly savingPct: number;
}

/**
 * Template parts no transform may touch: `{{input}}`, `{input}`, `${input}`,
 * `<<input>>` placeholders, fenced code blocks and inline code.
 */
// Code, placeholders and template logic ({% … %}, {# … #}: Jinja/Nunjucks/Liquid) are never edited.
const PROTECTED = /```[\s\S]*?```|`[^`\n]+`|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}|\{\{[^{}]*\}\}|\$\{[^{}]*\}|\{[A-Za-z_][\w.-]*\}|<<[^<>\n]*>>/g;
const MASK_OPEN = '\uE000';
const MASK_CLOSE = '\uE001';
const MAX_PASSES = 20;

/**
 * Derives a shorter prompt from a template with deterministic transforms
 * (reference guide, "Token Efficiency Optimization"): merged examples,
 * structure over prose, dropped filler, abbreviations, collapsed whitespace.
 *
 * Invariants: placeholders and code are preserved exactly; a transform is kept
 * only when the real tokenizer counts fewer tokens (or as many tokens and
 * fewer characters), so `tokensAfter ≤ tokensBefore`; the transforms run to a
 * fixed point, so compressing the output again changes nothing (idempotent);
 * same input, same output.
 */
export function compressPrompt(template: string): CompressedPrompt {
  const tokensBefore = countTokens(template);
  if (template.includes(MASK_OPEN) || template.includes(MASK_CLOSE)) {
    return { text: template, transforms: [], tokensBefore, tokensAfter: tokensBefore, savingPct: 0 };
  }
  const kept: string[] = [];
  let masked = template.replace(PROTECTED, (m) => {
    kept.push(m);
    return `${MASK_OPEN}${kept.length - 1}${MASK_CLOSE}`;
  });
  const unmask = (s: string): string => s.replace(/\uE000(\d+)\uE001/g, (_m, i: string) => kept[Number(i)] ?? '');

  const applied: CompressionTransform[] = [];
  let tokens = tokensBefore;
  let length = template.length;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let changed = false;
    for (const name of COMPRESSION_TRANSFORMS) {
      const candidate = TRANSFORM_FNS[name](masked);
      if (candidate === masked) continue;
      const text = unmask(candidate);
      const candidateTokens = countTokens(text);
      if (candidateTokens > tokens || (candidateTokens === tokens && text.length >= length)) continue;
      masked = candidate;
      tokens = candidateTokens;
      length = text.length;
      changed = true;
      if (!applied.includes(name)) applied.push(name);
    }
    if (!changed) break;
  }
  const savingPct = tokensBefore === 0 ? 0 : Math.round(((tokensBefore - tokens) / tokensBefore) * 1000) / 10;
  return { text: unmask(masked), transforms: applied, tokensBefore, tokensAfter: tokens, savingPct };
}
