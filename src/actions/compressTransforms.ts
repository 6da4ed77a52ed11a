import { abbreviate, type AbbreviationLibrary } from './compressAbbreviations.js';
import { mergeExamples } from './compressExamples.js';
import { outputSpec, terseConstraints } from './compressOutputSpec.js';
import { concisePhrasing, dropCourtesy, dropHedging, dropMeta } from './compressPhrases.js';
import { telegraphic } from './compressTelegraphic.js';
import { dropArticles, dropItemJustification, dropRationale, listItemSubstance, structureOverProse } from './compressStructure.js';

/**
 * The deterministic prompt-compression transforms, in the order they are
 * tried (reference guide, "Token Efficiency Optimization": structure over
 * prose, example efficiency, abbreviation library).
 */
export const COMPRESSION_TRANSFORMS = [
  'merge_examples',
  'drop_courtesy',
  'drop_meta',
  'drop_hedging',
  'concise_phrasing',
  'structure_over_prose',
  'output_spec',
  'list_item_substance',
  'abbreviations',
  'drop_item_justification',
  'drop_rationale',
  'terse_constraints',
  'telegraphic',
  'drop_articles',
  'collapse_whitespace',
] as const;
export type CompressionTransform = (typeof COMPRESSION_TRANSFORMS)[number];

/** How far compression goes: `conservative` keeps the prose's wording, `aggressive` also goes telegraphic. */
export const COMPRESSION_LEVELS = ['conservative', 'aggressive'] as const;
export type CompressionLevel = (typeof COMPRESSION_LEVELS)[number];

/** Transforms only the aggressive level applies. */
const AGGRESSIVE_ONLY: ReadonlySet<CompressionTransform> = new Set(['drop_item_justification', 'drop_rationale', 'telegraphic', 'drop_articles']);

/** The transforms of a level, in trial order. */
export function transformsFor(level: CompressionLevel): readonly CompressionTransform[] {
  return level === 'aggressive' ? COMPRESSION_TRANSFORMS : COMPRESSION_TRANSFORMS.filter((t) => !AGGRESSIVE_ONLY.has(t));
}

/**
 * Prompt sections in a per-request token budget's allocation. A transform
 * cuts mainly from one of them; a section priority (which part to cut first)
 * orders the transforms by it.
 */
export const PROMPT_SECTIONS = ['system_prompt', 'user_context', 'examples', 'instructions'] as const;
export type PromptSection = (typeof PROMPT_SECTIONS)[number];

/** The section each transform cuts from. */
export const TRANSFORM_SECTION: Readonly<Record<CompressionTransform, PromptSection>> = {
  merge_examples: 'examples',
  drop_courtesy: 'instructions',
  drop_meta: 'instructions',
  drop_hedging: 'instructions',
  concise_phrasing: 'instructions',
  structure_over_prose: 'system_prompt',
  output_spec: 'instructions',
  abbreviations: 'instructions',
  list_item_substance: 'instructions',
  drop_item_justification: 'instructions',
  drop_rationale: 'system_prompt',
  terse_constraints: 'instructions',
  telegraphic: 'instructions',
  drop_articles: 'instructions',
  collapse_whitespace: 'user_context',
};

/** What a transform may depend on besides the text. */
export interface TransformContext {
  readonly abbreviations: AbbreviationLibrary;
}

/** A text-to-text rewrite; works on text whose placeholders and code are already masked. */
export type TransformFn = (text: string, context: TransformContext) => string;

/** Trailing spaces, runs of spaces inside lines and runs of blank lines collapsed. */
export const collapseWhitespace = (text: string): string =>
  text
    .split('\n')
    .map((line) => line.replace(/(\S)[ \t]{2,}(?=\S)/g, '$1 ').replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

/** Each transform by name. */
export const TRANSFORM_FNS: Readonly<Record<CompressionTransform, TransformFn>> = {
  merge_examples: mergeExamples,
  drop_courtesy: dropCourtesy,
  drop_meta: dropMeta,
  drop_hedging: dropHedging,
  concise_phrasing: concisePhrasing,
  structure_over_prose: structureOverProse,
  output_spec: outputSpec,
  abbreviations: (text, context) => abbreviate(text, context.abbreviations),
  list_item_substance: listItemSubstance,
  drop_item_justification: dropItemJustification,
  drop_rationale: dropRationale,
  terse_constraints: terseConstraints,
  telegraphic,
  drop_articles: dropArticles,
  collapse_whitespace: collapseWhitespace,
};
