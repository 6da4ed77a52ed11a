/**
 * Deterministic, versioned assignment hashing (GrowthBook's `hash(seed, value, version)`).
 *
 * @remarks Version 1 is frozen forever: changing how units are bucketed makes
 * a new version, never an edit, so running experiments keep their assignment.
 */

/** Hash versions that exist. */
export const HASH_VERSIONS = [1] as const;
export type HashVersion = (typeof HASH_VERSIONS)[number];

/** Experiment arm. */
export type ArmName = 'baseline' | 'candidate';

/** 32-bit FNV-1a over the UTF-16 code units of `text` (GrowthBook's variant). */
export function fnv1a32(text: string): number {
  let hval = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hval ^= text.charCodeAt(i);
    hval += (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24);
  }
  return hval >>> 0;
}

/**
 * Maps `(seed, value)` to a number in [0, 1), deterministically.
 * Version 1: `fnv1a32(String(fnv1a32(seed + value)) + '') % 10000 / 10000`
 * (GrowthBook hash v2 shape: double hashing spreads similar inputs).
 * Returns null for an unknown version.
 */
export function hash(seed: string, value: string, version: number = 1): number | null {
  if (version === 1) return (fnv1a32(String(fnv1a32(seed + value))) % 10_000) / 10_000;
  return null;
}

/**
 * The arm of `unit` in the experiment salted with `salt`, at a candidate
 * traffic share in [0, 1]. Sticky under ramp-up: a unit is candidate when its
 * bucket is below the share, so raising the share only moves baseline units
 * into the candidate arm, never back.
 */
export function assignArm(salt: string, unit: string, candidateShare: number, version: HashVersion = 1): ArmName {
  const bucket = hash(salt, unit, version) ?? 1;
  const share = Number.isFinite(candidateShare) ? Math.min(1, Math.max(0, candidateShare)) : 0;
  return bucket < share ? 'candidate' : 'baseline';
}
