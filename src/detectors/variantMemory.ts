import { METRICS, type MetricName } from '../core/decision.js';
import { BASELINE_FIELDS, readBaseline, writeBaseline, type BaselineState } from './baseline.js';
import type { Detection } from './detect.js';
import type { RulePlan } from './rulePlan.js';
import { INACTIVE, type RuleState } from './ruleState.js';

/** What a variant remembers of one rule by name (outside its plan's layout). */
interface RuleMemory {
  readonly state: RuleState;
  readonly detection: Detection | undefined;
}

/**
 * Detector memory of one (route, variant): each rule's state and last judged
 * detection, by the rule's position in {@link plan}, and the baseline of
 * each of the plan's baseline metrics, in place in {@link baselines}. Arrays,
 * not maps by name: a judgement reads every rule's state and updates every
 * baseline, at every boundary of every series.
 *
 * @remarks A rule's memory belongs to its name: after a reconfigure the
 * memory is laid out again ({@link relayout}), and a rule (or baseline)
 * that left the plan keeps its memory aside, for when it comes back.
 */
export class VariantMemory {
  /** The plan {@link states} and {@link detections} are laid out for: rule i of `plan.rules` at index i. */
  plan: RulePlan;
  states: RuleState[];
  /** The last judged detection of each rule that was firing then: the evidence of a resolve when the traffic stops. */
  detections: (Detection | undefined)[];
  /** How many of {@link states} are not inactive. */
  active = 0;
  /** The baseline of each of `plan.baselineMetrics`, {@link BASELINE_FIELDS} numbers each (see `readBaseline`). */
  baselines: Float64Array;
  /** Memory of rules outside the plan, by name (null: none). */
  private others: Map<string, RuleMemory> | null = null;
  /** Baselines of metrics outside the plan's (null: none). */
  private otherBaselines: Map<MetricName, BaselineState> | null = null;
  /** False once the detector dropped this memory (retired, forgotten, replaced by a restore): a handle to it is stale. */
  attached = true;

  /** `generation`: the detector's reconfigure count `plan` is current for (an older one: laid out again before use). */
  constructor(
    readonly route: string,
    readonly variant: string,
    plan: RulePlan,
    public generation: number,
  ) {
    this.plan = plan;
    this.states = new Array<RuleState>(plan.rules.length).fill(INACTIVE);
    this.detections = new Array<Detection | undefined>(plan.rules.length).fill(undefined);
    this.baselines = new Float64Array(plan.baselineMetrics.length * BASELINE_FIELDS).fill(Number.NaN);
  }

  /** Sets the state of the rule at `position` in the plan. */
  setState(position: number, next: RuleState): void {
    const previous = this.states[position]!;
    this.states[position] = next;
    this.active += (next.phase !== 'inactive' ? 1 : 0) - (previous.phase !== 'inactive' ? 1 : 0);
  }

  /** A rule's state by name; inactive if never judged. */
  ruleState(rule: string): RuleState {
    const position = this.plan.positions.get(rule);
    return position === undefined ? (this.others?.get(rule)?.state ?? INACTIVE) : this.states[position]!;
  }

  /** A rule's last judged detection while firing, by name. */
  lastDetection(rule: string): Detection | undefined {
    const position = this.plan.positions.get(rule);
    return position === undefined ? this.others?.get(rule)?.detection : this.detections[position];
  }

  /** A metric's baseline, or null if none yet. */
  baseline(metric: MetricName): BaselineState | null {
    const m = this.plan.baselineMetrics.indexOf(metric);
    return m < 0 ? (this.otherBaselines?.get(metric) ?? null) : readBaseline(this.baselines, m * BASELINE_FIELDS);
  }

  /** Lays the memory out for another plan (a reconfigure): every rule's memory follows its name, every baseline its metric. */
  relayout(plan: RulePlan): void {
    const byName = this.byName();
    const baselines = this.baselinesByMetric();
    this.plan = plan;
    this.states = new Array<RuleState>(plan.rules.length).fill(INACTIVE);
    this.detections = new Array<Detection | undefined>(plan.rules.length).fill(undefined);
    this.baselines = new Float64Array(plan.baselineMetrics.length * BASELINE_FIELDS).fill(Number.NaN);
    this.active = 0;
    this.others = null;
    this.otherBaselines = null;
    this.place(byName);
    for (const [metric, baseline] of baselines) this.placeBaseline(metric, baseline);
  }

