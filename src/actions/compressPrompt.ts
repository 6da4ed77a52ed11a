import type { Config } from '../config/schema.js';
import { DEFAULT_ABBREVIATIONS, type AbbreviationLibrary } from './compressAbbreviations.js';
import {
  PROMPT_SECTIONS,
  TRANSFORM_FNS,
  TRANSFORM_SECTION,
  transformsFor,
  type CompressionLevel,
  type CompressionTransform,
  type PromptSection,
  type TransformContext,
} from './compressTransforms.js';
import { countTokens } from './tokenCounter.js';

/** How to compress; every field is optional. */
export interface CompressOptions {
  /** `conservative` (default) or `aggressive` (adds telegraphic transforms). */
  readonly level?: CompressionLevel;
  /** Abbreviation library (full → short); entries apply only where they save tokens. */
  readonly abbreviations?: AbbreviationLibrary;
  /**
   * Which prompt section to cut first (e.g. from a per-request token budget's
   * allocation: the section most over its share first). Transforms that cut
   * from earlier sections are tried first; sections not listed come after, in
   * {@link PROMPT_SECTIONS} order.
   */
  readonly sectionPriority?: readonly PromptSection[];
  /** Stop once the template is at most this many tokens (default: compress as far as the level goes). */
  readonly targetTokens?: number;
}

/** Tokens one transform saved, summed over its applications. */
export interface TransformSaving {
  readonly name: CompressionTransform;
  readonly tokensSaved: number;
}

/** Result of {@link compressPrompt}. Token counts are o200k_base tokens. */
export interface CompressedPrompt {
  /** The compressed template; placeholders and fenced/inline code are byte-identical. */
  readonly text: string;
  readonly level: CompressionLevel;
  /** Transforms that changed the text, in the order first applied. */
  readonly transforms: CompressionTransform[];
  /**
   * The transforms that saved tokens, with how many, in the order first applied;
   * they add up to `tokensBefore − tokensAfter`. A same-token, shorter rewrite
   * (in {@link transforms}) saved none and is not listed: this is the evidence
   * `compress --json`, experiment records and `/v1/assign` show.
   */
  readonly savings: TransformSaving[];
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
export function compressPrompt(template: string, options: CompressOptions = {}): CompressedPrompt {
  const level = options.level ?? 'conservative';
  const tokensBefore = countTokens(template);
  if (template.includes(MASK_OPEN) || template.includes(MASK_CLOSE)) {
    return { text: template, level, transforms: [], savings: [], tokensBefore, tokensAfter: tokensBefore, savingPct: 0 };
  }
  const context: TransformContext = { abbreviations: options.abbreviations ?? DEFAULT_ABBREVIATIONS };
  const order = orderedTransforms(level, options.sectionPriority);
  const target = options.targetTokens ?? -1;
  const kept: string[] = [];
  let masked = template.replace(PROTECTED, (m) => {
    kept.push(m);
    return `${MASK_OPEN}${kept.length - 1}${MASK_CLOSE}`;
  });
  const unmask = (s: string): string => s.replace(/\uE000(\d+)\uE001/g, (_m, i: string) => kept[Number(i)] ?? '');

  const saved = new Map<CompressionTransform, number>();
  let tokens = tokensBefore;
  let length = template.length;
  for (let pass = 0; pass < MAX_PASSES && tokens > target; pass++) {
    let changed = false;
    for (const name of order) {
      if (tokens <= target) break;
      const candidate = TRANSFORM_FNS[name](masked, context);
      if (candidate === masked) continue;
      const text = unmask(candidate);
      const candidateTokens = countTokens(text);
      if (candidateTokens > tokens || (candidateTokens === tokens && text.length >= length)) continue;
      // A rewrite that leaves nothing ("Thank you!" is all courtesy) is no prompt: a candidate must still instruct.
      if (text.trim() === '') continue;
      masked = candidate;
      saved.set(name, (saved.get(name) ?? 0) + tokens - candidateTokens);
      tokens = candidateTokens;
      length = text.length;
      changed = true;
    }
    if (!changed) break;
  }
  const savingPct = tokensBefore === 0 ? 0 : Math.round(((tokensBefore - tokens) / tokensBefore) * 1000) / 10;
  const savings = [...saved].filter(([, tokensSaved]) => tokensSaved > 0).map(([name, tokensSaved]) => ({ name, tokensSaved }));
  return { text: unmask(masked), level, transforms: [...saved.keys()], savings, tokensBefore, tokensAfter: tokens, savingPct };
}

/** The level's transforms, those cutting from higher-priority sections first (stable otherwise). */
function orderedTransforms(level: CompressionLevel, priority: readonly PromptSection[] | undefined): readonly CompressionTransform[] {
  const transforms = transformsFor(level);
  if (priority === undefined || priority.length === 0) return transforms;
  const rank = (section: PromptSection): number => {
    const at = priority.indexOf(section);
    return at >= 0 ? at : priority.length + PROMPT_SECTIONS.indexOf(section);
  };
  return [...transforms].sort((a, b) => rank(TRANSFORM_SECTION[a]) - rank(TRANSFORM_SECTION[b]));
}

const libraries = new WeakMap<object, AbbreviationLibrary>();

/**
 * The options the daemon compresses with at `level`: the built-in
 * abbreviation library with `actions.compression.abbreviations` over it.
 * The CLI's `compress` uses the same, so its preview is what the daemon proposes.
 */
export function compressionOptionsFor(config: Config, level: CompressionLevel, sectionPriority?: readonly PromptSection[]): CompressOptions {
  const configured = config.actions.compression.abbreviations;
  let library = libraries.get(configured);
  if (library === undefined) {
    library = Object.keys(configured).length === 0 ? DEFAULT_ABBREVIATIONS : { ...DEFAULT_ABBREVIATIONS, ...configured };
    libraries.set(configured, library);
  }
  return { level, abbreviations: library, ...(sectionPriority !== undefined ? { sectionPriority } : {}) };
}
