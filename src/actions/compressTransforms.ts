import { countTokens } from './tokenCounter.js';

/**
 * The deterministic prompt-compression transforms of the reference guide's
 * "Token Efficiency Optimization" section, in the order they are tried.
 */
export const COMPRESSION_TRANSFORMS = ['merge_examples', 'structure_over_prose', 'drop_filler', 'abbreviations', 'collapse_whitespace'] as const;
export type CompressionTransform = (typeof COMPRESSION_TRANSFORMS)[number];

/** A text-to-text rewrite; works on text whose placeholders and code are already masked. */
export type TransformFn = (text: string) => string;

/**
 * Lines that carry example data or I/O labels (`Input: …`, `Q: …`,
 * `Example 2: …`): filler removal and abbreviations leave them alone, since
 * "please" or "really" inside an example is data, not politeness.
 */
const DATA_LINE = /^\s*(?:[-*]\s*)?(?:input|output|text|query|question|answer|q|a|user|assistant|customer|ticket|review|label|sentiment|category|response|result|entities|summary|examples?(?:\s*#?\d+)?)\b[^:\n]{0,40}:/i;

/** A merged example (`- input → output`) is data too. */
const MERGED_EXAMPLE_LINE = /^\s*-\s.*\s→\s/;

function mapInstructionLines(text: string, fn: (line: string) => string): string {
  return text
    .split('\n')
    .map((line) => (DATA_LINE.test(line) || MERGED_EXAMPLE_LINE.test(line) ? line : fn(line)))
    .join('\n');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Phrases that carry no instruction: removed; a sentence they started gets its capital back. */
const FILLER_REMOVE = [
  'thank you(?: very much)?(?: in advance)?[.!]?',
  'thanks(?: in advance)?[.!]?',
  "i would like you to", "i'd like you to", 'i want you to', 'i need you to', 'could you please', 'can you please',
  "it is important to note that", "it's important to note that", 'it is important that you', 'it is worth noting that',
  'please note that', 'note that', 'keep in mind that', 'make sure to', 'make sure that you', 'be sure to', 'remember to',
  "don't forget to", 'feel free to', 'as an ai(?: language model)?,?', 'please', 'kindly', 'basically', 'carefully',
];

/** Wordy phrases with a shorter equivalent (applied only where the tokenizer agrees it is shorter). */
const FILLER_REPLACE: readonly (readonly [string, string])[] = [
  ['in order to', 'to'], ['due to the fact that', 'because'], ['in the event that', 'if'], ['prior to', 'before'],
  ['a large number of', 'many'], ['at this point in time', 'now'], ['is able to', 'can'], ['are able to', 'can'],
  ['as well as', 'and'], ['each and every', 'every'], ['with regard to', 'about'], ['with respect to', 'about'],
  ['make sure that', 'ensure'],
];

const FILLER_PATTERNS = FILLER_REMOVE.map((phrase) => new RegExp(`\\b${phrase}(?:,|\\b|(?<=[.!]))[ \\t]*(\\p{L})?`, 'giu'));
/** Hedges dropped only where they open a sentence ("You should include X" → "Include X"). */
const SENTENCE_START_REMOVE = ['you should', 'you need to', 'you will need to', 'try to'];
const SENTENCE_START_PATTERNS = SENTENCE_START_REMOVE.map((phrase) => new RegExp(`\\b${phrase}[ \\t]+(\\p{L})`, 'giu'));
/** Text before a position that means "a new sentence or list item starts here". */
const SENTENCE_START_BEFORE = /(?:^|[.!?:]["')\]]?[ \t]+|^[ \t]*(?:[-*]|\d+[.)])[ \t]+)$/;
const REPLACE_PATTERNS = FILLER_REPLACE.map(([from, to]) => [new RegExp(`\\b${from}\\b`, 'gi'), to] as const);

function tidyPunctuation(line: string): string {
  return line
    .replace(/[ \t]+([,.;:!?])/g, '$1')
    .replace(/,([.!?;:])/g, '$1')
    .replace(/,{2,}/g, ',')
    .replace(/(?<!\.)\.\.(?!\.)/g, '.')
    .replace(/(\S)[ \t]{2,}/g, '$1 ')
    .replace(/[ \t]+$/g, '');
}

/** Drops politeness and filler phrases ("please", "I would like you to", "it is important to note that", …). */
export const dropFiller: TransformFn = (text) =>
  mapInstructionLines(text, (line) => {
    let out = line;
    for (const re of FILLER_PATTERNS) {
      out = out.replace(re, (_m, letter: string | undefined, offset: number, whole: string) => {
        if (letter === undefined) return '';
        return SENTENCE_START_BEFORE.test(whole.slice(0, offset)) ? letter.toUpperCase() : letter;
      });
    }
    for (const [re, to] of REPLACE_PATTERNS) {
      out = out.replace(re, (match) => (/^[A-Z]/.test(match) ? capitalize(to) : to));
    }
    for (const re of SENTENCE_START_PATTERNS) {
      out = out.replace(re, (match, letter: string, offset: number, whole: string) =>
        SENTENCE_START_BEFORE.test(whole.slice(0, offset)) ? letter.toUpperCase() : match,
      );
    }
    return out === line ? line : tidyPunctuation(out);
  });

/**
 * Abbreviations of the guide's abbreviation library plus common ones. A rule
 * is used only when the tokenizer counts the short form as fewer tokens (with
 * modern BPE "information" and "info" are both one token, and "e.g." is more
 * than "for example"), so the list is filtered once, on first use.
 */
const ABBREVIATION_CANDIDATES: readonly (readonly [string, string])[] = [
  ['for example', 'e.g.'], ['for instance', 'e.g.'], ['that is to say', 'i.e.'], ['in other words', 'i.e.'],
  ['and so on', 'etc.'], ['and so forth', 'etc.'], ['as soon as possible', 'ASAP'], ['information', 'info'],
  ['requirements', 'reqs'], ['implementation', 'impl'], ['performance', 'perf'], ['documentation', 'docs'],
  ['configuration', 'config'], ['optimization', 'opt'], ['authentication', 'auth'], ['approximately', '~'],
  ['maximum', 'max'], ['minimum', 'min'], ['versus', 'vs'], ['application', 'app'], ['specification', 'spec'],
];
let abbreviationRules: readonly (readonly [RegExp, string])[] | undefined;

function savingAbbreviations(): readonly (readonly [RegExp, string])[] {
  abbreviationRules ??= ABBREVIATION_CANDIDATES.filter(([full, short]) => countTokens(` ${short}`) < countTokens(` ${full}`)).map(
    ([full, short]) => [new RegExp(`\\b${full}\\b`, 'gi'), short] as const,
  );
  return abbreviationRules;
}

/** Replaces long words and phrases with abbreviations that the tokenizer counts as shorter. */
export const abbreviate: TransformFn = (text) => {
  const rules = savingAbbreviations();
  return mapInstructionLines(text, (line) => {
    let out = line;
    for (const [re, short] of rules) out = out.replace(re, (m) => (/^[A-Z]/.test(m) && /^[a-z]/.test(short) ? capitalize(short) : short));
    return out;
  });
};

/** Instruction sentences rewritten as `key: value` lines. */
const KEY_VALUE_RULES: readonly (readonly [RegExp, (...groups: string[]) => string])[] = [
  [/^(\s*)You are (?:a|an) ([^.\n]{1,120})\.(?=\s|$)/, (indent, role) => `${indent}Role: ${role}.`],
  [/^(\s*)Your (?:main )?(?:task|job|goal) is to (\S)/, (indent, first) => `${indent}Task: ${first}`],
  [/^(\s*)(?:Your|The) (?:response|answer|output|reply) (?:should|must) (?:be )?(?:in |formatted as |written in |given as )?(\S)/, (indent, first) => `${indent}Output: ${first}`],
  [/^(\s*)(?:Respond|Reply|Answer) (only )?(?:in|with|using) (\S)/, (indent, only, first) => `${indent}Output: ${only ?? ''}${first}`],
  [/^(\s*)Use the following format:?/, (indent) => `${indent}Format:`],
  [/^(\s*)The ([a-z][\w ]{0,30}?) (?:are|is):\s*/, (indent, noun) => `${indent}${capitalize(noun)}: `],
  [/^(\s*)(?:Here (?:is|are) (?:the|some|a few)|Consider the following) ([A-Za-z][\w ]{0,30}?):/, (indent, noun) => `${indent}${capitalize(noun)}:`],
];

const FIRST_MARKER = /^(?:First(?:ly)?|To (?:start|begin)),?\s+/;
const NEXT_MARKER = /^(?:Second(?:ly)?|Third(?:ly)?|Fourth(?:ly)?|Fifth(?:ly)?|Next|Then|After that|Also|Additionally|Finally|Lastly),?\s+/;

/** "First, do A. Second, do B. Finally, do C." inside a paragraph → a bullet list. */
function ordinalSentencesToBullets(line: string): string {
  const indent = /^\s*/.exec(line)?.[0] ?? '';
  const sentences = line.trim().split(/(?<=[.!?])\s+(?=[A-Z])/);
  const start = sentences.findIndex((s) => FIRST_MARKER.test(s));
  if (start < 0) return line;
  let end = start + 1;
  while (end < sentences.length && NEXT_MARKER.test(sentences[end]!)) end++;
  if (end - start < 2) return line;
  const before = sentences.slice(0, start).join(' ');
  const bullets = sentences
    .slice(start, end)
    .map((s) => `${indent}- ${s.replace(FIRST_MARKER, '').replace(NEXT_MARKER, '').replace(/[.]$/, '')}`);
  const after = sentences.slice(end).join(' ');
  const lines = [...(before === '' ? [] : [`${indent}${before.replace(/[.]$/, ':')}`]), ...bullets, ...(after === '' ? [] : [`${indent}${after}`])];
  return lines.join('\n');
}

/** Structure over prose: role/task/output sentences as `key: value` lines, ordinal sentences as bullets. */
export const structureOverProse: TransformFn = (text) =>
  mapInstructionLines(text, (line) => {
    let out = line;
    for (const [re, build] of KEY_VALUE_RULES) out = out.replace(re, (_m, ...groups: unknown[]) => build(...groups.map((g) => (typeof g === 'string' ? g : ''))));
    return ordinalSentencesToBullets(out);
  });

const EXAMPLE_HEADER = /^\s*(?:#+\s*|\*\*)?Example\s*#?(?:\d+)?\s*(?:\*\*)?\s*[:.)-]?\s*(.*)$/i;
const EXAMPLE_NUMBERED = /^\s*(?:#+\s*|\*\*)?Example(?:\s*#?\d+\s*(?:\*\*)?\s*[:.)-]?|\s*:)/i;
const IO_LABEL = /(?:^|\s)(Input|Output|Q|A|Question|Answer|Text|Label|Sentiment|Category|Review|Ticket|Customer|Response|Result|Entities|Summary|Query|SQL|Explanation)\s*:\s*/g;

interface ExampleBlock {
  readonly labels: string[];
  readonly values: string[];
  readonly raw: string;
}

function parseExample(content: string): ExampleBlock {
  const flat = content.replace(/\s*\n\s*/g, ' ').trim();
  const labels: string[] = [];
  const values: string[] = [];
  const matches = [...flat.matchAll(IO_LABEL)];
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    const valueStart = (m.index ?? 0) + m[0].length;
    const valueEnd = matches[i + 1]?.index ?? flat.length;
    labels.push(m[1]!);
    values.push(flat.slice(valueStart, valueEnd).trim());
  }
  if (matches.length > 0 && (matches[0]!.index ?? 0) > 0) return { labels: [], values: [], raw: flat };
  return { labels, values, raw: flat };
}

/** Repeated "Example N:" blocks → one compact list (`- input → output`). */
export const mergeExamples: TransformFn = (text) => {
  const lines = text.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const blocks: { content: string; end: number }[] = [];
    let j = i;
    while (j < lines.length && EXAMPLE_NUMBERED.test(lines[j]!)) {
      const body = [EXAMPLE_HEADER.exec(lines[j]!)?.[1] ?? ''];
      let k = j + 1;
      while (k < lines.length && lines[k]!.trim() !== '' && !EXAMPLE_NUMBERED.test(lines[k]!)) body.push(lines[k++]!);
      if (body.length > 5) break;
      blocks.push({ content: body.join('\n').trim(), end: k });
      while (k < lines.length && lines[k]!.trim() === '') k++;
      j = k;
    }
    if (blocks.length < 2) {
      out.push(lines[i]!);
      i++;
      continue;
    }
    const parsed = blocks.map((b) => parseExample(b.content));
    const first = parsed[0]!;
    const sameTwoLabels = first.labels.length === 2 && parsed.every((p) => p.labels.length === 2 && p.labels[0] === first.labels[0] && p.labels[1] === first.labels[1]);
    const indent = /^\s*/.exec(lines[i]!)?.[0] ?? '';
    if (sameTwoLabels) {
      out.push(`${indent}Examples (${first.labels[0]} → ${first.labels[1]}):`);
      for (const p of parsed) out.push(`${indent}- ${p.values[0]} → ${p.values[1]}`);
    } else {
      out.push(`${indent}Examples:`);
      for (const p of parsed) out.push(`${indent}- ${p.raw.replace(/\s+/g, ' ')}`);
    }
    if (j < lines.length) out.push('');
    i = j;
  }
  return out.join('\n');
};

/** Trailing spaces, runs of spaces inside lines and runs of blank lines collapsed. */
export const collapseWhitespace: TransformFn = (text) =>
  text
    .split('\n')
    .map((line) => line.replace(/(\S)[ \t]{2,}(?=\S)/g, '$1 ').replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

/** Each transform by name. */
export const TRANSFORM_FNS: Readonly<Record<CompressionTransform, TransformFn>> = {
  merge_examples: mergeExamples,
  structure_over_prose: structureOverProse,
  drop_filler: dropFiller,
  abbreviations: abbreviate,
  collapse_whitespace: collapseWhitespace,
};
