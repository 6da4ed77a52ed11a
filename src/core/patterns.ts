/** Prompting patterns, ordered from the simplest/fastest to the strongest/slowest. */
export const PATTERNS = [
  'zero_shot',
  'few_shot',
  'chain_of_thought',
  'tree_of_thought',
  'self_consistency',
] as const;

/**
 * Every pattern the wire format accepts. `structured` is a prompt layout, not a
 * rung of the ladder: it has no simpler or stronger neighbour.
 */
export const ALL_PATTERNS = [...PATTERNS, 'structured'] as const;
export type Pattern = (typeof ALL_PATTERNS)[number];
export type LadderPattern = (typeof PATTERNS)[number];

/** Budget tiers of the reference guide, with their max-token limits. */
export const BUDGET_TIERS = ['economy', 'standard', 'premium', 'research'] as const;
export type BudgetTier = (typeof BUDGET_TIERS)[number];

/**
 * One step along a ladder: `-1` simpler, `+1` stronger. Returns null at either
 * end or for a pattern that is not on the ladder.
 */
export function stepPattern(ladder: readonly string[], pattern: string, direction: -1 | 1): string | null {
  const index = ladder.indexOf(pattern);
  if (index < 0) return null;
  return ladder[index + direction] ?? null;
}
