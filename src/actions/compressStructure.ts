import { capitalize, applyRule, mapInstructionLines, phraseRule } from './compressPhraseRules.js';

/**
 * Structure over prose: role/task sentences as `key: value` lines and
 * enumerated prose ("First, … Second, … Finally, …") as a compact list.
 */

/** Instruction sentences rewritten as `key: value` lines. */
const KEY_VALUE_RULES: readonly (readonly [RegExp, (...groups: string[]) => string])[] = [
  [/^(\s*)You are (?:a|an) ([^.\n]{1,160})\.(?=\s|$)/, (indent, role) => `${indent}Role: ${role}.`],
  [/(^\s*|[.!?] )Your (?:main |primary )?(?:task|job|goal) is to (\S)/, (lead, first) => `${lead}Task: ${first}`],
  [/(^\s*|[.!?] )(?:The )?(?:possible |available )?([a-z]+s) (?:that )?(?:you can|to) choose from are:?\s*/i, (indent, noun) => `${indent}${capitalize(noun)}: `],
  [/(^\s*|[.!?] )(?:The )?(?:possible|available) ([a-z]+s) are:?\s*/i, (indent, noun) => `${indent}${capitalize(noun)}: `],
  [/^(\s*)(?:Here (?:is|are) (?:the|some|a few)|Consider the following) ([A-Za-z][\w' ]{0,40}?):/, (indent, noun) => `${indent}${capitalize(noun)}:`],
  [/^(\s*)The ([a-z][\w ]{0,30}?) (?:are|is):\s*/, (indent, noun) => `${indent}${capitalize(noun)}: `],
  // "Extract the following fields: a, b" → "Extract: a, b"
  [/(^\s*|[.!?] )([A-Z][a-z]+) (?:the |all (?:of )?the )?following (?:[a-z]+ ){0,2}?(?:fields|items|points|details|elements|aspects|values|attributes|properties|information|data|things|steps|rules|criteria):/, (lead, verb) => `${lead}${verb}:`],
];

const FIRST_MARKER = /^(?:First(?:ly)?(?: of all)?|To (?:start|begin)),?\s+/;
const NEXT_MARKER = /^(?:Second(?:ly)?|Third(?:ly)?|Fourth(?:ly)?|Fifth(?:ly)?|Next|Then|After that|Also|Additionally|In addition|Finally|Lastly),?\s+/;

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

/** Structure over prose: role/task sentences as `key: value` lines, ordinal sentences as bullets. */
export const structureOverProse = (text: string): string =>
  mapInstructionLines(text, (line) => {
    let out = line;
    for (const [re, build] of KEY_VALUE_RULES) out = out.replace(re, (_m, ...groups: unknown[]) => build(...groups.map((g) => (typeof g === 'string' ? g : ''))));
    return ordinalSentencesToBullets(out);
  });

/** Leading verb frames of a list item whose substance is the object ("check for any X" → "X"). */
const ITEM_VERB_FRAME = /^(\s*[-*]\s+)(?:look for opportunities to|(?:check|look|search|scan|watch)(?: out)? for|(?:examine|inspect|review|analy[sz]e|scan|check) (?:the \w+ )?for|identify|find|detect|spot|flag|point out)\s+(?:any\s+|potential\s+|possible\s+|all\s+)*/i;
/** A trailing clause that only explains why an item matters ("… that could slow down the app"). */
const ITEM_WHY_CLAUSE = /\s+(?:that|which) (?:could|might|may|would|can)\b[^,;]*$/i;

/**
 * List items reduced to their substance: the leading verb frame goes ("check
 * for any X" → "X"), since the list's lead-in already says what to do with
 * the items. Items that are not a "check for X" kind of instruction stay.
 */
export const listItemSubstance = (text: string): string =>
  mapInstructionLines(text, (line) => {
    const m = ITEM_VERB_FRAME.exec(line);
    if (m === null) return line;
    const rest = line.slice(m[0].length);
    return rest.trim() === '' ? line : `${m[1]}${rest}`;
  });

/** Aggressive: a list item's trailing justification ("… that could slow down the app") goes. */
export const dropItemJustification = (text: string): string =>
  mapInstructionLines(text, (line) => (/^\s*[-*]\s+\S/.test(line) ? line.replace(ITEM_WHY_CLAUSE, '') : line));

const ARTICLES = [phraseRule('the(?= \\p{L})'), phraseRule('an?(?= \\p{Ll})')];

/** Aggressive: telegraphic style — articles dropped from instruction lines. */
export const dropArticles = (text: string): string =>
  mapInstructionLines(text, (line) => {
    // Quoted strings are data: leave lines that quote something untouched inside quotes.
    const parts = line.split(/("[^"\n]*")/);
    return parts.map((part, i) => (i % 2 === 1 ? part : ARTICLES.reduce((acc, rule) => applyRule(acc, rule), part))).join('');
  });

/**
 * A trailing reason clause: ", because that is against our policy", ", since
 * our linter already does that". Purpose clauses ("so that it sounds
 * natural") can be the instruction's goal and stay.
 */
const RATIONALE = /,? (?:because|since) (?:that|this|it|our|the|they|we|there|customers|users)\b[^.;:\n]*(?=[.;]|$)/gi;
/** Persona adjectives that add no instruction to a role line. */
const FILLER_ADJECTIVE = '(?:helpful|knowledgeable|talented|experienced|skilled|seasoned|highly qualified)';
const ROLE_FILLER_LEADING = new RegExp(`(?<=^\\s*Role: (?:[a-z-]+(?:,| and) )*)${FILLER_ADJECTIVE}(?:,| and)? `, 'gi');
// The words first, then the lookbehind: leading, it ran back over the line at every position (quadratic).
const ROLE_FILLER_TRAILING = new RegExp(`(?:,| and) ${FILLER_ADJECTIVE}\\b(?<=^\\s*Role: .*?(?:,| and) ${FILLER_ADJECTIVE})`, 'gi');

/** Aggressive: reasons given for an instruction go; the instruction stays. Role lines lose filler adjectives. */
export const dropRationale = (text: string): string =>
  mapInstructionLines(text, (line) => line.replace(RATIONALE, '').replace(ROLE_FILLER_TRAILING, '').replace(ROLE_FILLER_LEADING, ''));
