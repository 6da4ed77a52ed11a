import type { Pattern } from '../core/patterns.js';
import {
  BRANCHING,
  hasPlaceholder,
  isExample,
  isExamplesHeader,
  joinParagraphs,
  placeholdersOf,
  REASONING,
  REASONING_LABEL,
  splitParagraphs,
  stripInstructions,
  VOTING,
  type Paragraph,
} from './promptSections.js';
import { countTokens } from './tokenCounter.js';

/** A worked example a route provides in config (`routes.<route>.examples`). */
export interface PromptExample {
  readonly input: string;
  readonly output: string;
}

/** One change a rewrite made, with the text it removed or added (for the decision record). */
export interface RewriteStep {
  readonly name: 'drop_examples' | 'add_examples' | 'drop_reasoning' | 'add_reasoning' | 'drop_branching' | 'add_branching' | 'drop_voting' | 'add_voting';
  readonly text: readonly string[];
}

/** Result of {@link rewriteForPattern}. Token counts are o200k_base tokens. */
export type PatternRewrite =
  | { readonly outcome: 'rewritten'; readonly template: string; readonly tokensBefore: number; readonly tokensAfter: number; readonly steps: readonly RewriteStep[] }
  | { readonly outcome: 'impossible'; readonly reason: string };

/** What each pattern's prompt contains beyond the task statement. */
const FEATURES: Readonly<Record<Pattern, readonly Feature[]>> = {
  zero_shot: [],
  few_shot: ['examples'],
  chain_of_thought: ['reasoning'],
  tree_of_thought: ['reasoning', 'branching'],
  self_consistency: ['reasoning', 'voting'],
  structured: [],
};
type Feature = 'examples' | 'reasoning' | 'branching' | 'voting';

const ADDED_TEXT: Readonly<Record<Exclude<Feature, 'examples'>, string>> = {
  reasoning:
    'Think through the problem step by step before answering. Write your reasoning first, after "Reasoning:", then give the final answer after "Answer:", in exactly the format asked for above.',
  branching: 'Before settling on an answer, consider three different approaches, briefly evaluate each, and continue with the most promising one.',
  voting: 'Solve the problem three times independently, then give the answer most of the solutions agree on.',
};

const DROP_PATTERN: Readonly<Record<Exclude<Feature, 'examples'>, RegExp>> = { reasoning: REASONING, branching: BRANCHING, voting: VOTING };

/**
 * Rewrites a prompt template from one prompting pattern to another
 * (reference guide, "pattern matrix"): features the target lacks are dropped,
 * features it needs are added. chain_of_thought → few_shot drops the
 * reasoning instructions and the "reasoning first" answer format (also inside
 * the examples) and keeps the examples; → zero_shot also drops the examples;
 * few_shot → chain_of_thought adds a reasoning instruction and answer format;
 * → few_shot inserts `examples` (the route's, from config) when the template
 * has none.
 *
 * Invariants: every placeholder and piece of template logic (`{{x}}`,
 * `{% … %}`, `{# … #}`) is kept byte-identical and in order; text that is
 * neither an example nor a matched instruction (the task statement, the output
 * contract) is never edited; same input, same output.
 *
 * `impossible` (with a reason a user can act on) when no real candidate can be
 * built — few_shot without examples, examples produced by template logic, or a
 * template with nothing of the source pattern to drop — never the same text
 * under a new name.
 */
