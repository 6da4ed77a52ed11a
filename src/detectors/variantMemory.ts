import { METRICS, type MetricName } from '../core/decision.js';
import type { BaselineState } from './baseline.js';
import type { Detection } from './detect.js';
import type { RulePlan } from './rulePlan.js';
import { INACTIVE, type RuleState } from './ruleState.js';

/** Each metric's position in {@link METRICS}: a variant's baselines are an array by it. */
export const METRIC_INDEX = Object.fromEntries(METRICS.map((metric, i) => [metric, i])) as Readonly<Record<MetricName, number>>;

/** What a variant remembers of one rule by name (outside its plan's layout). */
interface RuleMemory {
  readonly state: RuleState;
  readonly detection: Detection | undefined;
}

/**
 * Detector memory of one (route, variant): each rule's state and last judged
 * detection, by the rule's position in {@link plan}, and each metric's
 * baseline by {@link METRIC_INDEX}. Arrays, not maps by name: a judgement
 * reads every rule's state, at every boundary of every series.
 *
 * @remarks A rule's memory belongs to its name: after a reconfigure the
 * memory is laid out again ({@link relayout}), and a rule that left the
 * plan keeps its memory aside, for when it comes back.
 */
export class VariantMemory {
  /** The plan {@link states} and {@link detections} are laid out for: rule i of `plan.rules` at index i. */
  plan: RulePlan;
  states: RuleState[];
  /** The last judged detection of each rule that was firing then: the evidence of a resolve when the traffic stops. */
  detections: (Detection | undefined)[];
  /** How many of {@link states} are not inactive. */
  active = 0;
  /** Each metric's baseline, by {@link METRIC_INDEX} (null: none yet). */
  readonly baselines: (BaselineState | null)[] = new Array<BaselineState | null>(METRICS.length).fill(null);
  /** Memory of rules outside the plan, by name (null: none). */
  private others: Map<string, RuleMemory> | null = null;

  constructor(
    readonly variant: string,
    plan: RulePlan,
  ) {
    this.plan = plan;
    this.states = new Array<RuleState>(plan.rules.length).fill(INACTIVE);
    this.detections = new Array<Detection | undefined>(plan.rules.length).fill(undefined);
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

  /** Lays the memory out for another plan (a reconfigure): every rule's memory follows its name. */
  relayout(plan: RulePlan): void {
    const byName = this.byName();
    this.plan = plan;
    this.states = new Array<RuleState>(plan.rules.length).fill(INACTIVE);
    this.detections = new Array<Detection | undefined>(plan.rules.length).fill(undefined);
    this.active = 0;
    this.others = null;
    this.place(byName);
  }

  /** The memory as plain data (see `RouteDetector.exportRoute`): states that are not inactive, detections, baselines; plan order, then the rest. */
  exportState(): VariantDetectorState {
    const byName = [...this.byName()];
    const baselines: (readonly [MetricName, BaselineState])[] = [];
    this.baselines.forEach((baseline, i) => {
      if (baseline !== null) baselines.push([METRICS[i]!, baseline]);
    });
    return {
      rules: byName.flatMap(([rule, memory]) => (memory.state.phase === 'inactive' ? [] : [[rule, memory.state] as const])),
      baselines,
      lastDetections: byName.flatMap(([rule, memory]) => (memory.detection === undefined ? [] : [[rule, memory.detection] as const])),
    };
  }

  /** A variant's memory from {@link exportState} data, laid out for `plan`. */
  static restore(variant: string, plan: RulePlan, state: VariantDetectorState): VariantMemory {
    const memory = new VariantMemory(variant, plan);
    const byName = new Map<string, RuleMemory>();
    for (const [rule, ruleState] of state.rules) byName.set(rule, { state: ruleState.phase === 'inactive' ? INACTIVE : ruleState, detection: undefined });
    for (const [rule, detection] of state.lastDetections) byName.set(rule, { state: byName.get(rule)?.state ?? INACTIVE, detection });
    memory.place(byName);
    for (const [metric, baseline] of state.baselines) {
      const slot = METRIC_INDEX[metric];
      if (slot !== undefined) memory.baselines[slot] = baseline;
    }
    return memory;
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
