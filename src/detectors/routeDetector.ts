import { planAction, type ActionBlock } from '../actions/planner.js';
import { configCatalog, type VariantCatalog } from '../actions/plannerCandidates.js';
import { RouteCooldowns } from '../actions/routeCooldown.js';
import { rulesFor, targetsFor, type Config, type Rule, type Targets } from '../config/schema.js';
import type { DecisionRecord, MetricName, ThresholdSource, TriggerRecord } from '../core/decision.js';
import type { WindowStats } from '../windows/windowStats.js';
import { freezeBaseline, updateBaseline, type BaselineState } from './baseline.js';
import { breachShown, detect, type Detection } from './detect.js';
import { metricSamples, metricValue } from './metricValue.js';
import { INACTIVE, stepRule, type RuleState, type RuleTransition } from './ruleState.js';
import { baselineThresholdValue, resolveThreshold, thresholdValue, type ThresholdContext } from './threshold.js';

/** Detector memory of one (route, variant). */
interface VariantMemory {
  readonly rules: Map<string, RuleState>;
  readonly baselines: Map<MetricName, BaselineState>;
  /** Last judged detection per rule: the evidence of a resolve when the variant's traffic stops. */
  readonly lastDetections: Map<string, Detection>;
}

/**
 * Evaluates every enabled rule of the config against a (route, variant)'s
 * rolling-window statistics at each bucket boundary (event time), keeps the
 * per-rule state machines and baselines, and plans actions.
 *
 * @remarks Deterministic: no clock, no randomness; the same sequence of
 * `evaluate` calls yields the same records. Records come in config rule order,
 * each trigger followed by the action it caused; a firing trigger whose action
 * was planned carries `evidence.action` (absent when cooldown or a missing
 * ladder step meant no action). Memory is bounded by the
 * number of (route, variant) pairs × rules. The route's cooldown is not its
 * own: it asks the shared {@link RouteCooldowns} before planning and starts
 * one there with each planned action.
 *
 * Baselines (for `{baseline: true}` thresholds) exist for metrics that some
 * enabled baseline rule watches; each evaluation folds the window's value in
 * after the rules ran, unless any rule on that metric is pending or firing for
 * this (route, variant) — then the baseline is frozen (neither value nor
 * decay moves), so a slow drift cannot become the new normal.
 */
export class RouteDetector {
  private rules: readonly Rule[] = [];
  /** Routes whose config changes some rule: their enabled rules. */
  private readonly routeRules = new Map<string, readonly Rule[]>();
  /** Every route without its own settings: its rules and their thresholds resolved once per config. */
  private defaultPlan: RulePlan = { rules: [], targets: {} as Targets, thresholds: new Float64Array(0) };
  /** Routes with their own targets or rules in the config (bounded by the config). */
  private readonly routePlans = new Map<string, RulePlan>();
  /** Metrics some enabled baseline rule watches, each once (an array: walked at every evaluation). */
  private baselineMetrics: readonly MetricName[] = [];
  /** Memory by route, then variant (nested maps: no key concatenation per evaluation). */
  private readonly variants = new Map<string, Map<string, VariantMemory>>();

  /**
   * `catalog`: the variants the planner sees beyond config (the daemon passes its route registry);
   * `cooldowns`: the routes' cooldowns (the daemon passes the experiment manager's, so both consult one).
   */
  constructor(
    private config: Config,
    private readonly catalog: VariantCatalog = configCatalog(config),
    private readonly cooldowns: RouteCooldowns = new RouteCooldowns(),
  ) {
    this.reconfigure(config);
  }

