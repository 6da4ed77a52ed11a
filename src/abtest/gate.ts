import type { AbTestConfig } from '../config/schema.js';
import type { MetricEvidence } from '../core/decision.js';
import type { ArmEvent } from './armStats.js';
import { compareArms, metricAlpha } from './compare.js';
import { addArmEvent, createExperimentState, evidenceOf, type ExperimentState } from './evaluate.js';
import { assessGates, assessTriggers, type GateName, type GateStatus, type TriggerName } from './guards.js';

/** Verdict of the pre-deployment gate. */
export type GateVerdict = 'pass' | 'fail' | 'inconclusive';

/** One gate (or rollback trigger) of the verdict with the evidence of its metrics. */
export interface GateResult {
  readonly name: GateName | TriggerName;
  readonly status: GateStatus;
  /** Limit in the metric's delta unit (relative fraction, or points for error rate). */
  readonly threshold: number;
  readonly reason: string;
  readonly evidence: Record<string, MetricEvidence>;
}

/** Result of {@link evaluateGate}. */
export interface GateEvaluation {
  readonly verdict: GateVerdict;
  readonly reason: string;
  /** Events per run: [baseline, candidate]. */
  readonly n: readonly [number, number];
  readonly gates: readonly GateResult[];
  /** Evidence for every metric with data. */
  readonly evidence: Record<string, MetricEvidence>;
}

/**
 * The reference guide's pre-deployment performance gate on two recorded runs,
 * with the A/B tester's statistics: every gate of DESIGN §4 as a
 * non-inferiority test, plus the rollback triggers. `fail` when any is proven
 * violated, `pass` when every one with data is proven to hold, otherwise (or
 * below `min_samples_per_arm`) `inconclusive`.
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

  constructor(private readonly config: AbTestConfig) {
    this.state = createExperimentState(0, config.min_samples_per_arm);
  }

  addBaseline(event: ArmEvent): void {
    addArmEvent(this.state, false, event);
  }

  addCandidate(event: ArmEvent): void {
    addArmEvent(this.state, true, event);
  }

  /** The verdict over everything added so far. */
  evaluate(): GateEvaluation {
    return verdictOf(this.state, this.config);
  }
}

function verdictOf(state: ExperimentState, config: AbTestConfig): GateEvaluation {
  const comparisons = compareArms(state.baseline, state.candidate, config, state.tail);
  const alpha = metricAlpha(config);
  const evidence = evidenceOf(comparisons, alpha);
  const assessed = [...assessGates(comparisons, config, null), ...assessTriggers(comparisons, config)];
  const gates: GateResult[] = assessed.map((a) => ({
    name: a.name,
    status: a.status,
    threshold: a.threshold,
    reason: a.reason,
    evidence: Object.fromEntries(a.metrics.flatMap((m) => (evidence[m] === undefined ? [] : [[m, evidence[m]]]))),
  }));
  const n = [state.baseline.n, state.candidate.n] as const;
  const minN = Math.min(n[0], n[1]);
  const failed = gates.filter((g) => g.status === 'failed');
  const open = gates.filter((g) => g.status === 'inconclusive');
  if (minN < config.min_samples_per_arm) {
    return { verdict: 'inconclusive', reason: `too few samples: ${minN} < ${config.min_samples_per_arm} per run`, n, gates, evidence };
  }
  if (failed.length > 0) return { verdict: 'fail', reason: `failed: ${failed.map((g) => g.name).join(', ')}`, n, gates, evidence };
  if (open.length > 0 || gates.every((g) => g.status === 'skipped')) {
    return { verdict: 'inconclusive', reason: `not proven yet: ${open.map((g) => g.name).join(', ') || 'no gate has data'}`, n, gates, evidence };
  }
  return { verdict: 'pass', reason: 'every gate with data is proven to hold', n, gates, evidence };
}
