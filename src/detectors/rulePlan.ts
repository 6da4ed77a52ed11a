import type { Config, Rule, Targets } from '../config/schema.js';
import type { MetricName } from '../core/decision.js';
import { resolveThreshold, type ResolvedThreshold, type ThresholdContext } from './threshold.js';

/**
 * One rule set as a route sees it: its enabled rules, its targets, and what
 * a judgement would otherwise work out again each time — each rule's
 * threshold resolved once per config, and where each rule sits. Built at
 * every reconfigure; a variant's memory is laid out by it (rule i's state at
 * index i).
 */
export interface RulePlan {
  readonly rules: readonly Rule[];
  readonly targets: Targets;
  /** Each rule's threshold value; NaN for a baseline-relative one, which moves with the baseline and is resolved per judgement. */
  readonly thresholds: Float64Array;
  /** The same thresholds with their derivation (trigger evidence), frozen and shared by every judgement; null where `thresholds` is NaN. */
  readonly resolved: readonly (ResolvedThreshold | null)[];
  /** Each rule's position by name. */
  readonly positions: ReadonlyMap<string, number>;
  /** Metrics some enabled baseline rule watches (the detector's, over all routes): a variant keeps a baseline of each. */
  readonly baselineMetrics: readonly MetricName[];
  /**
   * For each of {@link baselineMetrics} (same order): the positions of the rules watching it. While one of them is
   * pending or firing the baseline is frozen.
   */
  readonly freezers: readonly (readonly number[])[];
  /** Each rule's metric's position in {@link baselineMetrics} (−1: none, only for rules whose threshold is not baseline-relative). */
  readonly baselineOf: Int32Array;
}

/** The plan of `rules` under `targets`; `baselineMetrics`: the detector's, in its order. */
export function rulePlan(config: Config, rules: readonly Rule[], targets: Targets, baselineMetrics: readonly MetricName[]): RulePlan {
  const thresholds = new Float64Array(rules.length);
  const resolved: (ResolvedThreshold | null)[] = [];
  const positions = new Map<string, number>();
  const context: ThresholdContext = { targets, baseline: null, baselineMinSamples: 0, tokenBudgetPerRequest: config.budgets.tokens.max_per_request };
  rules.forEach((rule, i) => {
    const fixed = typeof rule.threshold === 'number' || !('baseline' in rule.threshold);
    const threshold = fixed ? resolveThreshold(rule, context) : null;
    thresholds[i] = threshold?.value ?? Number.NaN;
    resolved.push(threshold === null ? null : Object.freeze({ value: threshold.value, from: Object.freeze(threshold.from) }));
    positions.set(rule.name, i);
  });
  const freezers = baselineMetrics.map((metric) => rules.flatMap((rule, i) => (rule.metric === metric ? [i] : [])));
  const baselineOf = Int32Array.from(rules, (rule) => baselineMetrics.indexOf(rule.metric));
  return { rules, targets, thresholds, resolved, positions, baselineMetrics, freezers, baselineOf };
}