  /** Applies reloaded rules and route settings; the memory of rules that stay (states, baselines) carries on. */
  reconfigure(config: Config): void {
    this.config = config;
    this.routeRules.clear();
    this.rules = config.rules.filter((rule) => rule.enabled);
    for (const route of Object.keys(config.routes)) {
      const own = rulesFor(config, route);
      if (own !== config.rules) this.routeRules.set(route, own.filter((rule) => rule.enabled));
    }
    this.defaultPlan = rulePlan(config, this.rules, config.targets);
    this.routePlans.clear();
    for (const route of Object.keys(config.routes)) this.routePlans.set(route, rulePlan(config, this.rulesOf(route), targetsFor(config, route)));
    const everyRule = [this.rules, ...this.routeRules.values()].flat();
    this.baselineMetrics = [...new Set(everyRule.filter((rule) => typeof rule.threshold === 'object' && 'baseline' in rule.threshold).map((rule) => rule.metric))];
  }

  /** Enabled rules on a route (its `routes.<route>.rules` settings applied). */
  private rulesOf(route: string): readonly Rule[] {
    return this.routeRules.get(route) ?? this.rules;
  }

  /**
   * Evaluates all rules for one (route, variant) window ending at `nowMs`
   * (the bucket boundary, epoch ms event time). Returns trigger records
   * (`firing` / `resolved` edges only) and planned action records. With
   * `actions: false` (a variant that is not the route's production one, e.g. a
   * canary) rules still alert but plan no action.
   */
  evaluate(stats: WindowStats, nowMs: number, options: EvaluateOptions = {}): DecisionRecord[] {
    const out: DecisionRecord[] = [];
    this.evaluateInto(out, stats, nowMs, options);
    return out;
  }

