import type { AbTestConfig } from '../config/schema.js';
import type { MetricEvidence } from '../core/decision.js';
import type { ArmEvent, ArmStats } from './armStats.js';
import { compareArms, metricAlpha, type ComparedMetric } from './compare.js';
import { addArmEvent, createExperimentState, evidenceOf, type ExperimentState } from './evaluate.js';
import { assessGates, assessTriggers, type GateAssessment, type GateName, type GateStatus, type TriggerName } from './guards.js';
import type { IntervalKind } from './sequential.js';

/** Verdict of the pre-deployment gate. */
export type GateVerdict = 'pass' | 'fail' | 'inconclusive';

/** A metric the baseline reports and the candidate lacks (or mostly lacks): shares of events carrying it. */
export interface MissingMetric {
  readonly metric: ComparedMetric;
  readonly baseline_share: number;
  readonly candidate_share: number;
}

/** One gate (or rollback trigger) of the verdict with the evidence of its metrics. */
export interface GateResult {
  readonly name: GateName | TriggerName;
  readonly status: GateStatus;
  /** Limit in the metric's delta unit (relative fraction, or points for error rate). */
  readonly threshold: number;
  readonly reason: string;
  readonly evidence: Record<string, MetricEvidence>;
  /** Metrics of this gate the baseline has and the candidate lacks: the gate cannot pass. */
  readonly missing?: readonly MissingMetric[];
  /** Why this gate's comparison is suspect (e.g. cost from different sources); it cannot pass. */
  readonly flag?: string;
}

/** Where an arm's cost numbers came from: reported in the events, or computed from the price table. */
export interface CostSources {
  readonly reported: number;
  readonly computed: number;
}

/** Share of an arm's events that carry each optional field. */
export type Coverage = Readonly<Record<'cost' | 'tokens' | 'quality' | 'correct' | 'satisfaction', number>>;

/** Result of {@link evaluateGate}. */
export interface GateEvaluation {
  readonly verdict: GateVerdict;
  readonly reason: string;
  /** The intervals used: the gate sees two complete runs once, so fixed-horizon intervals are valid. */
  readonly intervals: IntervalKind;
  /** Two-sided error rate of each metric's interval (the config's alpha split across the compared metrics). */
  readonly alpha_per_metric: number;
  /** Events per run: [baseline, candidate]. */
  readonly n: readonly [number, number];
  readonly gates: readonly GateResult[];
  /** Evidence for every metric with data. */
  readonly evidence: Record<string, MetricEvidence>;
  /** Share of each run's events carrying each optional field, and the source of their cost. */
  readonly coverage: { readonly baseline: Coverage; readonly candidate: Coverage };
  readonly cost_sources: { readonly baseline: CostSources; readonly candidate: CostSources };
  /** Problems with the comparison itself (missing metrics, mixed cost sources), one line each. */
  readonly flags: readonly string[];
}

/** Per-event facts the gate tracks beyond the arm statistics. */
export interface GateEventInfo {
  /** The event's cost was computed from the price table, not reported. */
  readonly costComputed?: boolean;
}

/**
 * The reference guide's pre-deployment performance gate on two recorded runs:
 * every gate of DESIGN §4 as a non-inferiority test plus the rollback
 * triggers, with fixed-horizon intervals (two complete runs, one look).
 * `pass` only when every gate with data is proven to hold — each of its
 * metrics' intervals inside the limit; `fail` when a regression beyond a limit
 * is proven; otherwise (too few samples, a metric the candidate stopped
 * reporting, costs from different sources) `inconclusive`.
 */
export function evaluateGate(baselineEvents: Iterable<ArmEvent>, candidateEvents: Iterable<ArmEvent>, config: AbTestConfig): GateEvaluation {
  const gate = new GateAccumulator(config);
  for (const event of baselineEvents) gate.addBaseline(event);
  for (const event of candidateEvents) gate.addCandidate(event);
  return gate.evaluate();
}

/**
 * The gate fed one event at a time (all baseline events first, then the
 * candidate's), so files of any size stream through in constant memory.
 */
export class GateAccumulator {
  private readonly state: ExperimentState;
  private readonly costSources = { baseline: { reported: 0, computed: 0 }, candidate: { reported: 0, computed: 0 } };

  constructor(private readonly config: AbTestConfig) {
    this.state = createExperimentState(0, config.min_samples_per_arm);
  }

