import type { AbTestConfig } from '../config/schema.js';
import type { ActionKind } from '../core/decision.js';
import { hasData, type ComparedMetric, type Comparison } from './compare.js';

/** Gates (DESIGN §4, reference guide "performance_gates.pre_deployment") and rollback triggers, by name. */
export const GATE_NAMES = ['response_time_regression', 'token_efficiency_regression', 'quality_degradation', 'cost_increase'] as const;
export const TRIGGER_NAMES = ['response_time_spike', 'error_rate_increase', 'satisfaction_drop'] as const;
export type GateName = (typeof GATE_NAMES)[number];
export type TriggerName = (typeof TRIGGER_NAMES)[number];

/**
 * Outcome of one gate or trigger: `passed` = the confidence sequences prove it
 * holds, `failed` = they prove it is violated, `inconclusive` = not yet
 * proven either way, `skipped` = no data on its metrics in one of the arms.
 */
export type GateStatus = 'passed' | 'failed' | 'inconclusive' | 'skipped';

/** One gate or trigger, with the metrics that decided it and a one-line reason. */
export interface GateAssessment {
  readonly name: GateName | TriggerName;
  readonly status: GateStatus;
  /** Threshold in the metric's delta unit (relative fraction or points). */
  readonly threshold: number;
  readonly metrics: readonly ComparedMetric[];
  readonly reason: string;
}

type Comparisons = Readonly<Record<ComparedMetric, Comparison>>;

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const bound = (x: number): string => (Number.isFinite(x) ? pct(x) : x > 0 ? '+inf' : '-inf');

/**
 * "Higher is worse" check of one metric against `threshold`: failed when the
 * CS lower bound exceeds it, passed when the upper bound is below it.
 */
function worseAbove(metric: Comparison, threshold: number): GateStatus {
  if (!hasData(metric)) return 'skipped';
  if (metric.lo > threshold) return 'failed';
  if (metric.hi < threshold) return 'passed';
  return 'inconclusive';
}

/** "Lower is worse": failed when the CS upper bound is below −threshold. */
function worseBelow(metric: Comparison, threshold: number): GateStatus {
  if (!hasData(metric)) return 'skipped';
  if (metric.hi < -threshold) return 'failed';
  if (metric.lo > -threshold) return 'passed';
  return 'inconclusive';
}

/** Combines statuses: any failed → failed; all skipped → skipped; any inconclusive → inconclusive; else passed. */
function combine(statuses: readonly GateStatus[]): GateStatus {
  if (statuses.includes('failed')) return 'failed';
  const used = statuses.filter((s) => s !== 'skipped');
  if (used.length === 0) return 'skipped';
  return used.includes('inconclusive') ? 'inconclusive' : 'passed';
}