  /** {@link evaluate}, appending the records to `out` (no array per evaluation). */
  evaluateInto(out: DecisionRecord[], stats: WindowStats, nowMs: number, options: EvaluateOptions = {}): void {
    const production = options.production !== undefined ? options.production : options.actions === false ? null : stats.variant;
    const memory = this.memoryFor(stats.route, stats.variant);
    const plan = this.routePlans.get(stats.route) ?? this.defaultPlan;
    const targets = plan.targets;
    const timingGapMs = Math.max(this.config.time.window, stats.windowEndMs - stats.windowStartMs);
    const unchanged = options.unchanged === true;
    const rules = plan.rules;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const previous = memory.rules.get(rule.name) ?? INACTIVE;
      // An inactive rule with a fixed threshold on an unchanged window stays inactive: its last judgement saw the
      // same values against the same threshold (and a state that became inactive then was not breached: intervals
      // contain the value, so a clear value is never a breach). A baseline-relative threshold moves: judged again.
      const planned = plan.thresholds[r]!;
      if (unchanged && previous.phase === 'inactive' && !Number.isNaN(planned)) continue;
      const baseline = memory.baselines.get(rule.metric) ?? null;
      // Stays inactive (nothing to record) unless the window shows the breach: most rules, most of the time.
      if (previous.phase === 'inactive' && !this.breachShown(stats, rule, planned, baseline, targets)) continue;
      const context = {
        targets,
        baseline,
        baselineMinSamples: this.config.baseline.min_samples,
        tokenBudgetPerRequest: this.config.budgets.tokens.max_per_request,
      };
      const threshold = resolveThreshold(rule, context);
      const detection = detect(stats, rule, threshold);
      const step = stepRule(previous, detection, { forMs: rule.for, keepFiringForMs: rule.keep_firing_for, maxGapMs: timingGapMs }, nowMs);
      if (step.next !== previous) memory.rules.set(rule.name, step.next);
      if (detection !== null && step.next.phase === 'firing') memory.lastDetections.set(rule.name, detection);
      if (step.transition === null || detection === null) continue;
      const trigger = triggerRecord(rule, detection, step.transition, nowMs);
      if (step.transition.state === 'firing' && rule.action !== undefined) {
        const plan = planAction(
          {
            route: stats.route, variant: stats.variant, pattern: stats.pattern, rule: rule.name, kind: rule.action,
            metric: rule.metric, op: rule.op, value: detection.value, threshold: detection.threshold, samples: detection.samples,
            heldMs: step.transition.heldMs, episodeStartMs: step.transition.episodeStartMs, nowMs,
            production: production ?? `another variant`, blocked: options.blocked ?? null,
          },
          this.cooldowns.get(stats.route),
          this.config,
          this.catalog,
        );
        if (plan.outcome === 'planned') {
          this.cooldowns.start(stats.route, plan.cooldown);
          out.push({ ...trigger, evidence: { ...trigger.evidence, action: rule.action } }, plan.record);
        } else {
          // Nothing happens silently: the action not taken is a record, once per episode (firing edge).
          out.push(trigger, plan.record);
        }
        continue;
      }
      out.push(trigger);
    }
    this.updateBaselines(stats, memory);
  }

  /** The current baseline of a metric for a (route, variant), or null if none yet (for status pages and tests). */
  baselineOf(route: string, variant: string, metric: MetricName): BaselineState | null {
    return this.variants.get(route)?.get(variant)?.baselines.get(metric) ?? null;
  }

  /**
   * Every enabled rule of a route as it stands for one variant: its effective
   * threshold (null while a baseline-relative one has too little history),
   * its phase, and — while firing — the value that last held it. For status
   * pages; changes nothing.
   */
  ruleStatuses(route: string, variant: string): RuleStatus[] {
    const memory = this.variants.get(route)?.get(variant);
    const targets = targetsFor(this.config, route);
    return this.rulesOf(route).map((rule) => {
      const threshold = resolveThreshold(rule, {
        targets,
        baseline: memory?.baselines.get(rule.metric) ?? null,
        baselineMinSamples: this.config.baseline.min_samples,
      });
      const state = memory?.rules.get(rule.name) ?? INACTIVE;
      const last = state.phase === 'firing' ? memory?.lastDetections.get(rule.name) : undefined;
      return {
        rule: rule.name, metric: rule.metric, op: rule.op, severity: rule.severity, action: rule.action ?? null,
        for_ms: rule.for, threshold: threshold?.value ?? null, threshold_from: threshold?.from ?? null,
        state: state.phase,
        since: state.phase === 'pending' ? state.sinceMs : state.phase === 'firing' ? state.episodeStartMs : null,
        fired_at: state.phase === 'firing' ? state.firedMs : null,
        value: last?.value ?? null,
      };
    });
  }

  /** The state of one rule for a (route, variant); inactive if never evaluated. */
  ruleState(route: string, variant: string, rule: string): RuleState {
    return this.variants.get(route)?.get(variant)?.rules.get(rule) ?? INACTIVE;
  }

  /**
   * Retires a (route, variant) whose traffic stopped (its window is empty):
   * every firing rule resolves — evidence from its last judged window, with
   * `reason: "no_traffic"` — so alerts do not stay open for a variant nobody
   * serves any more (e.g. the baseline after a promotion); then its state is
   * dropped.
   */
  retire(route: string, variant: string, nowMs: number): TriggerRecord[] {
    const memory = this.variants.get(route)?.get(variant);
    const out: TriggerRecord[] = [];
    if (memory !== undefined) {
      for (const rule of this.rulesOf(route)) {
        const state = memory.rules.get(rule.name);
        const last = memory.lastDetections.get(rule.name);
        if (state?.phase !== 'firing' || last === undefined) continue;
        const record = triggerRecord(rule, last, { state: 'resolved', heldMs: nowMs - state.firedMs, episodeStartMs: state.episodeStartMs }, nowMs);
        out.push({ ...record, evidence: { ...record.evidence, reason: 'no_traffic' } });
      }
    }
    this.forget(route, variant);
    return out;
  }

  /** Routes with detector state (for memory gauges). */
  sizes(): { routes: number } {
    return { routes: this.variants.size };
  }

  /** Drops a route whose variants are all retired. */
  forgetRoute(route: string): void {
    this.variants.delete(route);
  }

  /** Drops all state of a (route, variant), e.g. once the variant is retired. */
  forget(route: string, variant: string): void {
    const byVariant = this.variants.get(route);
    byVariant?.delete(variant);
    if (byVariant?.size === 0) this.variants.delete(route);
  }

  /**
   * A route's detector memory as plain data, for a checkpoint: per variant its
   * rule states, baselines and last judged detections. Null when the detector
   * holds nothing for it. (The route's cooldown is in its control state.)
   */
  exportRoute(route: string): RouteDetectorState | null {
    const byVariant = this.variants.get(route);
    if (byVariant === undefined) return null;
    const variants: [string, VariantDetectorState][] = [];
    for (const [variant, memory] of byVariant) {
      variants.push([variant, { rules: [...memory.rules], baselines: [...memory.baselines], lastDetections: [...memory.lastDetections] }]);
    }
    return { variants };
  }

  /** Replaces a route's detector memory with an {@link exportRoute} value (null: forgets it). */
  importRoute(route: string, state: RouteDetectorState | null): void {
    this.variants.delete(route);
    if (state === null || state.variants.length === 0) return;
    const byVariant = new Map<string, VariantMemory>();
    for (const [variant, v] of state.variants) {
      byVariant.set(variant, { rules: new Map(v.rules), baselines: new Map(v.baselines), lastDetections: new Map(v.lastDetections) });
    }
    this.variants.set(route, byVariant);
  }

  private updateBaselines(stats: WindowStats, memory: VariantMemory): void {
    const metrics = this.baselineMetrics;
    for (let m = 0; m < metrics.length; m++) {
      const metric = metrics[m]!;
      const previous = memory.baselines.get(metric) ?? null;
      let frozen = false;
      for (const rule of this.rulesOf(stats.route)) {
        if (rule.metric === metric && isActive(memory.rules.get(rule.name))) {
          frozen = true;
          break;
        }
      }
      const value = metricValue(stats, metric);
      const next = frozen
        ? freezeBaseline(previous, stats.windowEndMs)
        : value === null
          ? previous
          : updateBaseline(previous, { value, samples: metricSamples(stats, metric), windowStartMs: stats.windowStartMs, windowEndMs: stats.windowEndMs }, this.config.baseline.half_life);
      if (next !== null) memory.baselines.set(metric, next);
    }
  }

  /**
   * Whether the window shows the rule's breach (the test `detect` + `stepRule` apply to leave the inactive state),
   * judged without building evidence; false when the threshold is unknown. An inactive rule for which this is
   * false stays inactive, so the evaluation skips it. `planned`: the threshold resolved with the config (NaN:
   * baseline-relative, resolved here).
   */
  private breachShown(stats: WindowStats, rule: Rule, planned: number, baseline: BaselineState | null, targets: Targets): boolean {
    let threshold: number | null = planned;
    if (Number.isNaN(planned)) {
      if (metricValue(stats, rule.metric) === null) return false;
      const isBaseline = typeof rule.threshold === 'object' && 'baseline' in rule.threshold;
      threshold = isBaseline
        ? baselineThresholdValue(rule, baseline, this.config.baseline.min_samples)
        : thresholdValue(rule, { targets, baseline, baselineMinSamples: this.config.baseline.min_samples });
      if (threshold === null) return false;
    }
    return breachShown(stats, rule, threshold);
  }

  private memoryFor(route: string, variant: string): VariantMemory {
    let byVariant = this.variants.get(route);
    if (byVariant === undefined) {
      byVariant = new Map();
      this.variants.set(route, byVariant);
    }
    let memory = byVariant.get(variant);
    if (memory === undefined) {
      memory = { rules: new Map(), baselines: new Map(), lastDetections: new Map() };
      byVariant.set(variant, memory);
    }
    return memory;
  }
}