  addBaseline(event: ArmEvent, info: GateEventInfo = {}): void {
    addArmEvent(this.state, false, event);
    countCost(this.costSources.baseline, event, info);
  }

  addCandidate(event: ArmEvent, info: GateEventInfo = {}): void {
    addArmEvent(this.state, true, event);
    countCost(this.costSources.candidate, event, info);
  }

  /** The verdict over everything added so far. */
  evaluate(): GateEvaluation {
    return verdictOf(this.state, this.config, this.costSources);
  }
}

function countCost(sources: { reported: number; computed: number }, event: ArmEvent, info: GateEventInfo): void {
  if (event.costUsd === undefined) return;
  if (info.costComputed === true) sources.computed++;
  else sources.reported++;
}

/** Events of an arm that carry what a compared metric needs. */
function carrying(s: ArmStats, metric: ComparedMetric): number {
  switch (metric) {
    case 'latency_ms':
    case 'latency_p95_ms':
    case 'error_rate':
      return s.n;
    case 'cost_per_task_usd':
      return s.costN;
    case 'tokens_per_request':
      return s.tokenN;
    case 'tokens_per_quality_point':
      return s.tpqN;
    case 'quality':
      return s.qualityN;
    case 'accuracy':
      return s.accuracyN;
    case 'satisfaction':
      return s.satisfactionN;
  }
}

/** The compared metrics each gate and trigger is judged on. */
const GATE_METRICS: Readonly<Record<GateName | TriggerName, readonly ComparedMetric[]>> = {
  response_time_regression: ['latency_ms', 'latency_p95_ms'],
  token_efficiency_regression: ['tokens_per_quality_point', 'tokens_per_request'],
  quality_degradation: ['quality', 'accuracy'],
  cost_increase: ['cost_per_task_usd'],
  response_time_spike: ['latency_ms', 'latency_p95_ms'],
  error_rate_increase: ['error_rate'],
  satisfaction_drop: ['satisfaction'],
};

/**
 * Metrics the baseline reports (on at least 2 events) and the candidate
 * reports on less than half the share of its events: the candidate's value is
 * absent or computed on a subset, so the gate cannot be shown to hold.
 */
function missingMetrics(b: ArmStats, c: ArmStats, metrics: readonly ComparedMetric[]): MissingMetric[] {
  const out: MissingMetric[] = [];
  for (const metric of metrics) {
    const nb = carrying(b, metric);
    if (nb < 2 || b.n === 0) continue;
    const baselineShare = nb / b.n;
    const candidateShare = c.n === 0 ? 0 : carrying(c, metric) / c.n;
    if (candidateShare < baselineShare / 2) out.push({ metric, baseline_share: baselineShare, candidate_share: candidateShare });
  }
  return out;
}

const share = (x: number): string => `${Math.round(x * 100)} %`;

function majoritySource(s: CostSources): 'reported' | 'computed' | null {
  if (s.reported + s.computed === 0) return null;
  return s.computed > s.reported ? 'computed' : 'reported';
}

function coverageOf(s: ArmStats): Coverage {
  const of = (count: number): number => (s.n === 0 ? 0 : count / s.n);
  return { cost: of(s.costN), tokens: of(s.tokenN), quality: of(s.qualityN), correct: of(s.accuracyN), satisfaction: of(s.satisfactionN) };
}

/** Which run lacks a skipped gate's metrics (never the candidate alone: that is {@link missingMetrics}). */
function unreported(state: ExperimentState, metrics: readonly ComparedMetric[]): string {
  const lacking = (s: ArmStats): boolean => metrics.every((m) => carrying(s, m) < 2);
  const who = lacking(state.baseline) && lacking(state.candidate) ? 'neither run reports' : lacking(state.baseline) ? 'the baseline does not report' : 'too few candidate events carry';
  return `${who} ${metrics.join(' or ')}`;
}

/**
 * An assessment's reason without its own verdict word ("cost_increase passed (< +15 %): …" → "(< +15 %): …"),
 * for a gate whose status the gate overrides: the reason must not contradict the status it sits under.
 */
function evidenceOnly(a: GateAssessment): string {
  const prefix = `${a.name} ${a.status} `;
  return a.reason.startsWith(prefix) ? a.reason.slice(prefix.length) : a.reason;
}

