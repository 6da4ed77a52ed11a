import { PROMPT_SECTIONS, type PromptSection } from './compressTransforms.js';
import { hasPlaceholder, isExample, isExamplesHeader, splitParagraphs, type Paragraph } from './promptSections.js';
import { countTokens } from './tokenCounter.js';

/** Tokens of one prompt section against its share of the per-request budget. */
export interface SectionUsage {
  readonly section: PromptSection;
  readonly tokens: number;
  readonly budget: number;
  /** tokens − budget (negative: under its share). */
  readonly over: number;
}

const INSTRUCTION = /^\s*(?:[-*\d.)]+\s*)?(?:please\s+)?(?:answer|respond|reply|return|output|format|use|do not|don't|never|always|make sure|be sure|keep|limit|write|list|explain|include|avoid|your (?:answer|response|output)|the (?:answer|output|response) (?:should|must))\b/i;

/**
 * Which section of the budget a paragraph of a template spends from: worked
 * examples (and their heading) → `examples`; paragraphs with placeholders (the
 * request's own data) → `user_context`; paragraphs that tell the model how to
 * answer → `instructions`; the rest (role, task, background) → `system_prompt`.
 */
export function sectionOf(p: Paragraph): PromptSection {
  if (isExample(p) || isExamplesHeader(p)) return 'examples';
  const text = p.lines.join('\n');
  if (hasPlaceholder(text)) return 'user_context';
  if (p.lines.some((l) => INSTRUCTION.test(l))) return 'instructions';
  return 'system_prompt';
}

/**
 * A template's tokens per section (o200k_base) against the per-request
 * budget's allocation (`budgets.tokens.allocation`), furthest over its share
 * first (ties in {@link PROMPT_SECTIONS} order): the order a token
 * optimization should cut in.
 */
export function sectionUsage(template: string, allocation: Readonly<Record<PromptSection, number>>): SectionUsage[] {
  const tokens: Record<PromptSection, number> = { system_prompt: 0, user_context: 0, examples: 0, instructions: 0 };
  for (const p of splitParagraphs(template)) tokens[sectionOf(p)] += countTokens(p.lines.join('\n'));
  return PROMPT_SECTIONS.map((section) => ({ section, tokens: tokens[section], budget: allocation[section], over: tokens[section] - allocation[section] }))
    .map((u, order) => ({ u, order }))
    .sort((a, b) => b.u.over - a.u.over || a.order - b.order)
    .map(({ u }) => u);
}