/** Detector memory of one (route, variant) as plain data (see {@link RouteDetector.exportRoute}). */
export interface VariantDetectorState {
  readonly rules: readonly (readonly [rule: string, state: RuleState])[];
  readonly baselines: readonly (readonly [metric: MetricName, baseline: BaselineState])[];
  readonly lastDetections: readonly (readonly [rule: string, detection: Detection])[];
}

/** A route's detector memory as plain data, per variant. */
export interface RouteDetectorState {
  readonly variants: readonly (readonly [variant: string, state: VariantDetectorState])[];
}

/** One rule's standing on one (route, variant), as {@link RouteDetector.ruleStatuses} reports it (JSON field names). */
export interface RuleStatus {
  readonly rule: string;
  readonly metric: MetricName;
  readonly op: 'gt' | 'lt';
  readonly severity: Rule['severity'];
  readonly action: Rule['action'] | null;
  /** `rule.for`, ms. */
  readonly for_ms: number;
  /** Effective threshold in the metric's unit, or null (a baseline still too short). */
  readonly threshold: number | null;
  readonly threshold_from: ThresholdSource | null;
  readonly state: RuleState['phase'];
  /** Pending: when the condition started holding; firing: the episode's start (epoch ms event time). */
  readonly since: number | null;
  readonly fired_at: number | null;
  /** While firing: the metric's value in the last window that judged it. */
  readonly value: number | null;
}

