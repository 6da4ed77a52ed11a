/**
 * Recognizes the parts of a prompt template that make up its prompting
 * pattern — worked examples, reasoning instructions, a "reasoning first"
 * answer format, multi-path and voting instructions — so a pattern action can
 * drop or add exactly those and leave the task statement, the output contract
 * and every placeholder as they are. Pure text heuristics, documented in
 * docs/wire-formats.md ("How a template is rewritten").
 */

/** Placeholders and template logic that a rewrite must keep byte-identical. */
const PLACEHOLDER = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}|\$\{[^{}]*\}|<<[^<>\n]*>>/g;

/** Every placeholder / template-logic token of a text, in order. */
export function placeholdersOf(text: string): string[] {
  return text.match(PLACEHOLDER) ?? [];
}

/** Whether a text holds a placeholder or template logic. */
export function hasPlaceholder(text: string): boolean {
  return placeholdersOf(text).length > 0;
}

/** A blank-line separated block of a template; fenced code is one opaque block. */
export interface Paragraph {
  readonly lines: readonly string[];
  /** Inside a ``` fence: never edited. */
  readonly code: boolean;
}

/** Splits a template into paragraphs (blank lines between them are not kept; {@link joinParagraphs} restores one). */
export function splitParagraphs(template: string): Paragraph[] {
  const out: Paragraph[] = [];
  let current: string[] = [];
  let inFence = false;
  const flush = (code: boolean): void => {
    if (current.length > 0) out.push({ lines: current, code });
    current = [];
  };
  for (const line of template.replace(/\r\n/g, '\n').split('\n')) {
    const fence = /^\s*```/.test(line);
    if (inFence) {
      current.push(line);
      if (fence) {
        inFence = false;
        flush(true);
      }
      continue;
    }
    if (fence) {
      flush(false);
      current.push(line);
      inFence = true;
      continue;
    }
    if (line.trim() === '') flush(false);
    else current.push(line);
  }
  flush(inFence);
  return out;
}

/** Joins paragraphs with one blank line, keeping the template's trailing newline. */
export function joinParagraphs(paragraphs: readonly Paragraph[], trailingNewline: boolean): string {
  const text = paragraphs.map((p) => p.lines.join('\n')).join('\n\n');
  return trailingNewline ? `${text}\n` : text;
}

const EXAMPLE_START = /^\s*(?:#{1,6}\s*)?(?:\*\*)?(?:example|sample|demonstration)\s*#?\d*(?:\*\*)?\s*[:.)-]/i;
const EXAMPLES_HEADER = /^\s*(?:#{1,6}\s*)?(?:\*\*)?(?:examples?|samples?|demonstrations?|few[- ]shot examples?)(?:\*\*)?\s*:?\s*$/i;
const LABEL_LINE = /^\s*(?:[-*]\s*)?(?:\*\*)?[A-Za-z][\w ]{0,24}(?:\*\*)?\s*:/;
const ANSWER_LABEL = /^\s*(?:[-*]\s*)?(?:\*\*)?(?:a|answer|output|assistant|response|result|label|category|risk|json)(?:\*\*)?\s*:/i;

/**
 * Whether a paragraph is one worked example: it starts with `Example …:` /
 * `Sample …:`, or it is a block of two or more `Label: value` lines ending in
 * an answer-like label (`Output:`, `Answer:`, `A:` …) with no placeholder in it.
 */
export function isExample(p: Paragraph): boolean {
  if (p.code || p.lines.length === 0) return false;
  const first = p.lines.find((l) => l.replace(/\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g, '').trim() !== '');
  if (first !== undefined && EXAMPLE_START.test(first.replace(PLACEHOLDER, ''))) return true;
  if (p.lines.length < 2 || hasPlaceholder(p.lines.join('\n'))) return false;
  return p.lines.every((l) => LABEL_LINE.test(l)) && p.lines.slice(1).some((l) => ANSWER_LABEL.test(l));
}

/** Whether a paragraph is only an "Examples:" heading. */
export function isExamplesHeader(p: Paragraph): boolean {
  return !p.code && p.lines.length === 1 && EXAMPLES_HEADER.test(p.lines[0]!);
}

/** Instructions to reason before answering (chain of thought). */
export const REASONING = new RegExp(
  [
    String.raw`\bstep[- ]by[- ]step\b`,
    String.raw`\blet'?s think\b`,
    String.raw`\bthink (?:step|through|carefully|it through|about it|aloud|out loud|hard)\b`,
    String.raw`\breason (?:through|about|carefully|it out|step)\b`,
    String.raw`\bshow (?:your|all|the) (?:work|reasoning|steps|thinking)\b`,
    String.raw`\bexplain your (?:reasoning|thinking|thought process)\b`,
    String.raw`\bchain[- ]of[- ]thought\b`,
    String.raw`\b(?:write|give|lay|set|spell) out (?:your |the )?(?:reasoning|steps|thinking)\b`,
    String.raw`\b(?:write|give|state|start with|begin with|include) (?:your |the |a )?(?:reasoning|rationale|thought process|step-by-step)\b`,
    String.raw`\breasoning (?:first|before)\b`,
  ].join('|'),
  'i',
);