  /** The memory as plain data (see `RouteDetector.exportRoute`): states that are not inactive, detections, baselines; plan order, then the rest. */
  exportState(): VariantDetectorState {
    const byName = [...this.byName()];
    const byMetric = this.baselinesByMetric();
    const baselines = METRICS.flatMap((metric) => {
      const baseline = byMetric.get(metric);
      return baseline === undefined ? [] : [[metric, baseline] as const];
    });
    return {
      rules: byName.flatMap(([rule, memory]) => (memory.state.phase === 'inactive' ? [] : [[rule, memory.state] as const])),
      baselines,
      lastDetections: byName.flatMap(([rule, memory]) => (memory.detection === undefined ? [] : [[rule, memory.detection] as const])),
    };
  }

  /** A variant's memory from {@link exportState} data, laid out for `plan`. */
  static restore(route: string, variant: string, plan: RulePlan, state: VariantDetectorState, generation: number): VariantMemory {
    const memory = new VariantMemory(route, variant, plan, generation);
    const byName = new Map<string, RuleMemory>();
    for (const [rule, ruleState] of state.rules) byName.set(rule, { state: ruleState.phase === 'inactive' ? INACTIVE : ruleState, detection: undefined });
    for (const [rule, detection] of state.lastDetections) byName.set(rule, { state: byName.get(rule)?.state ?? INACTIVE, detection });
    memory.place(byName);
    for (const [metric, baseline] of state.baselines) memory.placeBaseline(metric, baseline);
    return memory;
  }

  /** Every baseline by metric: the plan's, then the others. */
  private baselinesByMetric(): Map<MetricName, BaselineState> {
    const byMetric = new Map<MetricName, BaselineState>();
    this.plan.baselineMetrics.forEach((metric, m) => {
      const baseline = readBaseline(this.baselines, m * BASELINE_FIELDS);
      if (baseline !== null) byMetric.set(metric, baseline);
    });
    if (this.otherBaselines !== null) for (const [metric, baseline] of this.otherBaselines) byMetric.set(metric, baseline);
    return byMetric;
  }

  /** Writes a baseline into the layout: in place for one of the plan's baseline metrics, else aside. */
  private placeBaseline(metric: MetricName, baseline: BaselineState): void {
    const m = this.plan.baselineMetrics.indexOf(metric);
    if (m < 0) (this.otherBaselines ??= new Map()).set(metric, baseline);
    else writeBaseline(this.baselines, m * BASELINE_FIELDS, baseline);
  }

  /** Every rule's memory by name: the plan's rules in order, then the others; rules with no memory left out. */
  private byName(): Map<string, RuleMemory> {
    const byName = new Map<string, RuleMemory>();
    this.plan.rules.forEach((rule, i) => {
      const state = this.states[i]!;
      const detection = this.detections[i];
      if (state.phase !== 'inactive' || detection !== undefined) byName.set(rule.name, { state, detection });
    });
    if (this.others !== null) for (const [rule, memory] of this.others) byName.set(rule, memory);
    return byName;
  }

  /** Writes rule memories into the (fresh) layout: the plan's rules at their positions, the rest aside. */
  private place(byName: ReadonlyMap<string, RuleMemory>): void {
    for (const [rule, memory] of byName) {
      const position = this.plan.positions.get(rule);
      if (position === undefined) {
        (this.others ??= new Map()).set(rule, memory);
        continue;
      }
      this.setState(position, memory.state);
      this.detections[position] = memory.detection;
    }
  }
}

/** Detector memory of one (route, variant) as plain data (see {@link VariantMemory.exportState}). */
export interface VariantDetectorState {
  readonly rules: readonly (readonly [rule: string, state: RuleState])[];
  readonly baselines: readonly (readonly [metric: MetricName, baseline: BaselineState])[];
  readonly lastDetections: readonly (readonly [rule: string, detection: Detection])[];
}
