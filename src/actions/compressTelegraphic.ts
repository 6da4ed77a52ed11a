import { applyRule, mapInstructionLines, phraseRule, tidyPunctuation, type PhraseRule } from './compressPhraseRules.js';

/**
 * Aggressive level: telegraphic style, the way people write terse specs.
 * Auxiliaries before a participle, possessive determiners, and relative
 * clauses with a common prompt verb give way to shorter forms; every noun,
 * number, negation and condition stays. Quoted strings are data and are
 * left alone. Pure and deterministic; kept only where the tokenizer agrees
 * (the caller measures).
 */

/**
 * Verbs that head a relative clause in instructions ("a paragraph that
 * describes", "a copywriter who writes"), with their -ing forms. A fixed
 * table, not morphology: "that analysts want" or "that maps each string" must
 * not be touched, and a list is the only way to be sure which word is a verb.
 */
const RELATIVE_VERBS: Readonly<Record<string, string>> = {
  answers: 'answering', applies: 'applying', asks: 'asking', belongs: 'belonging', classifies: 'classifying',
  contains: 'containing', describes: 'describing', detects: 'detecting', encourages: 'encouraging', explains: 'explaining',
  extracts: 'extracting', follows: 'following', generates: 'generating', handles: 'handling', helps: 'helping',
  includes: 'including', lists: 'listing', mentions: 'mentioning', produces: 'producing', requires: 'requiring',
  reviews: 'reviewing', sells: 'selling', specializes: 'specializing', summarizes: 'summarizing', supports: 'supporting',
  translates: 'translating', uses: 'using', works: 'working', writes: 'writing',
};
const RELATIVE_CLAUSE = new RegExp(`\\b(?:that|who|which) (${Object.keys(RELATIVE_VERBS).join('|')})\\b`, 'gi');

/** Participles that end in -ed but are adjectives or nouns after "is" ("is red", "is needed" stays a verb). */
const NOT_PARTICIPLE = new Set(['bed', 'red', 'seed', 'speed', 'feed', 'shed', 'breed', 'need', 'indeed', 'led', 'fed', 'wed']);
/**
 * "dates are formatted in", "the answer is based on": the auxiliary goes, the
 * participle stays. Not after a pronoun ("when it is shipped" is a condition
 * on time) and not before an agent ("are reported by").
 */
const AUXILIARY = /(?<!\b(?:it|he|she|they|we|you|this|that|there|what|which) )\b(is|are) ([a-z]+ed|given|written|shown|taken|made|done|kept|sent|found|known|held)\b(?! by\b)/gi;

const RULES: readonly PhraseRule[] = [
  // Possessive determiners carry no instruction in a spec ("keep your answer" → "keep answer").
  ...['your', 'their', 'its'].map((p) => phraseRule(`${p}(?= [a-z])`)),
  phraseRule('so that', 'so'),
  phraseRule('in addition to', 'besides'),
  phraseRule('cannot be found', 'not found'),
  phraseRule('(?<=extract [^.]{0,60}) from it(?=[.,;])'),
  phraseRule('(?<=output: )in(?= [A-Z])'),
];
/** "in JSON format" → "in JSON": the format's name says it is a format. */
const FORMAT_NAME = /\b(JSON|XML|YAML|CSV|TSV|Markdown|HTML|ISO 8601) format\b/g;

/** One line, outside quoted strings. */
function telegraphicLine(line: string): string {
  const parts = line.split(/("[^"\n]*")/);
  const out = parts
    .map((part, i) => {
      if (i % 2 === 1) return part;
      let text = RULES.reduce((acc, rule) => applyRule(acc, rule), part);
      text = text.replace(RELATIVE_CLAUSE, (_m, verb: string) => RELATIVE_VERBS[verb.toLowerCase()] ?? verb);
      text = text.replace(AUXILIARY, (m, _aux: string, participle: string) => (NOT_PARTICIPLE.has(participle.toLowerCase()) ? m : participle));
      return text.replace(FORMAT_NAME, '$1');
    })
    .join('');
  return out === line ? line : tidyPunctuation(out);
}

/** Aggressive: telegraphic phrasing of instruction lines (see the module comment). */
export const telegraphic = (text: string): string => mapInstructionLines(text, telegraphicLine);