/** Instructions to explore several solution paths (tree of thought). */
export const BRANCHING = /\b(?:two|three|four|several|multiple|different|alternative|distinct) (?:approaches|solutions|solution paths|paths|ways|lines of reasoning|options)\b|\bmost promising\b/i;

/** Instructions to solve several times and vote (self-consistency). */
export const VOTING = /\b(?:independently|independent (?:solutions|attempts|answers))\b|\bmajority (?:vote|answer)\b|\bmost (?:of the |of your )?(?:solutions|attempts|answers) agree\b/i;

/** Lines of a "reasoning first" answer format: `Reasoning: …`, `Thought: …`, `Steps: …`. */
export const REASONING_LABEL = /^\s*(?:[-*]\s*)?(?:\*\*)?(?:reasoning|thoughts?|thinking|rationale|explanation|steps|step \d+|scratchpad|chain of thought|let'?s think)(?:\*\*)?\s*:/i;

/** "the reasoning followed by X" → "X": a reasoning-first answer format inside a sentence. */
const REASONING_THEN = /\b(?:the |your |a )?(?:reasoning|explanation|thought process|rationale|steps|step-by-step (?:reasoning|analysis))(?: first)? (?:followed by|and then) /gi;

/** What an answer must look like: such clauses are the output contract and are kept. */
const CONTRACT = /\b(?:answer|json|return|respond|reply|output|format|quote|cite|line|category name|label|field|key)s?\b/i;

const CLAUSE_SPLIT = /\s*(?:[,;:]\s*(?:and\s+)?then,?\s+|,?\s+and then\s+|,?\s+and\s+|;\s+)/i;

function sentencesOf(line: string): string[] {
  return line.match(/[^.!?]+(?:[.!?]+["')\]]*|$)\s*/g) ?? [line];
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/**
 * Removes the instructions `pattern` matches from one line, sentence by
 * sentence. A matching sentence goes, unless it also carries the output
 * contract: then only its matching clauses go ("Please think step by step and
 * quote the relevant clause." → "Quote the relevant clause."). Placeholders and
 * template logic in a dropped sentence stay; a contract sentence holding one is
 * never split. Returns the dropped text too.
 */
export function stripInstructions(line: string, pattern: RegExp): { readonly line: string; readonly dropped: string[] } {
  const dropped: string[] = [];
  let text = line;
  if (pattern === REASONING) {
    text = text.replace(REASONING_THEN, (m) => {
      dropped.push(m.trim());
      return '';
    });
  }
  const kept: string[] = [];
  for (const sentence of sentencesOf(text)) {
    const placeholders = placeholdersOf(sentence);
    const prose = placeholders.length === 0 ? sentence : sentence.replace(PLACEHOLDER, ' ');
    if (!pattern.test(prose)) {
      kept.push(sentence);
      continue;
    }
    if (!CONTRACT.test(prose)) {
      // The instruction goes; placeholders and template logic in it stay, in order.
      dropped.push(prose.replace(/\s+/g, ' ').trim());
      if (placeholders.length > 0) kept.push(placeholders.join(''));
      continue;
    }
    if (placeholders.length > 0) {
      kept.push(sentence); // a contract sentence with placeholders is never split
      continue;
    }
    const ending = /[.!?]+["')\]]*\s*$/.exec(sentence)?.[0] ?? '';
    const body = sentence.slice(0, sentence.length - ending.length);
    const clauses = body.split(CLAUSE_SPLIT);
    const left = clauses.filter((c) => !pattern.test(c));
    for (const c of clauses) if (pattern.test(c)) dropped.push(c.trim());
    if (left.length === 0) continue;
    kept.push(`${capitalize(left.join(', ').trim())}${ending.trim() === '' ? '.' : ending.trimEnd()}${/\s$/.test(sentence) ? ' ' : ''}`);
  }
  const leading = /^\s*/.exec(line)?.[0] ?? '';
  const result = kept.join('').trim();
  // A first letter lowered by a removed lead-in ("the reasoning followed by the category …") is raised again.
  return { line: result === '' ? '' : `${leading}${dropped.length > 0 ? capitalize(result) : result}`, dropped };
}
