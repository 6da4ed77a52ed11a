/**
 * The phrase-rule engine of prompt compression: word-bounded, case-insensitive
 * rewrites of instruction lines that keep sentence capitalisation right. Pure.
 */

/** A phrase rewrite: `to === ''` removes the phrase (and a comma right after it). */
export interface PhraseRule {
  readonly re: RegExp;
  readonly to: string;
  readonly removal: boolean;
}

/** The whole text before a position that means "a new sentence or list item starts here": nothing, or a list marker. */
const LINE_START_BEFORE = /^(?:[ \t]*(?:[-*]|\d+[.)])[ \t]+)?$/;
/** The end of the text before a position that means "a new sentence starts here": a sentence's end and spaces. */
const SENTENCE_END_BEFORE = /[.!?:]["')\]]?[ \t]+$/;

/**
 * Whether a new sentence or list item starts at `offset` of `line`. One regex unanchored at its start, tested on
 * all of `line.slice(0, offset)`, was tried from every position of it, once per match: quadratic in a line's
 * length (a 200 KB line took seconds). The anchored part is tried once; the other on the line's last characters.
 */
export function sentenceStartsAt(line: string, offset: number): boolean {
  let spaces = offset;
  while (spaces > 0 && (line.charCodeAt(spaces - 1) === 32 || line.charCodeAt(spaces - 1) === 9)) spaces--;
  if (spaces < offset && SENTENCE_END_BEFORE.test(line.slice(Math.max(0, spaces - 2), offset))) return true;
  return LINE_START_BEFORE.test(line.slice(0, offset));
}

/**
 * Builds a rule from a regex source (no capture groups of its own; use
 * `(?:…)`). A removal swallows a following comma and spaces; `$1`… are not
 * supported in `to`, so replacements stay literal and deterministic.
 */
export function phraseRule(pattern: string, to = ''): PhraseRule {
  const removal = to === '';
  const source = removal ? `\\b(?:${pattern})(?:,|\\b|(?<=[.!:]))[ \\t]*(\\p{L})?` : `\\b(?:${pattern})\\b`;
  return { re: new RegExp(source, 'giu'), to, removal };
}

/** The text with its first character upper-cased. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Applies one rule to a line; a phrase removed at a sentence start gives the next word its capital. */
export function applyRule(line: string, rule: PhraseRule): string {
  if (rule.removal) {
    return line.replace(rule.re, (_m: string, letter: string | undefined, offset: number, whole: string) => {
      if (letter === undefined) return '';
      return sentenceStartsAt(whole, offset) ? letter.toUpperCase() : letter;
    });
  }
  return line.replace(rule.re, (match: string, offset: number, whole: string) =>
    /^[A-Z]/.test(match) && sentenceStartsAt(whole, offset) ? capitalize(rule.to) : rule.to,
  );
}

/** Spaces before punctuation, doubled punctuation, empty parentheses and space runs left by removals. */
export function tidyPunctuation(line: string): string {
  return line
    .replace(/[ \t]+([,.;:!?])/g, '$1')
    .replace(/,([.!?;:])/g, '$1')
    .replace(/([:;]),/g, '$1')
    .replace(/,{2,}/g, ',')
    .replace(/(?<!\.)\.\.(?!\.)/g, '.')
    .replace(/(\S)[ \t]{2,}/g, '$1 ')
    .replace(/^([ \t]*(?:[-*][ \t]+)?)[,;][ \t]*/, '$1')
    .replace(/[ \t]+$/g, '');
}

/** Applies rules in order; returns the line unchanged (same string) when no rule matched. */
export function applyRules(line: string, rules: readonly PhraseRule[]): string {
  let out = line;
  for (const rule of rules) out = applyRule(out, rule);
  if (out === line) return line;
  out = tidyPunctuation(out);
  // A line that was only filler ("Thank you in advance!") goes away entirely.
  return /^[\s.!,;:]*$/.test(out) ? '' : out;
}

/**
 * Lines that carry example data or I/O labels (`Input: …`, `Q: …`,
 * `Example 2: …`): phrase rules leave them alone, since "please" or "really"
 * inside an example is data, not politeness.
 */
const DATA_LINE = /^\s*(?:[-*]\s*)?(?:input|text|query|question|q|user|customer|ticket|review|feedback|message|examples?(?:\s*#?\d+)?)\b[^:\n]{0,40}:(?!\s*$)/i;
/** Labels that are data only right after a data line (an example's answer); elsewhere `Output: …` is a spec. */
const ANSWER_LINE = /^\s*(?:[-*]\s*)?(?:output|answer|a|assistant|label|sentiment|category|response|result|entities|summary|intent)\b[^:\n]{0,40}:/i;

/** A merged example (`- input → output`) is data too. */
const MERGED_EXAMPLE_LINE = /^\s*-\s.*\s→\s/;

/** Maps `fn` over the lines that are instructions (not example data). */
export function mapInstructionLines(text: string, fn: (line: string) => string): string {
  let previousWasData = false;
  return text
    .split('\n')
    .map((line) => {
      const data = DATA_LINE.test(line) || MERGED_EXAMPLE_LINE.test(line) || (previousWasData && ANSWER_LINE.test(line));
      previousWasData = data && line.trim() !== '';
      return data ? line : fn(line);
    })
    .join('\n');
}

/** Rewrites every instruction line with `rules`. */
export function rewriteInstructions(text: string, rules: readonly PhraseRule[]): string {
  return mapInstructionLines(text, (line) => applyRules(line, rules));
}
