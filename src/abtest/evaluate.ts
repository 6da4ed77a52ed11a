import type { AbTestConfig } from '../config/schema.js';
import type { ActionKind, MetricEvidence } from '../core/decision.js';
import type { Arm, TelemetryEvent } from '../core/event.js';
import { addEvent, createArmStats, type ArmEvent, type ArmStats } from './armStats.js';
import { compareArms, COMPARED_METRICS, hasData, metricAlpha, toEvidence, type ComparedMetric, type Comparison } from './compare.js';
import { assessGates, assessTriggers, type GateAssessment } from './guards.js';
import { checkSampleRatio, type SrmCheck } from './srm.js';
import { addTailEvent, createTailState, type TailState } from './tail.js';

/**
 * What the tester needs to know about a running experiment. Plain data
 * (JSON-serializable) so a state store can keep it.
 */
export interface ExperimentState {
  /** Event time the experiment started, epoch ms. */
  readonly startedAtMs: number;
  readonly baseline: ArmStats;
  readonly candidate: ArmStats;
  /** Σ over counted events of the candidate share in force when each was assigned (SRM expectation). */
  expectedCandidate: number;
  /** Frozen-threshold state of the p95 comparison. */
  readonly tail: TailState;
}

/**
 * A fresh experiment state. The p95 threshold freezes when the baseline has
 * `p95FreezeSamples` events (use `min_samples_per_arm`).
 */
export function createExperimentState(startedAtMs: number, p95FreezeSamples = 100): ExperimentState {
  return { startedAtMs, baseline: createArmStats(), candidate: createArmStats(), expectedCandidate: 0, tail: createTailState(p95FreezeSamples) };
}

/**
 * Counts one event of the experiment in its arm; `candidateShare` is the
 * candidate traffic share in force when the event's unit was assigned.
 * Returns false (and changes nothing) when the event carries no arm.
 */
export function recordExperimentEvent(state: ExperimentState, event: TelemetryEvent, candidateShare: number, arm: Arm | undefined = event.arm): boolean {
  if (arm === undefined) return false;
  addArmEvent(state, arm === 'candidate', event);
  state.expectedCandidate += Math.min(1, Math.max(0, candidateShare));
  return true;
}

/** Adds one event to an arm and to the p95 test (for callers that track the SRM expectation themselves). */
export function addArmEvent(state: ExperimentState, isCandidate: boolean, event: ArmEvent): void {
  addEvent(isCandidate ? state.candidate : state.baseline, event);
  addTailEvent(state.tail, isCandidate, event.latencyMs, state.baseline);
}

/** Options of {@link evaluateExperiment}. */
export interface EvaluateOptions {
  /**
   * Whether rollback triggers take part in the decision (default true). False
   * under an `on_breach: pause | alert_only` policy: the caller acts on
   * `triggers` itself, and gates and the primary metric alone decide.
   */
  readonly triggersDecide?: boolean;
}

/** What to do with an experiment now. `inconclusive` keeps the baseline. */
export type ExperimentDecision = 'continue' | 'promote' | 'rollback' | 'inconclusive';

/** Result of {@link evaluateExperiment}. */
export interface ExperimentEvaluation {
  readonly decision: ExperimentDecision;
  /** One line: which check decided, with its numbers. */
  readonly reason: string;
  /** DESIGN §5 evidence per metric with data (ci = anytime-valid CS at the metric's alpha share; p = anytime-valid p). */
  readonly evidence: Record<string, MetricEvidence>;
  /** Sample-ratio check; when `mismatch`, decisions are blocked and the caller must alert. */
  readonly srm: SrmCheck;
  readonly gates: readonly GateAssessment[];
  readonly triggers: readonly GateAssessment[];
}