function describe(metric: Comparison): string {
  const unit = metric.unit === 'points' ? ' points' : '';
  const fmt = (x: number): string => (metric.unit === 'points' && Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}` : bound(x));
  return `${metric.metric} ${metric.delta === null ? 'n/a' : fmt(metric.delta)} [${fmt(metric.lo)}, ${fmt(metric.hi)}]${unit}`;
}

function assessment(name: GateName | TriggerName, status: GateStatus, threshold: number, metrics: readonly Comparison[], label: string): GateAssessment {
  const used = metrics.filter(hasData);
  const detail = used.length === 0 ? 'no data in both arms' : used.map(describe).join('; ');
  return { name, status, threshold, metrics: used.map((m) => m.metric), reason: `${name} ${status} (${label}): ${detail}` };
}

/** Options of {@link assessGates}. */
export interface AssessOptions {
  /**
   * Every metric of a gate with data in both arms must be proven within the
   * limit for the gate to pass (the pre-deployment gate). Without it the p95
   * and accuracy are guardrails that can only fail a gate (the live tester).
   */
  readonly strict?: boolean;
}

/**
 * Assesses the gates as non-inferiority tests with the config's margins (never
 * tighter than the effect floor). `kind` drops the gates that do not apply:
 * an enhancement may spend tokens (its cost gate bounds that instead).
 *
 * @remarks Response time: the geometric-mean latency must be proven within the
 * margin to pass; the p95 is a guardrail that fails the gate when proven worse
 * beyond its limit — the margin for enhancements and the pre-deployment gate,
 * the effect floor for simplification and token optimization (changes that
 * must not slow the tail: a deterioration test, as in Spotify's risk-aware
 * decision rules).
 * Quality likewise: the mean quality score must be proven within the margin
 * (accuracy when no scores exist), and accuracy fails it when proven below
 * (margin in points = relative margin × baseline accuracy).
 */
export function assessGates(
  c: Comparisons,
  config: Pick<AbTestConfig, 'gates' | 'effect_floor_pct'>,
  kind: ActionKind | null,
  options: AssessOptions = {},
): GateAssessment[] {
  const strict = options.strict ?? false;
  const guardrail = (status: GateStatus): GateStatus => (strict || status === 'failed' ? status : 'skipped');
  const floor = config.effect_floor_pct / 100;
  const margin = (pctValue: number): number => Math.max(pctValue / 100, floor);
  const out: GateAssessment[] = [];
  const rt = margin(config.gates.response_time_regression_pct);
  if (kind === 'pattern_enhancement') {
    // A stronger pattern is slower by design (few_shot → chain_of_thought: 1.8 s → 3.2 s in the
    // reference matrix); its latency is judged against the route's own target by the caller.
    out.push(assessment('response_time_regression', 'skipped', rt, [c.latency_ms, c.latency_p95_ms], 'judged against the route target for enhancements'));
  } else {
    const tailLimit = kind === 'pattern_simplification' || kind === 'token_optimization' ? floor : rt;
    const p95 = worseAbove(c.latency_p95_ms, tailLimit);
    const rtStatus = combine([worseAbove(c.latency_ms, rt), guardrail(p95)]);
    // The live tester's guardrails say so in the reason: 'passed' there means the guardrail was not proven breached.
    const tailLabel = strict ? `p95 < +${pct(tailLimit)}` : `p95 guardrail: fails only if proven > +${pct(tailLimit)}`;
    out.push(assessment('response_time_regression', rtStatus, rt, [c.latency_ms, c.latency_p95_ms], `< +${pct(rt)}, ${tailLabel}`));
  }
  if (kind !== 'pattern_enhancement') {
    const te = margin(config.gates.token_efficiency_regression_pct);
    const metric = hasData(c.tokens_per_quality_point) ? c.tokens_per_quality_point : c.tokens_per_request;
    out.push(assessment('token_efficiency_regression', worseAbove(metric, te), te, [metric], `< +${pct(te)}`));
  }
  const q = margin(config.gates.quality_degradation_pct);
  const accuracy = worseBelow(c.accuracy, q * (c.accuracy.baseline ?? 1));
  const quality = worseBelow(c.quality, q);
  const qualityStatus = quality === 'skipped' ? accuracy : combine([quality, guardrail(accuracy)]);
  const accuracyLimitPoints = (q * (c.accuracy.baseline ?? 1) * 100).toFixed(1);
  const accuracyLabel = strict || quality === 'skipped' || !hasData(c.accuracy) ? '' : `; accuracy guardrail: fails only if proven below -${accuracyLimitPoints} points`;
  out.push(assessment('quality_degradation', qualityStatus, q, [c.quality, c.accuracy], `> -${pct(q)} relative${accuracyLabel}`));
  const cost = margin(config.gates.cost_increase_pct);
  out.push(assessment('cost_increase', worseAbove(c.cost_per_task_usd, cost), cost, [c.cost_per_task_usd], `< +${pct(cost)}`));
  return out;
}

/**
 * Assesses the rollback triggers: `failed` = the trigger is proven (roll
 * back now), `passed` = proven not to hold. For a pattern enhancement the
 * response-time spike is relative to a faster pattern by design, so it is
 * skipped here and the caller holds the candidate to the route's latency target.
 *
 * @remarks Spike: either latency statistic proven above the spike threshold
 * fails; ruling it out needs both below.
 */
export function assessTriggers(c: Comparisons, config: Pick<AbTestConfig, 'rollback'>, kind: ActionKind | null = null): GateAssessment[] {
  const spike = config.rollback.response_time_spike_pct / 100;
  const errors = config.rollback.error_rate_increase_points / 100;
  const satisfaction = config.rollback.satisfaction_drop_pct / 100;
  const spikeStatus = kind === 'pattern_enhancement' ? 'skipped' : combine([worseAbove(c.latency_ms, spike), worseAbove(c.latency_p95_ms, spike)]);
  return [
    assessment('response_time_spike', spikeStatus, spike, [c.latency_ms, c.latency_p95_ms], kind === 'pattern_enhancement' ? 'judged against the route target for enhancements' : `> +${pct(spike)}`),
    assessment('error_rate_increase', worseAbove(c.error_rate, errors), errors, [c.error_rate], `> +${(errors * 100).toFixed(1)} points`),
    assessment('satisfaction_drop', worseBelow(c.satisfaction, satisfaction), satisfaction, [c.satisfaction], `> -${pct(satisfaction)} relative`),
  ];
}
