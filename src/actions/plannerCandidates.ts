import type { Config, VariantConfig } from '../config/schema.js';
import type { PromptChange, VariantRef } from '../core/decision.js';
import { ALL_PATTERNS, stepPattern, type Pattern } from '../core/patterns.js';
import { compressionOptionsFor, compressPrompt } from './compressPrompt.js';
import { rewriteForPattern } from './patternRewrite.js';
import { countTokens } from './tokenCounter.js';

/** Separator of derived candidate names: `${variant}~${pattern}`, `${variant}~compressed`, `${variant}~compressed-aggressive`, `${variant}~${tier}`. */
export const DERIVED_SEPARATOR = '~';
/** Suffix of a derived token-compressed candidate's name. */
export const COMPRESSED_SUFFIX = 'compressed';
/** Suffix of a derived, aggressively compressed candidate (the step after a promoted conservative one). */
export const AGGRESSIVE_SUFFIX = 'compressed-aggressive';

/** A change proposal before it becomes an action record. */
export interface Candidate {
  readonly from: VariantRef;
  readonly to: VariantRef;
  /** How the prompt changes (pattern actions on a route whose template is known). */
  readonly prompt?: PromptChange;
}

/** A variant as the planner may know it beyond config: registered through the API or made by an earlier action. */
export interface KnownVariant {
  readonly variant: string;
  readonly pattern: Pattern | null;
  readonly tier: string | null;
  readonly maxTokens: number | null;
  readonly template: string | null;
}

/** The variants the planner can see per route (the route registry in the daemon; config alone in tests). */
export interface VariantCatalog {
  variants(route: string): readonly KnownVariant[];
}

/** A catalog of the variants registered in config. */
export function configCatalog(config: Config): VariantCatalog {
  return {
    variants: (route) =>
      (config.routes[route]?.variants ?? []).map((v) => ({
        variant: v.name, pattern: v.pattern ?? null, tier: v.tier ?? config.routes[route]?.tier ?? null,
        maxTokens: config.actions.budget_tiers[v.tier ?? config.routes[route]?.tier ?? '']?.max_tokens ?? null, template: v.template ?? null,
      })),
  };
}

/** A pattern step that cannot be taken: a template is known, but no real candidate can be built from it. */
export interface NoCandidate {
  readonly impossible: string;
  readonly from: VariantRef;
  readonly to: VariantRef;
}

/** The registered config of a route's variant, if any. */
export function variantConfig(config: Config, route: string, variant: string): VariantConfig | undefined {
  return config.routes[route]?.variants.find((v) => v.name === variant);
}

/** The variant's pattern: what its traffic reported, else what its config says, else null. */
export function currentPattern(config: Config, route: string, variant: string, observed: Pattern | null): Pattern | null {
  return observed ?? variantConfig(config, route, variant)?.pattern ?? null;
}

/** The budget tier a variant runs in: its own, else its route's, else `actions.default_tier`. */
export function currentTier(config: Config, route: string, variant: string): string {
  return variantConfig(config, route, variant)?.tier ?? config.routes[route]?.tier ?? config.actions.default_tier;
}

/**
 * The next budget tier below `tier` by `max_tokens` (ties broken by name);
 * null when `tier` is the lowest or not a configured tier.
 */
export function lowerTier(config: Config, tier: string): { readonly name: string; readonly maxTokens: number } | null {
  const current = config.actions.budget_tiers[tier];
  if (current === undefined) return null;
  let best: { name: string; maxTokens: number } | null = null;
  for (const name of Object.keys(config.actions.budget_tiers).sort()) {
    const maxTokens = config.actions.budget_tiers[name]!.max_tokens;
    if (maxTokens >= current.max_tokens) continue;
    if (best === null || maxTokens > best.maxTokens) best = { name, maxTokens };
  }
  return best;
}

/**
 * One step along `actions.pattern_ladder` (`-1` simpler, `+1` stronger), in
 * the variant's own budget tier. The candidate is, in order of preference: a
 * variant registered (config or API) with the target pattern; else, when the
 * variant's template is known, a derived `${base}~${pattern}` whose template is
 * rewritten for the target pattern (`prompt` carries both token counts) — or a
 * {@link NoCandidate} when no real rewrite exists; else (no template known) a
 * derived name the application serves with its own prompt for the pattern.
 * `base` is the variant without a trailing `~<pattern>`, so repeated steps do
 * not pile up suffixes. Null when the pattern is unknown, off the ladder, or at
 * that end of it.
 */