/** Evidence for every compared metric that has data in at least one arm. */
export function evidenceOf(comparisons: Readonly<Record<ComparedMetric, Comparison>>, alpha: number): Record<string, MetricEvidence> {
  const out: Record<string, MetricEvidence> = {};
  for (const name of COMPARED_METRICS) {
    const c = comparisons[name];
    if (c.baseline !== null || c.candidate !== null) out[name] = toEvidence(c, alpha);
  }
  return out;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The kind's primary question: proven better (success), proven worse (futile), or open. */
function primary(c: Readonly<Record<ComparedMetric, Comparison>>, kind: ActionKind, floor: number): { status: 'better' | 'worse' | 'open' | 'no_data'; detail: string } {
  const better = (m: Comparison, higherIsBetter: boolean, f: number): boolean => (higherIsBetter ? m.lo > f : m.hi < -f);
  const worse = (m: Comparison, higherIsBetter: boolean, f: number): boolean => (higherIsBetter ? m.hi < -f : m.lo > f);
  const line = (m: Comparison): string => `${m.metric} ${m.delta === null ? 'n/a' : pct(m.delta)} [${pct(m.lo)}, ${pct(m.hi)}]`;
  if (kind === 'pattern_simplification') {
    const m = c.latency_ms;
    if (!hasData(m)) return { status: 'no_data', detail: 'no latency data' };
    if (worse(m, false, floor) || worse(c.latency_p95_ms, false, floor)) return { status: 'worse', detail: `candidate is slower: ${line(m)}; ${line(c.latency_p95_ms)}` };
    return { status: better(m, false, floor) ? 'better' : 'open', detail: line(m) };
  }
  if (kind === 'pattern_enhancement') {
    const m = hasData(c.accuracy) ? c.accuracy : c.quality;
    if (!hasData(m)) return { status: 'no_data', detail: 'no accuracy or quality data' };
    const f = m.unit === 'points' ? floor * (m.baseline ?? 1) : floor;
    if (worse(m, true, f)) return { status: 'worse', detail: `candidate is less accurate: ${line(m)}` };
    return { status: better(m, true, f) ? 'better' : 'open', detail: line(m) };
  }
  const savings = [c.cost_per_task_usd, c.tokens_per_request].filter(hasData);
  if (savings.length === 0) return { status: 'no_data', detail: 'no cost or token data' };
  if (!hasData(c.quality) && !hasData(c.accuracy)) return { status: 'no_data', detail: 'no quality data to check preservation' };
  const detail = savings.map(line).join('; ');
  if (savings.some((m) => worse(m, false, floor))) return { status: 'worse', detail: `candidate costs more: ${detail}` };
  return { status: savings.every((m) => better(m, false, floor)) ? 'better' : 'open', detail };
}

/**
 * Decides an experiment from its state, valid at every look (call it after
 * every batch). Order: SRM blocks everything (deadline still ends it
 * inconclusive); below `min_samples_per_arm` it continues; a proven rollback
 * trigger, gate violation, or primary-metric deterioration rolls back; the
 * kind's success criterion plus every applicable gate passed promotes; past
 * `max_duration` it is inconclusive (baseline stays); otherwise it continues.
 */
export function evaluateExperiment(state: ExperimentState, config: AbTestConfig, kind: ActionKind, nowMs: number, options: EvaluateOptions = {}): ExperimentEvaluation {
  const triggersDecide = options.triggersDecide ?? true;
  const comparisons = compareArms(state.baseline, state.candidate, config, state.tail);
  const evidence = evidenceOf(comparisons, metricAlpha(config));
  const srm = checkSampleRatio(state.baseline.n, state.candidate.n, state.expectedCandidate, config.srm_p_value);
  const gates = assessGates(comparisons, config, kind);
  const triggers = assessTriggers(comparisons, config, kind);
  const expired = nowMs - state.startedAtMs >= config.max_duration;
  const done = (decision: ExperimentDecision, reason: string): ExperimentEvaluation => ({ decision, reason, evidence, srm, gates, triggers });
  if (srm.mismatch) {
    const srmLine = `sample ratio mismatch (chi-square p=${srm.p.toExponential(2)} < ${config.srm_p_value}; observed ${srm.observed[0]}/${srm.observed[1]}, expected ${srm.expected[0].toFixed(0)}/${srm.expected[1].toFixed(0)})`;
    return expired ? done('inconclusive', `deadline reached with ${srmLine}; baseline kept`) : done('continue', `${srmLine}: automated decisions blocked`);
  }
  const minN = Math.min(state.baseline.n, state.candidate.n);
  if (minN < config.min_samples_per_arm) {
    return expired ? done('inconclusive', `deadline reached with ${minN} < ${config.min_samples_per_arm} samples per arm; baseline kept`) : done('continue', `waiting for ${config.min_samples_per_arm} samples per arm (have ${minN})`);
  }
  const floor = config.effect_floor_pct / 100;
  const main = primary(comparisons, kind, floor);
  const problems = [
    ...(triggersDecide ? triggers.filter((t) => t.status === 'failed').map((t) => `rollback trigger: ${t.reason}`) : []),
    ...gates.filter((g) => g.status === 'failed').map((g) => `gate violated: ${g.reason}`),
    ...(main.status === 'worse' ? [`${kind} cannot succeed: ${main.detail}`] : []),
  ];
  if (problems.length > 0) return done('rollback', problems.join(' | '));
  const pending = [...gates, ...(triggersDecide ? triggers : [])].filter((g) => g.status === 'inconclusive');
  if (main.status === 'better' && pending.length === 0) {
    return done('promote', `${kind} succeeded: ${main.detail}; all gates passed`);
  }
  const waiting = main.status === 'better' ? `gates not yet proven: ${pending.map((g) => g.name).join(', ')}` : `primary not yet proven (${main.detail})`;
  if (expired) return done('inconclusive', `deadline reached: ${waiting}; baseline kept`);
  return done('continue', waiting);
}
