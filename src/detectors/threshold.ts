import type { Rule, Targets } from '../config/schema.js';
import type { ThresholdSource } from '../core/decision.js';
import { baselineReady, type BaselineState } from './baseline.js';

/** A rule's threshold for one evaluation, with how it was derived (trigger evidence). */
export interface ResolvedThreshold {
  /** In the rule metric's unit. */
  readonly value: number;
  readonly from: ThresholdSource;
}

/** What a threshold may be derived from besides the rule itself. */
export interface ThresholdContext {
  /** Targets in force for the route (`targetsFor(config, route)`). */
  readonly targets: Targets;
  /** This (route, variant)'s baseline of the rule's metric, if any. */
  readonly baseline: BaselineState | null;
  /** `config.baseline.min_samples`. */
  readonly baselineMinSamples: number;
  /** `budgets.tokens.max_per_request` (default 4000), for `{budget: 'tokens_per_request'}` thresholds. */
  readonly tokenBudgetPerRequest?: number;
}

/** The guide's per-request token budget, when a context does not carry the config's. */
const DEFAULT_TOKEN_BUDGET = 4000;

/**
 * Resolves a rule's threshold: an absolute number as is; `{target, margin_pct}`
 * and `{baseline: true, margin_pct}` as reference × (1 + m/100) for `gt` rules
 * and reference × (1 − m/100) for `lt` rules, so the margin always widens the
 * tolerated band. Returns null while a baseline-relative rule's baseline has
 * fewer than `baselineMinSamples` samples.
 */
export function resolveThreshold(rule: Rule, context: ThresholdContext): ResolvedThreshold | null {
  const threshold = rule.threshold;
  if (typeof threshold === 'number') return { value: threshold, from: { kind: 'absolute' } };
  const factor = rule.op === 'gt' ? 1 + threshold.margin_pct / 100 : 1 - threshold.margin_pct / 100;
  if ('target' in threshold) {
    const reference = context.targets[threshold.target];
    return {
      value: reference * factor,
      from: { kind: 'target', target: threshold.target, reference, margin_pct: threshold.margin_pct },
    };
  }
  if ('budget' in threshold) {
    const reference = context.tokenBudgetPerRequest ?? DEFAULT_TOKEN_BUDGET;
    return { value: reference * factor, from: { kind: 'budget', budget: 'budgets.tokens.max_per_request', reference, margin_pct: threshold.margin_pct } };
  }
  const baseline = context.baseline;
  if (!baselineReady(baseline, context.baselineMinSamples)) return null;
  return {
    value: baseline.mean * factor,
    from: { kind: 'baseline', reference: baseline.mean, margin_pct: threshold.margin_pct, baseline_samples: Math.round(baseline.samples) },
  };
}

/**
 * The threshold's value alone (no evidence object): the detector's cheap
 * pre-check for rules that are inactive and stay so. Null exactly when
 * {@link resolveThreshold} is null.
 */
export function thresholdValue(rule: Rule, context: ThresholdContext): number | null {
  const threshold = rule.threshold;
  if (typeof threshold === 'number') return threshold;
  if ('target' in threshold) return context.targets[threshold.target] * (rule.op === 'gt' ? 1 + threshold.margin_pct / 100 : 1 - threshold.margin_pct / 100);
  if ('budget' in threshold) return (context.tokenBudgetPerRequest ?? DEFAULT_TOKEN_BUDGET) * (rule.op === 'gt' ? 1 + threshold.margin_pct / 100 : 1 - threshold.margin_pct / 100);
  return resolveThreshold(rule, context)?.value ?? null;
}

/**
 * The value of a `{baseline: true, margin_pct}` threshold — `resolveThreshold(rule, {baseline, baselineMinSamples})?.value`
 * — without a context object; null while the baseline has fewer than `minSamples` samples, and for a rule whose
 * threshold is not baseline-relative.
 */
export function baselineThresholdValue(rule: Rule, baseline: BaselineState | null, minSamples: number): number | null {
  return baseline === null ? null : baselineThreshold(rule, baseline.mean, baseline.samples, minSamples);
}

/**
 * {@link baselineThresholdValue} of a baseline given by its mean and samples (the detector asks it at every
 * judgement of an inactive baseline rule, its baselines stored as numbers).
 */
export function baselineThreshold(rule: Rule, mean: number, samples: number, minSamples: number): number | null {
  const threshold = rule.threshold;
  if (typeof threshold === 'number' || !('baseline' in threshold) || !(samples >= minSamples)) return null;
  const factor = rule.op === 'gt' ? 1 + threshold.margin_pct / 100 : 1 - threshold.margin_pct / 100;
  return mean * factor;
}
