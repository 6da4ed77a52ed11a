import { planAction, type ActionBlock } from '../actions/planner.js';
import { configCatalog, type VariantCatalog } from '../actions/plannerCandidates.js';
import { RouteCooldowns } from '../actions/routeCooldown.js';
import { rulesFor, targetsFor, type Config, type Rule } from '../config/schema.js';
import type { DecisionRecord, MetricName, ThresholdSource, TriggerRecord } from '../core/decision.js';
import type { WindowStats } from '../windows/windowStats.js';
import { BASELINE_FIELDS, freezeBaselineAt, updateBaselineAt, type BaselineState } from './baseline.js';
import { breachShown, detect, WindowIntervals, type Detection } from './detect.js';
import { metricSamples, metricValue } from './metricValue.js';
import { rulePlan, type RulePlan } from './rulePlan.js';
import { INACTIVE, stepRule, type RuleState, type RuleTransition } from './ruleState.js';
import { baselineThreshold, resolveThreshold } from './threshold.js';
import { VariantMemory, type VariantDetectorState } from './variantMemory.js';

export type { VariantDetectorState } from './variantMemory.js';

/** A series' detector memory as a caller holds it between judgements: opaque, handed back to {@link RouteDetector.evaluateInto}. */
export type DetectorMemory = VariantMemory;

