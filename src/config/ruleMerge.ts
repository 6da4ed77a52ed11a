import type { z } from 'zod';
import { plainBound } from '../core/event.js';

/** A rule entry as written in a config file: a name plus any rule keys. */
export type RuleEntry = Readonly<Record<string, unknown>> & { readonly name: string };

/** One problem found while merging, with its path inside `rules`. */
export interface MergeIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Merges the rules a config file lists with the default rules, by `name`:
 * - an entry named like a default rule replaces that rule — every key it
 *   sets replaces the default's, keys it leaves out keep the default's value
 *   (`{name: accuracy_drop, threshold: 0.85}` changes only the threshold;
 *   `{name: accuracy_drop, enabled: false}` switches the rule off);
 * - an entry with a new name adds a rule (after the defaults, in file order);
 * - the same name twice in the file is an error.
 *
 * Returns the merged entries in order (defaults first, in their order) and the
 * problems found, with paths into the file's `rules` list. Pure.
 */
export function mergeRulesByName(
  defaults: readonly RuleEntry[],
  entries: readonly RuleEntry[],
): { readonly rules: RuleEntry[]; readonly issues: MergeIssue[] } {
  const issues: MergeIssue[] = [];
  const firstIndex = new Map<string, number>();
  const byName = new Map<string, { entry: RuleEntry; index: number }>();
  entries.forEach((entry, index) => {
    const seen = firstIndex.get(entry.name);
    if (seen !== undefined) {
      issues.push({ path: [index, 'name'], message: `duplicate rule name '${entry.name}' (rules[${seen}] has it too)` });
      return;
    }
    firstIndex.set(entry.name, index);
    byName.set(entry.name, { entry, index });
  });
  const rules: RuleEntry[] = defaults.map((base) => {
    const own = byName.get(base.name);
    return own === undefined ? base : { ...base, ...own.entry };
  });
  const defaultNames = new Set(defaults.map((d) => d.name));
  for (const [name, { entry }] of byName) if (!defaultNames.has(name)) rules.push(entry);
  return { rules, issues };
}

/** A zod issue's message in plain words (`unknown key 'x'`, `expected one of gt, lt`, `must not be negative`). */
export function plainMessage(issue: z.core.$ZodIssue): string {
  const last = issue.path[issue.path.length - 1];
  // A key an entry must set and does not: zod says "expected string, received undefined".
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `required key is missing (expected ${issue.expected})`;
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'invalid_union' && last === 'threshold') {
    return 'expected a number, {target: <targets key>, margin_pct: m}, {baseline: true, margin_pct: m} or {budget: tokens_per_request, margin_pct: m}';
  }
  // Unknown keys, bounds and bad map keys in the words event errors use.
  return plainBound(issue) ?? issue.message.replace(/^Invalid input: /, '');
}

/** One zod issue of a nested parse, re-rooted at `prefix` (its place in the file), in plain words. */
export function plainIssue(issue: z.core.$ZodIssue, prefix: readonly (string | number)[]): MergeIssue {
  return { path: [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: plainMessage(issue) };
}