export function rewriteForPattern(template: string, from: Pattern, to: Pattern, examples: readonly PromptExample[] = []): PatternRewrite {
  const have = new Set(FEATURES[from]);
  const want = new Set(FEATURES[to]);
  let paragraphs = splitParagraphs(template);
  const steps: RewriteStep[] = [];
  const hasExamples = paragraphs.some(isExample);
  if (to === 'zero_shot' && hasExamples) {
    const examplesWithLogic = paragraphs.filter(isExample).some((p) => hasPlaceholder(p.lines.join('\n')));
    if (examplesWithLogic) return { outcome: 'impossible', reason: `the template's examples are produced by template logic, which a ${to} rewrite must keep` };
    const removed = paragraphs.filter((p) => isExample(p) || isExamplesHeader(p));
    paragraphs = paragraphs.filter((p) => !isExample(p) && !isExamplesHeader(p));
    steps.push({ name: 'drop_examples', text: removed.map((p) => p.lines.join('\n')) });
  }
  for (const feature of ['reasoning', 'branching', 'voting'] as const) {
    if (want.has(feature)) continue;
    const result = dropFeature(paragraphs, feature);
    paragraphs = result.paragraphs;
    if (result.dropped.length > 0) steps.push({ name: `drop_${feature}`, text: result.dropped });
    else if (have.has(feature)) return { outcome: 'impossible', reason: `no ${feature === 'reasoning' ? 'reasoning instruction or reasoning-first answer format' : `${feature} instruction`} found in the template to drop for ${to}` };
  }
  if (want.has('examples') && !paragraphs.some(isExample)) {
    if (examples.length === 0) return { outcome: 'impossible', reason: `${to} needs examples: the template has none and the route provides none in config (routes.<route>.examples)` };
    const block = renderExamples(examples, inputLabel(paragraphs));
    paragraphs = insertBeforeInput(paragraphs, block);
    steps.push({ name: 'add_examples', text: block.map((p) => p.lines.join('\n')) });
  }
  for (const feature of ['reasoning', 'branching', 'voting'] as const) {
    if (!want.has(feature) || have.has(feature)) continue;
    if (paragraphs.some((p) => !p.code && DROP_PATTERN[feature].test(p.lines.join('\n')))) continue; // already says so
    const text = ADDED_TEXT[feature];
    paragraphs = insertBeforeInput(paragraphs, [{ lines: [text], code: false }]);
    steps.push({ name: `add_${feature}`, text: [text] });
  }
  const rewritten = joinParagraphs(paragraphs, template.endsWith('\n'));
  if (rewritten === template || steps.length === 0) return { outcome: 'impossible', reason: `nothing in the template distinguishes ${from} from ${to}` };
  const before = placeholdersOf(template);
  const after = placeholdersOf(rewritten);
  if (before.length !== after.length || before.some((p, i) => p !== after[i])) {
    return { outcome: 'impossible', reason: 'the rewrite would change the template\'s placeholders' };
  }
  return { outcome: 'rewritten', template: rewritten, tokensBefore: countTokens(template), tokensAfter: countTokens(rewritten), steps };
}

/** Drops one pattern feature's instructions (and, for reasoning, `Reasoning: …` answer-format lines with their continuation lines). */
function dropFeature(paragraphs: readonly Paragraph[], feature: Exclude<Feature, 'examples'>): { paragraphs: Paragraph[]; dropped: string[] } {
  const dropped: string[] = [];
  const out: Paragraph[] = [];
  for (const p of paragraphs) {
    if (p.code) {
      out.push(p);
      continue;
    }
    const lines: string[] = [];
    let inReasoningField = false;
    for (const line of p.lines) {
      if (feature === 'reasoning' && !hasPlaceholder(line)) {
        if (REASONING_LABEL.test(line)) {
          dropped.push(line.trim());
          inReasoningField = true;
          continue;
        }
        // Lines continuing a `Reasoning:` field, up to the next `Label:` line, belong to it.
        if (inReasoningField && !/^\s*(?:[-*]\s*)?[A-Za-z][\w ]{0,24}:/.test(line)) {
          dropped.push(line.trim());
          continue;
        }
      }
      inReasoningField = false;
      const stripped = stripInstructions(line, DROP_PATTERN[feature]);
      dropped.push(...stripped.dropped);
      if (stripped.line.trim() !== '') lines.push(stripped.line);
    }
    if (lines.length > 0) out.push({ lines, code: false });
  }
  return { paragraphs: out, dropped };
}

/** The label of the template's input line (`Ticket: {{ticket}}` → `Ticket`), else `Input`. */
function inputLabel(paragraphs: readonly Paragraph[]): string {
  for (let i = paragraphs.length - 1; i >= 0; i--) {
    for (const line of paragraphs[i]!.lines) {
      const m = /^\s*([A-Z][\w ]{0,24}):\s*\{\{/.exec(line);
      if (m !== null) return m[1]!;
    }
  }
  return 'Input';
}

function renderExamples(examples: readonly PromptExample[], label: string): Paragraph[] {
  return examples.map((e, i) => ({ lines: [`Example ${i + 1}:`, `${label}: ${e.input}`, `Output: ${e.output}`], code: false }));
}

/**
 * Inserts paragraphs before the input section — the last paragraph holding a
 * placeholder, or a bare input label followed by one — else at the end.
 */
function insertBeforeInput(paragraphs: readonly Paragraph[], added: readonly Paragraph[]): Paragraph[] {
  let at = paragraphs.length;
  for (let i = paragraphs.length - 1; i >= 0; i--) {
    if (hasPlaceholder(paragraphs[i]!.lines.join('\n'))) {
      at = i;
      const previous = paragraphs[i - 1];
      if (previous !== undefined && previous.lines.length === 1 && /:\s*$/.test(previous.lines[0]!) && !isExample(previous)) at = i - 1;
      break;
    }
  }
  return [...paragraphs.slice(0, at), ...added, ...paragraphs.slice(at)];
}