/** A route's detector memory: its plan as of the detector's last reconfigure, and its variants' memories. */
interface RouteMemory {
  /** The detector's {@link RouteDetector.generation} `plan` was taken at: an older one is taken again. */
  generation: number;
  plan: RulePlan;
  /** In the order they were first judged (a few per route: scanned, not hashed). */
  readonly variants: VariantMemory[];
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
  private defaultPlan!: RulePlan;
  /** Routes with their own targets or rules in the config (bounded by the config). */
  private readonly routePlans = new Map<string, RulePlan>();
  /** Metrics some enabled baseline rule watches, each once (an array: walked at every evaluation). */
  private baselineMetrics: readonly MetricName[] = [];
  /** Counts reconfigures: a route's memory holding an older plan takes its current one. */
  private generation = 0;
  /** Memory by route. */
  private readonly memories = new Map<string, RouteMemory>();
  /** Scratch of {@link evaluateInto}: the intervals of the window being judged. */
  private readonly intervals = new WindowIntervals();

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
    const everyRule = [this.rules, ...this.routeRules.values()].flat();
    this.baselineMetrics = [...new Set(everyRule.filter((rule) => typeof rule.threshold === 'object' && 'baseline' in rule.threshold).map((rule) => rule.metric))];
    this.defaultPlan = rulePlan(config, this.rules, config.targets, this.baselineMetrics);
    this.routePlans.clear();
    for (const route of Object.keys(config.routes)) {
      this.routePlans.set(route, rulePlan(config, this.rulesOf(route), targetsFor(config, route), this.baselineMetrics));
    }
    this.generation++;
  }

  /** The plan of a route's rules. */
  private planOf(route: string): RulePlan {
    return this.routePlans.get(route) ?? this.defaultPlan;
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

  /**
   * {@link evaluate}, appending the records to `out` (no array per evaluation). Returns the series' memory: a
   * caller that judges the series again hands it back as `options.memory`, sparing the lookup.
   */
  evaluateInto(out: DecisionRecord[], stats: WindowStats, nowMs: number, options: EvaluateOptions = {}): DetectorMemory {
    const production = options.production !== undefined ? options.production : options.actions === false ? null : stats.variant;
    const held = options.memory;
    // A memory handed back stands while the detector still holds it for this series and no reconfigure came since.
    const memory =
      held != null && held.generation === this.generation && held.attached && held.variant === stats.variant && held.route === stats.route
        ? held
        : this.memoryFor(stats.route, stats.variant);
    const plan = memory.plan;
    const targets = plan.targets;
    const timingGapMs = Math.max(this.config.time.window, stats.windowEndMs - stats.windowStartMs);
    const unchanged = options.unchanged === true;
    const rules = plan.rules;
    const states = memory.states;
    this.intervals.reset();
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const previous = states[r]!;
      // An inactive rule with a fixed threshold on an unchanged window stays inactive: its last judgement saw the
      // same values against the same threshold (and a state that became inactive then was not breached: intervals
      // contain the value, so a clear value is never a breach). A baseline-relative threshold moves: judged again.
      const planned = plan.thresholds[r]!;
      if (previous.phase === 'inactive') {
        if (unchanged && !Number.isNaN(planned)) continue;
        // Stays inactive (nothing to record) unless the window shows the breach: most rules, most of the time.
        if (!this.breachShown(stats, rule, r, memory)) continue;
      }
      const threshold =
        plan.resolved[r] ??
        resolveThreshold(rule, {
          targets,
          baseline: memory.baseline(rule.metric),
          baselineMinSamples: this.config.baseline.min_samples,
          tokenBudgetPerRequest: this.config.budgets.tokens.max_per_request,
        });
      const detection = detect(stats, rule, threshold, this.intervals);
      const step = stepRule(previous, detection, { forMs: rule.for, keepFiringForMs: rule.keep_firing_for, maxGapMs: timingGapMs }, nowMs);
      if (step.next !== previous) memory.setState(r, step.next);
      if (detection !== null && step.next.phase === 'firing') memory.detections[r] = detection;
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
    return memory;
  }

  /** The current baseline of a metric for a (route, variant), or null if none yet (for status pages and tests). */
  baselineOf(route: string, variant: string, metric: MetricName): BaselineState | null {
    return this.existing(route, variant)?.baseline(metric) ?? null;
  }

  /**
   * Every enabled rule of a route as it stands for one variant: its effective
   * threshold (null while a baseline-relative one has too little history),
   * its phase, and — while firing — the value that last held it. For status
   * pages; changes nothing.
   */
  ruleStatuses(route: string, variant: string): RuleStatus[] {
    const memory = this.existing(route, variant);
    const targets = targetsFor(this.config, route);
    return this.rulesOf(route).map((rule) => {
      const threshold = resolveThreshold(rule, {
        targets,
        baseline: memory?.baseline(rule.metric) ?? null,
        baselineMinSamples: this.config.baseline.min_samples,
      });
      const state = memory?.ruleState(rule.name) ?? INACTIVE;
      const last = state.phase === 'firing' ? memory?.lastDetection(rule.name) : undefined;
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
    return this.existing(route, variant)?.ruleState(rule) ?? INACTIVE;
  }

  /**
   * Retires a (route, variant) whose traffic stopped (its window is empty):
   * every firing rule resolves — evidence from its last judged window, with
   * `reason: "no_traffic"` — so alerts do not stay open for a variant nobody
   * serves any more (e.g. the baseline after a promotion); then its state is
   * dropped.
   */
  retire(route: string, variant: string, nowMs: number): TriggerRecord[] {
    const memory = this.existing(route, variant);
    const out: TriggerRecord[] = [];
    if (memory !== undefined) {
      for (const rule of this.rulesOf(route)) {
        const state = memory.ruleState(rule.name);
        const last = memory.lastDetection(rule.name);
        if (state.phase !== 'firing' || last === undefined) continue;
        const record = triggerRecord(rule, last, { state: 'resolved', heldMs: nowMs - state.firedMs, episodeStartMs: state.episodeStartMs }, nowMs);
        out.push({ ...record, evidence: { ...record.evidence, reason: 'no_traffic' } });
      }
    }
    this.forget(route, variant);
    return out;
  }

  /** Routes with detector state (for memory gauges). */
  sizes(): { routes: number } {
    return { routes: this.memories.size };
  }

  /** Drops a route whose variants are all retired. */
  forgetRoute(route: string): void {
    this.detach(route);
  }

  /** Drops all state of a (route, variant), e.g. once the variant is retired. */
  forget(route: string, variant: string): void {
    const routeMemory = this.memories.get(route);
    if (routeMemory === undefined) return;
    const at = routeMemory.variants.findIndex((memory) => memory.variant === variant);
    if (at >= 0) routeMemory.variants.splice(at, 1)[0]!.attached = false;
    if (routeMemory.variants.length === 0) this.memories.delete(route);
  }

  /**
   * A route's detector memory as plain data, for a checkpoint: per variant its
   * rule states that are not inactive, baselines and last judged detections.
   * Null when the detector holds nothing for it. (The route's cooldown is in
   * its control state.)
   */
  exportRoute(route: string): RouteDetectorState | null {
    const routeMemory = this.memories.get(route);
    if (routeMemory === undefined) return null;
    return { variants: routeMemory.variants.map((memory) => [memory.variant, memory.exportState()] as const) };
  }

  /** Replaces a route's detector memory with an {@link exportRoute} value (null: forgets it). */
  importRoute(route: string, state: RouteDetectorState | null): void {
    this.detach(route);
    if (state === null || state.variants.length === 0) return;
    const plan = this.planOf(route);
    const variants = state.variants.map(([variant, v]) => VariantMemory.restore(route, variant, plan, v, this.generation));
    this.memories.set(route, { generation: this.generation, plan, variants });
  }

  /**
   * Folds the window's value of each baseline metric into the variant's baseline, or freezes it while a rule on
   * that metric is pending or firing.
   */
  private updateBaselines(stats: WindowStats, memory: VariantMemory): void {
    const metrics = this.baselineMetrics;
    const freezers = memory.plan.freezers;
    const baselines = memory.baselines;
    for (let m = 0; m < metrics.length; m++) {
      const metric = metrics[m]!;
      let frozen = false;
      if (memory.active > 0) {
        const positions = freezers[m]!;
        for (let i = 0; i < positions.length && !frozen; i++) frozen = memory.states[positions[i]!]!.phase !== 'inactive';
      }
      if (frozen) {
        freezeBaselineAt(baselines, m * BASELINE_FIELDS, stats.windowEndMs);
        continue;
      }
      const value = metricValue(stats, metric);
      if (value === null) continue;
      updateBaselineAt(baselines, m * BASELINE_FIELDS, value, metricSamples(stats, metric), stats.windowStartMs, stats.windowEndMs, this.config.baseline.half_life);
    }
  }

  /**
   * Whether the window shows the rule's breach (the test `detect` + `stepRule` apply to leave the inactive state),
   * judged without building evidence; false when the threshold is unknown. An inactive rule for which this is
   * false stays inactive, so the evaluation skips it. `position`: the rule's in the plan, whose threshold was
   * resolved with the config (NaN: baseline-relative, resolved here from the variant's baseline).
   */
  private breachShown(stats: WindowStats, rule: Rule, position: number, memory: VariantMemory): boolean {
    let threshold: number | null = memory.plan.thresholds[position]!;
    if (Number.isNaN(threshold)) {
      if (metricValue(stats, rule.metric) === null) return false;
      const m = memory.plan.baselineOf[position]!;
      if (m < 0) return false;
      const at = m * BASELINE_FIELDS;
      threshold = baselineThreshold(rule, memory.baselines[at]!, memory.baselines[at + 2]!, this.config.baseline.min_samples);
      if (threshold === null) return false;
    }
    return breachShown(stats, rule, threshold, this.intervals);
  }

  /** Drops a route's memory; a caller still holding one of its variants' gets it refused. */
  private detach(route: string): void {
    const routeMemory = this.memories.get(route);
    if (routeMemory === undefined) return;
    for (const memory of routeMemory.variants) memory.attached = false;
    this.memories.delete(route);
  }

  /** A (route, variant)'s memory, laid out for the route's current plan; created empty on its first judgement. */
  private memoryFor(route: string, variant: string): VariantMemory {
    let routeMemory = this.memories.get(route);
    if (routeMemory === undefined) {
      routeMemory = { generation: this.generation, plan: this.planOf(route), variants: [] };
      this.memories.set(route, routeMemory);
    } else if (routeMemory.generation !== this.generation) {
      routeMemory.generation = this.generation;
      routeMemory.plan = this.planOf(route);
    }
    const variants = routeMemory.variants;
    for (let i = 0; i < variants.length; i++) {
      const memory = variants[i]!;
      if (memory.variant !== variant) continue;
      if (memory.plan !== routeMemory.plan) memory.relayout(routeMemory.plan);
      memory.generation = this.generation;
      return memory;
    }
    const memory = new VariantMemory(route, variant, routeMemory.plan, this.generation);
    variants.push(memory);
    return memory;
  }

  /** A (route, variant)'s memory if it has one, as it is (for queries: nothing is laid out again). */
  private existing(route: string, variant: string): VariantMemory | undefined {
    return this.memories.get(route)?.variants.find((memory) => memory.variant === variant);
  }
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
  /** The memory {@link RouteDetector.evaluateInto} returned at this series' previous judgement, if kept (null: looked up). */
  readonly memory?: DetectorMemory | null;
  /**
   * The window's values are those of this (route, variant)'s previous evaluation (only its bounds moved) and the
   * rules have not been reconfigured since: inactive rules with a fixed threshold are not judged again.
   */
  readonly unchanged?: boolean;
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