/** A gate that cannot pass: failed stays failed, anything else becomes inconclusive with the cause in front. */
function blocked(status: GateStatus): GateStatus {
  return status === 'failed' ? 'failed' : 'inconclusive';
}

function verdictOf(state: ExperimentState, config: AbTestConfig, costSources: { baseline: CostSources; candidate: CostSources }): GateEvaluation {
  const intervals: IntervalKind = 'fixed_horizon';
  const comparisons = compareArms(state.baseline, state.candidate, config, state.tail, { intervals });
  const alpha = metricAlpha(config);
  const evidence = evidenceOf(comparisons, alpha);
  const assessed: GateAssessment[] = [...assessGates(comparisons, config, null, { strict: true }), ...assessTriggers(comparisons, config)];
  const flags: string[] = [];
  const bSource = majoritySource(costSources.baseline);
  const cSource = majoritySource(costSources.candidate);
  const costFlag = bSource !== null && cSource !== null && bSource !== cSource
    ? `cost_per_task_usd compares costs from different sources: the baseline's are ${bSource} (${costSources.baseline.reported} reported, ${costSources.baseline.computed} from the price table), the candidate's ${cSource} (${costSources.candidate.reported} reported, ${costSources.candidate.computed} from the price table)`
    : null;
  if (costFlag !== null) flags.push(costFlag);
  const gates: GateResult[] = assessed.map((a) => {
    const metrics = GATE_METRICS[a.name];
    const missing = missingMetrics(state.baseline, state.candidate, metrics);
    const flag = a.name === 'cost_increase' ? costFlag : null;
    let status = a.status;
    let reason = a.reason;
    if (missing.length > 0) {
      const lines = missing.map((m) => `the candidate lacks ${m.metric} (reported on ${share(m.baseline_share)} of baseline events, ${share(m.candidate_share)} of candidate events)`);
      status = blocked(status);
      reason = `${a.name} ${status}: ${lines.join('; ')}; on what both runs report ${evidenceOnly(a)}`;
      for (const line of lines) if (!flags.includes(line)) flags.push(line);
    }
    if (flag !== null) {
      status = blocked(status);
      reason = `${a.name} ${status}: ${flag}; ${evidenceOnly(a)}`;
    }
    if (status === 'skipped') reason = `${a.name} skipped: ${unreported(state, metrics)}`;
    return {
      name: a.name,
      status,
      threshold: a.threshold,
      reason,
      evidence: Object.fromEntries(metrics.flatMap((m) => (evidence[m] === undefined ? [] : [[m, evidence[m]]]))),
      ...(missing.length > 0 ? { missing } : {}),
      ...(flag !== null ? { flag } : {}),
    };
  });
  const n = [state.baseline.n, state.candidate.n] as const;
  const base = {
    intervals, alpha_per_metric: alpha, n, gates, evidence,
    coverage: { baseline: coverageOf(state.baseline), candidate: coverageOf(state.candidate) },
    cost_sources: { baseline: { ...costSources.baseline }, candidate: { ...costSources.candidate } },
    flags,
  };
  const minN = Math.min(n[0], n[1]);
  const failed = gates.filter((g) => g.status === 'failed');
  const open = gates.filter((g) => g.status === 'inconclusive');
  const skipped = gates.filter((g) => g.status === 'skipped');
  if (minN < config.min_samples_per_arm) {
    return { verdict: 'inconclusive', reason: `too few samples: ${minN} < ${config.min_samples_per_arm} per run`, ...base };
  }
  if (failed.length > 0) return { verdict: 'fail', reason: `failed: ${failed.map((g) => g.name).join(', ')}`, ...base };
  if (open.length > 0 || skipped.length === gates.length) {
    const what = open.map((g) => (g.missing !== undefined ? `${g.name} (candidate lacks ${g.missing.map((m) => m.metric).join(', ')})` : g.flag !== undefined ? `${g.name} (cost sources differ)` : g.name));
    return { verdict: 'inconclusive', reason: `not proven: ${what.join(', ') || 'no gate has data in both runs'}`, ...base };
  }
  const unassessed = skipped.length > 0 ? `; not assessed, no data in either run: ${skipped.map((g) => g.name).join(', ')}` : '';
  return { verdict: 'pass', reason: `every gate with data is proven to hold: each interval (fixed-horizon, ${(100 * (1 - alpha)).toFixed(1)} % per metric) lies inside its limit${unassessed}`, ...base };
}
