import { mapInstructionLines, phraseRule, applyRules, type PhraseRule } from './compressPhraseRules.js';

/**
 * Requests for the output ("Please format your response as a Markdown list
 * where …", "The summary should be written in a neutral tone") become a terse
 * output spec (`Output: Markdown list where …`, `Tone: neutral.`). The spec's
 * content — formats, keys, limits, "only", "do not" — is kept word for word.
 */

const OUTPUT_NOUN = '(?:final )?(?:response|answer|reply|result|results|output|translations?|summary|description|email)';
const OUTPUT_VERB = '(?:format|write|return|give|provide|present|structure|output|deliver|send)';

/** Sentence-level rewrites; `(\S)` groups keep the first word of the spec. */
const SPEC_RULES: readonly (readonly [RegExp, (...groups: string[]) => string])[] = [
  // "The summary should be written in a neutral and professional tone." → "Tone: neutral and professional."
  [/(^|[.!?:] )(?:the|your) (?:\w+ )?(?:should|must) (?:be )?(?:written )?in an? ([^.!?\n]+?) tone\b/i, (lead, tone) => `${lead}Tone: ${tone}`],
  // "Keep the tone warm and empathetic", "Use a friendly and enthusiastic tone"
  [/(^|[.!?:] )keep the tone ([^.!?,\n]+)/i, (lead, tone) => `${lead}Tone: ${tone}`],
  [/(^|[.!?:] )use an? ([^.!?\n]+?) tone\b/i, (lead, tone) => `${lead}Tone: ${tone}`],
  // "Return the result as a JSON object …", "Format your response as a Markdown list …"
  [new RegExp(`(^|[.!?:] )${OUTPUT_VERB} (?:me )?(?:your|the) ${OUTPUT_NOUN}(?: back)? (in |as |using |in the form of )(?:the following )?(?:an? )?(\\S)`, 'i'), (lead, prep, first) => `${lead}Output: ${prep === 'in ' ? prep : ''}${first}`],
  // "Your response should be formatted in Markdown …"
  [new RegExp(`(^|[.!?:] )(?:your|the) ${OUTPUT_NOUN} (?:should|must|needs to|has to) (?:be )?(?:formatted |written |given |returned |provided )?(?:as|in|using) (?:an? )?(\\S)`, 'i'), (lead, first) => `${lead}Output: ${first}`],
  // "The whole description should be between 120 and 200 words long." → "Length: 120–200 words."
  [new RegExp(`(^|[.!?:] )(?:the |your )?(?:whole |entire )?(?:${OUTPUT_NOUN}|text|paragraph|headline|title) (?:should|must) be (?:between )?(\\d+) (?:and|to) (\\d+) (words|sentences|characters|lines|paragraphs|bullet points)(?: long| in length)?`, 'i'), (lead, low, high, unit) => `${lead}Length: ${low}–${high} ${unit}`],
  // "The reply should be at most 150 words." → "Length: at most 150 words."
  [new RegExp(`(^|[.!?:] )(?:the |your )?(?:whole |entire )?${OUTPUT_NOUN} (?:should|must) (?:be )?(at most|no more than|not exceed|not be longer than|be at most|at least|be at least|exactly) (\\d+) (words|sentences|characters|lines|paragraphs|bullet points)(?: long| in length)?`, 'i'), (lead, bound, n, unit) => `${lead}Length: ${/least/.test(bound) ? 'at least' : bound === 'exactly' ? 'exactly' : 'at most'} ${n} ${unit}`],
  // "Respond with only the SQL query …", "Reply in Markdown …"
  [/(^|[.!?:] )(?:respond|reply|answer)( only)? (?:with|in|using) (?:an? )?(\S)/i, (lead, only, first) => `${lead}Output:${only ?? ''} ${first}`],
  // "When you find issues, provide a detailed explanation of …" → "Per issue: a detailed explanation of …"
  [/(^|[.!?:] )(?:when|if|whenever|for every time) you (?:find|identify|detect|spot|notice) (?:an? |any )?([a-z]+?)s?, (?:provide|give|write|include|add|report|list|describe|explain)(?: me)? (\S)/i, (lead, noun, first) => `${lead}Per ${noun.toLowerCase()}: ${first}`],
];

/** Phrases left inside a spec line that say nothing ("and nothing else" stays: it is a constraint). */
const SPEC_FILLER: readonly PhraseRule[] = [phraseRule('in your response(?= *[,.:])'), phraseRule('in your answer(?= *[,.:])')];

function rewriteSpec(line: string): string {
  let out = line;
  for (const [re, build] of SPEC_RULES) out = out.replace(re, (_m, ...groups: unknown[]) => build(...groups.map((g) => (typeof g === 'string' ? g : ''))));
  return out === line ? line : applyRules(out, SPEC_FILLER);
}

/** Requests for the output → terse `Output:` / `Per X:` / `Tone:` spec lines. */
export const outputSpec = (text: string): string => mapInstructionLines(text, rewriteSpec);

/** Aggressive: "do not include any X" → "no X"; "without any" → "without". Negation and object stay. */
const TERSE_CONSTRAINTS: readonly PhraseRule[] = [
  phraseRule("(?:do not|don't|never) (?:include|add|give|write|output|mention|provide|return) anything", 'nothing'),
  phraseRule("(?:do not|don't|never) (?:include|add|use|give|write|output|mention|provide|return)(?: any)?", 'no'),
  phraseRule('without any', 'without'),
  // The literal first: a lookbehind leading the pattern ran back over the sentence at every position (quadratic).
  phraseRule('or any(?<=\\bno [^.\\n]*or any)', 'or'),
];

/** Aggressive: negative instructions in their shortest form ("Do not include any explanation" → "No explanation"). */
export const terseConstraints = (text: string): string => mapInstructionLines(text, (line) => applyRules(line, TERSE_CONSTRAINTS));