export function patternCandidate(
  config: Config,
  catalog: VariantCatalog,
  route: string,
  variant: string,
  observed: Pattern | null,
  direction: -1 | 1,
): Candidate | NoCandidate | null {
  const known = catalog.variants(route);
  const self = known.find((v) => v.variant === variant);
  const pattern = observed ?? self?.pattern ?? currentPattern(config, route, variant, null);
  if (pattern === null) return null;
  const target = stepPattern(config.actions.pattern_ladder, pattern, direction) as Pattern | null;
  if (target === null) return null;
  const tier = self?.tier ?? currentTier(config, route, variant);
  const maxTokens = self?.maxTokens ?? config.actions.budget_tiers[tier]?.max_tokens;
  const from = ref(variant, pattern, tier, maxTokens ?? undefined);
  const registered = known.find((v) => v.pattern === target && v.variant !== variant);
  if (registered !== undefined) {
    const to = ref(registered.variant, target, registered.tier ?? tier, registered.maxTokens ?? maxTokens ?? undefined);
    const template = self?.template ?? null;
    if (template === null && registered.template === null) return { from, to };
    return { from, to, prompt: { source: 'registered', baseline_tokens: template === null ? null : countTokens(template), candidate_tokens: registered.template === null ? null : countTokens(registered.template) } };
  }
  const to = ref(`${stripPatternSuffix(variant)}${DERIVED_SEPARATOR}${target}`, target, tier, maxTokens ?? undefined);
  const template = self?.template ?? null;
  if (template === null) return { from, to };
  const rewrite = rewriteForPattern(template, pattern, target, config.routes[route]?.examples ?? []);
  if (rewrite.outcome === 'impossible') return { impossible: rewrite.reason, from, to };
  return {
    from, to,
    prompt: { source: 'derived', baseline_tokens: rewrite.tokensBefore, candidate_tokens: rewrite.tokensAfter, changes: rewrite.steps.map((step) => ({ name: step.name, text: step.text })) },
  };
}

/**
 * A token-optimization candidate, one compression level at a time so the A/B
 * test guards quality at each step: from an uncompressed variant, its
 * registered `compressed` variant when configured, else a derived
 * `${variant}~compressed` (conservative rewrite); from a conservative one
 * (promoted, and still over budget), `${base}~compressed-aggressive`; from an
 * aggressive one, no further compression. Together with the next lower budget
 * tier. With no compression step left but a lower tier, the candidate is
 * `${variant}~${tier}`. Null when neither is available.
 */
export function tokenCandidate(config: Config, catalog: VariantCatalog, route: string, variant: string, observed: Pattern | null): Candidate | NoCandidate | null {
  const pattern = currentPattern(config, route, variant, observed);
  const tier = currentTier(config, route, variant);
  const maxTokens = config.actions.budget_tiers[tier]?.max_tokens;
  const registeredName = variantConfig(config, route, variant)?.compressed;
  let compressedName = registeredName ?? nextCompressedName(config, route, variant);
  const lower = lowerTier(config, tier);
  // A derived compression of a known template that saves nothing would be the baseline's text under a new name
  // (an experiment of the prompt against itself): the step is the lower tier alone, or there is none.
  const template = catalog.variants(route).find((v) => v.variant === variant)?.template ?? variantConfig(config, route, variant)?.template ?? null;
  const savesNothing = registeredName === undefined && compressedName !== null && template !== null && compressPrompt(template, compressionOptionsFor(config, compressionLevelOf(compressedName))).tokensAfter >= countTokens(template);
  if (savesNothing) {
    if (lower === null) {
      return { impossible: `compressing ${variant}'s template saves no tokens and ${tier} is the lowest budget tier`, from: ref(variant, pattern, tier, maxTokens), to: ref(compressedName!, pattern, tier, maxTokens) };
    }
    compressedName = null;
  }
  if (compressedName === null && lower === null) return null;
  const name = compressedName ?? `${variant}${DERIVED_SEPARATOR}${lower!.name}`;
  const toPattern = (registeredName !== undefined ? variantConfig(config, route, registeredName)?.pattern : undefined) ?? pattern;
  return {
    from: ref(variant, pattern, tier, maxTokens),
    to: ref(name, toPattern, lower?.name ?? tier, lower?.maxTokens ?? maxTokens),
  };
}

/**
 * The compression level a token-optimization candidate's template is derived
 * at, from its name: `aggressive` for a `~compressed-aggressive` variant,
 * otherwise `conservative`.
 */
export function compressionLevelOf(variant: string): 'conservative' | 'aggressive' {
  return variant.endsWith(`${DERIVED_SEPARATOR}${AGGRESSIVE_SUFFIX}`) ? 'aggressive' : 'conservative';
}

/** The derived name of the next compression step; null when the variant is already compressed aggressively. */
function nextCompressedName(config: Config, route: string, variant: string): string | null {
  if (variant.endsWith(`${DERIVED_SEPARATOR}${AGGRESSIVE_SUFFIX}`)) return null;
  if (!isCompressed(config, route, variant)) return `${variant}${DERIVED_SEPARATOR}${COMPRESSED_SUFFIX}`;
  const conservativeSuffix = `${DERIVED_SEPARATOR}${COMPRESSED_SUFFIX}`;
  const base = variant.endsWith(conservativeSuffix) ? variant.slice(0, -conservativeSuffix.length) : variant;
  return `${base}${DERIVED_SEPARATOR}${AGGRESSIVE_SUFFIX}`;
}

/** True when the variant is a compressed one: a derived `~compressed` name or another variant's registered `compressed`. */
function isCompressed(config: Config, route: string, variant: string): boolean {
  if (variant.endsWith(`${DERIVED_SEPARATOR}${COMPRESSED_SUFFIX}`)) return true;
  return config.routes[route]?.variants.some((v) => v.compressed === variant) ?? false;
}

function stripPatternSuffix(variant: string): string {
  const at = variant.lastIndexOf(DERIVED_SEPARATOR);
  if (at <= 0) return variant;
  const suffix = variant.slice(at + 1);
  return (ALL_PATTERNS as readonly string[]).includes(suffix) ? variant.slice(0, at) : variant;
}

function ref(variant: string, pattern: Pattern | null, tier?: string, maxTokens?: number): VariantRef {
  return {
    variant,
    ...(pattern !== null ? { pattern } : {}),
    ...(tier !== undefined ? { tier } : {}),
    ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
  };
}
