import { capitalize, mapInstructionLines } from './compressPhraseRules.js';
import { countTokens } from './tokenCounter.js';

/** An abbreviation library: full phrase → short form. */
export type AbbreviationLibrary = Readonly<Record<string, string>>;

/**
 * The default library: the reference guide's abbreviation library plus common
 * ones. Only entries the tokenizer counts as shorter are ever applied (with
 * o200k "information" and "info" are one token each, and "e.g." is more
 * tokens than "for example"), so most entries are inert with modern BPE.
 */
export const DEFAULT_ABBREVIATIONS: AbbreviationLibrary = {
  requirements: 'reqs', implementation: 'impl', performance: 'perf', security: 'sec', documentation: 'docs',
  configuration: 'config', optimization: 'opt', validation: 'valid', authentication: 'auth',
  'for example': 'e.g.', 'for instance': 'e.g.', 'that is to say': 'i.e.', 'in other words': 'i.e.',
  'and so on': 'etc.', 'and so forth': 'etc.', 'as soon as possible': 'ASAP', information: 'info',
  approximately: '~', maximum: 'max', minimum: 'min', versus: 'vs', application: 'app', specification: 'spec',
  'user interface': 'UI', 'frequently asked questions': 'FAQ', 'common table expressions': 'CTEs',
};

type Rule = readonly [RegExp, string];
const cache = new Map<AbbreviationLibrary, readonly Rule[]>();

/** The library's entries that save tokens, longest phrase first; computed once per library. */
function savingRules(library: AbbreviationLibrary): readonly Rule[] {
  let rules = cache.get(library);
  if (rules === undefined) {
    rules = Object.entries(library)
      .filter(([full, short]) => full.trim() !== '' && countTokens(` ${short}`) < countTokens(` ${full}`))
      .sort(([a], [b]) => b.length - a.length || (a < b ? -1 : 1))
      .map(([full, short]) => [new RegExp(`\\b${full.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'gi'), short] as const);
    if (cache.size > 16) cache.clear();
    cache.set(library, rules);
  }
  return rules;
}

/** Replaces phrases of `library` with their short forms where the tokenizer counts fewer tokens. */
export function abbreviate(text: string, library: AbbreviationLibrary = DEFAULT_ABBREVIATIONS): string {
  const rules = savingRules(library);
  if (rules.length === 0) return text;
  return mapInstructionLines(text, (line) => {
    let out = line;
    for (const [re, short] of rules) out = out.replace(re, (m) => (/^[A-Z]/.test(m) && /^[a-z]/.test(short) ? capitalize(short) : short));
    return out;
  });
}