/** Options of {@link RouteDetector.evaluate}. */
export interface EvaluateOptions {
  /** `false`: plan no action (the variant is not the route's production one). Prefer `production`. */
  readonly actions?: boolean;
  /** The route's production variant (null: unknown); actions are planned only for it, others get a skipped record. */
  readonly production?: string | null;
  /** A route-level reason to take no action now (frozen, experiment running, cooling down as of the boundary). */
  readonly blocked?: ActionBlock | null;
  /**
   * The window's values are those of this (route, variant)'s previous evaluation (only its bounds moved) and the
   * rules have not been reconfigured since: inactive rules with a fixed threshold are not judged again.
   */
  readonly unchanged?: boolean;
}

function isActive(state: RuleState | undefined): boolean {
  return state !== undefined && state.phase !== 'inactive';
}


/**
 * One rule set as a route sees it: its enabled rules, its targets, and each
 * rule's threshold resolved once per config (NaN for a baseline-relative one,
 * which moves with the baseline and is resolved per evaluation).
 */
interface RulePlan {
  readonly rules: readonly Rule[];
  readonly targets: Targets;
  readonly thresholds: Float64Array;
}

function rulePlan(config: Config, rules: readonly Rule[], targets: Targets): RulePlan {
  const thresholds = new Float64Array(rules.length);
  const context: ThresholdContext = { targets, baseline: null, baselineMinSamples: 0, tokenBudgetPerRequest: config.budgets.tokens.max_per_request };
  rules.forEach((rule, i) => {
    const fixed = typeof rule.threshold === 'number' || !('baseline' in rule.threshold);
    thresholds[i] = fixed ? (thresholdValue(rule, context) ?? Number.NaN) : Number.NaN;
  });
  return { rules, targets, thresholds };
}

function triggerRecord(rule: Rule, detection: Detection, transition: RuleTransition, nowMs: number): TriggerRecord {
  return {
    type: 'trigger',
    ts: nowMs,
    route: detection.route,
    variant: detection.variant,
    rule: rule.name,
    metric: rule.metric,
    value: detection.value,
    threshold: detection.threshold,
    severity: rule.severity,
    state: transition.state,
    evidence: {
      window_ms: detection.windowEndMs - detection.windowStartMs,
      window_start: detection.windowStartMs,
      window_end: detection.windowEndMs,
      samples: detection.samples,
      threshold_from: detection.thresholdFrom,
      held_ms: transition.heldMs,
      ci: [detection.lower, detection.upper],
      confidence: detection.confidence,
      ci_method: detection.method,
    },
  };
}
