import { applyRules, mapInstructionLines, phraseRule, rewriteInstructions, type PhraseRule } from './compressPhraseRules.js';

/**
 * The phrase tables of prompt compression. Each table is one named transform;
 * every rule removes words that carry no instruction or says the same in
 * fewer words. Constraints stay: negations, numbers, formats and conditions
 * are never in a pattern's removed part.
 */

/**
 * Where a clause starts: a phrase such as "you should" or "try to" is dropped
 * only there ("Try to be brief" → "Be brief"), never inside a clause ("users
 * who try to log in", "if you should see").
 */
const CLAUSE_START = '(?<=^\\s*|^\\s*[-*] |[.!?:;,]["\')]? |\\band |\\bbut |\\bthen |\\bso |\\balso |\\bplease )';

const IMPORTANCE = "(?:it is|it's)(?: very| extremely| really| particularly| absolutely| super| critically)? (?:important|essential|crucial|critical|vital)";

/** What thanks are for, "in advance" on either side ("in advance for your help", "for your time in advance"). */
const THANKS_FOR = '(?: in advance)?(?: for (?:all )?(?:your|the) (?:help|time|assistance|patience|support))?(?: in advance)?';

/** Courtesy: politeness and thanks. */
const COURTESY: readonly PhraseRule[] = [
  // "in advance" before or after what the thanks are for: "thanks in advance for your help" goes whole.
  `thank you(?: so| very)?(?: much)?${THANKS_FOR}[.!]?`,
  `thanks(?: a lot| so much)?${THANKS_FOR}[.!]?`,
  'it would be (?:great|nice|helpful|good|ideal|awesome) if you could',
  'i would (?:really )?appreciate it if you could',
  'could you please', 'can you please', 'would you please',
  'please', 'kindly', 'as an ai(?: language model)?',
].map((p) => phraseRule(p));

/** Meta-instructions: sentences about the instruction rather than the instruction itself. */
const META: readonly PhraseRule[] = [
  "i(?: would|'d) (?:also )?like you to", 'i (?:also )?(?:want|need) you to', 'i am asking you to',
  `${IMPORTANCE} to note that`, `${IMPORTANCE} that you`, `${IMPORTANCE} that`, `${IMPORTANCE} to`,
  'it is worth noting that', 'note that', 'keep in mind that', 'bear in mind that', 'remember that',
  'make sure (?:that )?(?:you )?(?:to )?', 'ensure that you', 'be sure to', 'remember to', "don't forget to", 'do not forget to',
  `${CLAUSE_START}(?:you should (?:also )?(?:always )?|you must (?=never|not|always|only)|you (?:will )?need to|you have to)`,
  '(?:very )?carefully', 'which (?:is|are)(?= \uE000)', 'to help you understand the task', 'in detail(?= and)',
].map((p) => phraseRule(p));

/** Hedging: softeners that weaken an instruction without adding one. */
const HEDGING: readonly PhraseRule[] = [
  'if at all possible', 'if possible', 'whenever possible', `${CLAUSE_START}(?:try to|feel free to|do your best to|attempt to)`,
  'really', 'actually', 'basically', 'simply', 'just(?!-)', 'very', 'at all(?! times)', 'of course', 'a bit',
].map((p) => phraseRule(p));

/** Wordy phrases with a shorter equivalent (kept only where the tokenizer agrees). */
const CONCISE: readonly PhraseRule[] = [
  ['in order to', 'to'], ['due to the fact that', 'because'], ['in the event that', 'if'], ['in the case that', 'if'],
  ['in case that', 'if'], ['prior to', 'before'], ['a large number of', 'many'], ['at this point in time', 'now'],
  ['is able to', 'can'], ['are able to', 'can'], ['as well as', 'and'], ['each and every', 'every'],
  ['with regard to', 'about'], ['with respect to', 'about'], ['whether or not', 'whether'], ['no more than', 'at most'],
  ['not be longer than', 'be at most'], ['several different types of', 'several'], ['a variety of', 'various'],
  ['(?:that|which) (?:is|are) (?:provided|given|shown|included|listed) below', 'below'], ['provided below', 'below'],
  ['the provided', 'the'], ['the given', 'the'],
  ['(?<=\\b(?:not|never) (?:[a-z]+ ){1,2})any(?! (?:way|case|circumstances?|time))', ''], ['for each of them', 'for each'], ['together with', 'with'], ['any other', 'other'], ['and that you', 'and'], ['(?:that|which) (?:is|are) not present in', 'not in'],
].map(([from, to]) => phraseRule(from!, to));

/**
 * Relative clauses in the passive ("the decisions that were made") keep only
 * the participle ("the decisions made"). Not a {@link PhraseRule}: it keeps a
 * captured word.
 */
const PASSIVE_RELATIVE = /\b(?:that|which) (?:is|are|was|were|has been|have been) ((?:[a-z]+ )?(?:[a-z]+(?:ed|en)|made|done|sent|paid|found|said|told|built|kept|held|set|put|read))\b/gi;
/** "the sources that you used" → "the sources used". */
const ACTIVE_RELATIVE = /\b(?:that|which) you (?:have )?([a-z]+ed)\b/gi;

/** Drops politeness and thanks ("please", "thank you in advance", "it would be great if you could"). */
export const dropCourtesy = (text: string): string => rewriteInstructions(text, COURTESY);

/** Drops meta-instructions ("I would like you to", "it is very important that you", "make sure that"). */
export const dropMeta = (text: string): string => rewriteInstructions(text, META);

/** Drops hedging ("if at all possible", "try to", "really", "just"). */
export const dropHedging = (text: string): string => rewriteInstructions(text, HEDGING);

/** Wordy phrases → shorter ones; passive relative clauses → participles. */
export const concisePhrasing = (text: string): string =>
  mapInstructionLines(text, (line) => applyRules(line, CONCISE).replace(PASSIVE_RELATIVE, '$1').replace(ACTIVE_RELATIVE, '$1'));
