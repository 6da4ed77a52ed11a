import { assignArm, createExperimentState, evaluateExperiment, recordExperimentEvent, type ExperimentEvaluation, type ExperimentState } from './index.js';
import { compressionOptionsFor, compressPrompt } from '../actions/compressPrompt.js';
import type { ActionBlock } from '../actions/planner.js';
import { cooldownAfterExperiment, holdsExperimentOf, legacyExperimentCooldown, RouteCooldowns, type RouteCooldown } from '../actions/routeCooldown.js';
import { compressionLevelOf } from '../actions/plannerCandidates.js';
import { sectionUsage } from '../actions/tokenAllocation.js';
import { rewriteForPattern } from '../actions/patternRewrite.js';
import { countTokens } from '../actions/tokenCounter.js';
import { abtestFor, rulesFor, targetsFor, type Config } from '../config/schema.js';
import type { ActionKind, ActionRecord, DecisionRecord, ExperimentRecord, ExperimentStatus, MetricEvidence, PolicyAction, PolicyRecord, TriggerRecord, VariantRef } from '../core/decision.js';
import { PromotionWatches, type Watch, type WatchBreach } from './promotionWatch.js';
import type { Arm, TelemetryEvent } from '../core/event.js';
import { RouteRegistry, toVariantRef, type RegistryEntryState, type VariantInfo } from '../variants/routeRegistry.js';

/** One experiment as the API and the state store see it (JSON). */
export interface ExperimentSnapshot {
  readonly id: string;
  readonly route: string;
  readonly kind: ActionKind;
  readonly action_id: string;
  readonly status: 'running' | Exclude<ExperimentStatus, 'started'>;
  readonly started_at: number;
  readonly deadline: number;
  readonly ended_at: number | null;
  readonly baseline: VariantRef;
  readonly candidate: VariantRef;
  /** Current candidate traffic share and the ramp history `[ts, share]`. */
  readonly share: number;
  readonly ramp: readonly (readonly [number, number])[];
  readonly salt: string;
  readonly hash_version: 1;
  readonly reason: string | null;
  readonly n: readonly [number, number];
  readonly evidence: Readonly<Record<string, MetricEvidence>>;
  readonly srm: { readonly p: number; readonly mismatch: boolean } | null;
  readonly candidate_params: Readonly<Record<string, unknown>>;
  /** o200k_base tokens of the baseline's and the candidate's templates (null: that template is not known). */
  readonly template_tokens: { readonly baseline: number | null; readonly candidate: number | null };
  /** Paused (every unit gets the baseline, no decision but the deadline): by an operator (`api`) or the route's `on_breach: pause` (`policy`). */
  readonly paused: 'api' | 'policy' | null;
}

interface Running {
  snapshot: ExperimentSnapshot;
  readonly state: ExperimentState;
  rampIndex: number;
  srmFiring: boolean;
  /** A `rollback_trigger_breach` alert is firing (policy `on_breach: alert_only`). */
  breachFiring: boolean;
  /** Arm events since the last evaluation: without new data only the deadline can change the outcome. */
  dirty: boolean;
  /** Newest event time recorded into the arms, epoch ms (−Infinity: none). */
  countedThroughMs: number;
  /** Imported (a restart, a takeover) with arms counted through this time: arm events at or before it are not counted again. −Infinity otherwise. */
  refuseThroughMs: number;
}

/** A running experiment with everything needed to continue it elsewhere: its snapshot and its arm statistics. JSON. */
export interface RunningExperimentState {
  readonly snapshot: ExperimentSnapshot;
  readonly state: ExperimentState;
  readonly rampIndex: number;
  readonly srmFiring: boolean;
  /** Absent in states stored before the rollback-trigger alert existed: false. */
  readonly breachFiring?: boolean;
  /**
   * Newest event time recorded into the arms, epoch ms; absent before the first
   * (and in older states). Where this state is imported, arm events at or
   * before it are taken as counted already: a batch redelivered after a
   * crash adds to the arms once.
   */
  readonly countedThroughMs?: number;
}

/**
 * Everything durable the daemon decided about one route, as plain JSON: its
 * registry entry (variants, production variant, promotions), its running
 * experiment with arm statistics, its recently ended experiments and its
 * cooldown. What the state store keeps per route, so a restart, a takeover
 * or another instance continues exactly where the owner was.
 *
 * @remarks States written before the route's one {@link RouteCooldown} carry
 * `cooldownUntil` and `lastEnded` instead of `cooldown`; they are read as the
 * cooldown after experiment `lastEnded`.
 */
export interface RouteControlState {
  readonly registry: RegistryEntryState | null;
  readonly running: RunningExperimentState | null;
  /** The route's most recently ended experiments, oldest first (at most {@link FINISHED_PER_ROUTE}). */
  readonly finished: readonly ExperimentSnapshot[];
  /** The route's cooldown (after its last action or ended experiment), or null; absent in older states (see `cooldownUntil`). */
  readonly cooldown?: RouteCooldown | null;
  /** Older states only: end of the post-experiment cooldown, event time (epoch ms), or null. */
  readonly cooldownUntil?: number | null;
  /** Older states only: the experiment that started `cooldownUntil`. */
  readonly lastEnded?: string | null;
  /** Frozen through the API (no new actions or experiments); absent in older states: false. */
  readonly frozen?: boolean;
  /** The watch after promotion, while it runs; absent in older states: none. */
  readonly watch?: Watch | null;
}

/** What {@link ExperimentManager.onBoundary} returns when it has nothing (shared, frozen). */
const NO_RECORDS: readonly DecisionRecord[] = Object.freeze([]);

/** Ended experiments kept per route in its {@link RouteControlState}. */
export const FINISHED_PER_ROUTE = 20;

/** What `/v1/assign` answers. */
export interface Assignment {
  readonly route: string;
  readonly variant: string;
  readonly pattern: string | null;
  readonly experiment?: string;
  readonly arm?: Arm;
  readonly params?: Readonly<Record<string, unknown>>;
}

/**
 * Runs the experiments that validate actions (DESIGN §4): starts one per
 * action (one per route at a time, with cooldowns), feeds arm events to the
 * anytime-valid evaluator, ramps the candidate share while healthy, and ends
 * in promoted / rolled_back / inconclusive. Pure and event-time driven, so
 * replay is deterministic; the daemon mirrors snapshots to the state store.
 */
export class ExperimentManager {
  /** Ramps hold until this event time (the day's testing budget is spent). */
  private rampHeldUntilMs = -Infinity;
  readonly registry: RouteRegistry;
  private readonly running = new Map<string, Running>(); // by route
  private readonly byId = new Map<string, Running>();
  private readonly finished: ExperimentSnapshot[] = [];
  /** Every route's one cooldown: started here when an experiment ends, by the planner when it plans an action. */
  readonly cooldowns: RouteCooldowns;
  private readonly changed = new Set<string>();
  /** Routes frozen through the API: no new actions or experiments. */
  private readonly frozen = new Set<string>();
  /** Per route, the event time of its last policy record (see {@link policyTs}). */
  private readonly lastPolicyMs = new Map<string, number>();
  /** Promoted candidates under the watch after promotion, by route. */
  readonly watches = new PromotionWatches();
  /** Routes whose experiment state changed since {@link takeChangedRoutes}. */
  private readonly changedRoutes = new Set<string>();
  /** Experiments started or ended, routes frozen or unfrozen, control states imported. */
  private changes = 0;

  constructor(
    private config: Config,
    cooldowns: RouteCooldowns = new RouteCooldowns(),
  ) {
    this.registry = new RouteRegistry(config);
    this.cooldowns = cooldowns;
  }

  /** Applies a reloaded config: route policies, tiers, newly configured variants; experiments and watches carry on. */
  reconfigure(config: Config): void {
    this.config = config;
    this.registry.reconfigure(config);
  }

  /**
   * Moves whenever the answers a route's boundary asks here may change other
   * than by time: {@link blockFor} (frozen, experiment, cooldown — a null
   * answer stays null as time goes on), {@link isQuiet} and the registry's
   * production variant. A route may cache them against it.
   */
  get version(): number {
    return this.changes + this.registry.version + this.cooldowns.version + this.watches.version;
  }

  /** No experiment running on the route and no watch after promotion: its boundaries have nothing to do here but start experiments for new actions. */
  isQuiet(route: string): boolean {
    return !this.running.has(route) && !this.watches.active(route);
  }

  /**
   * Whether the route is frozen, has an experiment running or cools down:
   * its detectors must not plan new actions then.
   */
  isBusy(route: string, nowMs: number): boolean {
    return this.blockFor(route, nowMs) !== null;
  }

  /** Why the route takes no new action now (frozen, an experiment running, cooling down), or null. */
  blockFor(route: string, nowMs: number): ActionBlock | null {
    if (this.frozen.has(route)) return { code: 'frozen', detail: `route ${route} is frozen (POST /v1/routes/${route}/unfreeze lifts it)` };
    const run = this.running.get(route);
    if (run !== undefined) {
      return { code: 'experiment_running', detail: `experiment ${run.snapshot.id} running (${run.snapshot.kind}: ${run.snapshot.baseline.variant} vs ${run.snapshot.candidate.variant})` };
    }
    return this.cooldowns.blockFor(route, nowMs);
  }

  /**
   * The engine dropped the route's live state (all its traffic stopped): drop
   * what only served that route — an expired cooldown, a registry entry that
   * was merely learned from traffic. Promotions and registered variants stay.
   */
  forgetRoute(route: string, nowMs: number): void {
    if (this.running.has(route)) return;
    this.cooldowns.forgetExpired(route, nowMs);
    this.registry.forgetIfLearned(route);
  }

  /** Whether a running experiment uses this variant as baseline or candidate. */
  involves(route: string, variant: string): boolean {
    const run = this.running.get(route);
    return run !== undefined && (run.snapshot.baseline.variant === variant || run.snapshot.candidate.variant === variant);
  }

  /**
   * Per accepted event: feeds experiment arms. The engine calls
   * `registry.observe` itself, only when a variant or its pattern is new
   * (a per-event registry lookup cost ~5 % of pipeline throughput).
   */
  onEvent(event: TelemetryEvent): void {
    if (event.experiment === undefined) {
      if (this.watches.onEvent(event)) this.changedRoutes.add(event.route);
      return;
    }
    const run = this.byId.get(event.experiment);
    if (run === undefined || run.snapshot.route !== event.route) return;
    const arm = event.arm ?? (event.variant === run.snapshot.candidate.variant ? 'candidate' : event.variant === run.snapshot.baseline.variant ? 'baseline' : undefined);
    if (event.ts <= run.refuseThroughMs) return;
    if (recordExperimentEvent(run.state, event, this.expectedShare(run, event, arm), arm)) {
      if (event.ts > run.countedThroughMs) run.countedThroughMs = event.ts;
      run.dirty = true;
      this.changed.add(run.snapshot.id);
      this.changedRoutes.add(run.snapshot.route);
    }
  }

  /**
   * The candidate share this event was most likely assigned under, for the
   * sample-ratio check: the ramp step in force at its event time. Right after a
   * ramp step an app may still serve assignments made under the previous share
   * (assignment → call → telemetry takes a while), so events within the grace
   * period (allowed lateness + one bucket) count as neutral: expected = observed.
   */
  private expectedShare(run: Running, event: TelemetryEvent, arm: Arm | undefined): number {
    const ramp = run.snapshot.ramp;
    let share = ramp[0]![1];
    let changedAt = -Infinity;
    for (let i = 1; i < ramp.length; i++) {
      const [ts, next] = ramp[i]!;
      if (event.ts < ts) break;
      share = next;
      changedAt = ts;
    }
    const graceMs = this.config.time.allowed_lateness + this.config.time.bucket;
    if (event.ts - changedAt < graceMs) return arm === 'candidate' ? 1 : 0;
    return share;
  }

  /**
   * At a route's closed boundary: start experiments for new actions, evaluate
   * the running one. `quiet`: {@link isQuiet} of the route, when the caller
   * has it at hand (cached against {@link version}).
   */
  onBoundary(route: string, boundaryMs: number, records: readonly DecisionRecord[], quiet = this.isQuiet(route)): readonly DecisionRecord[] {
    let started: DecisionRecord[] | null = null;
    for (const record of records) if (record.type === 'action' && record.status !== 'skipped') this.start(record, boundaryMs, (started ??= []));
    // Nothing to evaluate or watch: an experiment started now is evaluated from its next boundary, and it stopped any watch.
    if (quiet) return started ?? NO_RECORDS;
    const out = started ?? [];
    const run = this.running.get(route);
    // Re-evaluating unchanged arms cannot change the verdict (the sequential tests only
    // move with data) — except that the deadline may have passed.
    if (run !== undefined && run.snapshot.started_at < boundaryMs && (run.dirty || boundaryMs >= run.snapshot.deadline)) {
      run.dirty = false;
      this.evaluate(run, boundaryMs, out);
    }
    if (!this.watches.active(route)) return out;
    const policy = abtestFor(this.config, route);
    const watched = this.watches.watching(route) !== null;
    const breach = this.watches.check(route, boundaryMs, policy);
    // A watch that ended (breach or window over) is a change of the route's stored state.
    if (watched && this.watches.watching(route) === null) this.changedRoutes.add(route);
    if (breach !== null && policy.on_breach === 'alert_only') out.push(watchAlert(route, breach, boundaryMs));
    else if (breach !== null) this.rollBackPromotion(route, breach, boundaryMs, out);
    return out;
  }

  /**
   * Operator steering of a route (API), serialized with the events:
   * `pause`/`resume` its running experiment (paused: every unit gets the
   * baseline), `freeze`/`unfreeze` it (frozen: no new actions or
   * experiments). The decision record, or why it cannot be done.
   */
  steer(route: string, action: PolicyAction, nowMs: number, reason: string): PolicyRecord | { readonly error: string } {
    const run = this.running.get(route);
    switch (action) {
      case 'pause':
        if (run === undefined) return { error: `no experiment running on route ${route}` };
        if (run.snapshot.paused !== null) return { error: `experiment ${run.snapshot.id} is already paused` };
        return this.setPaused(run, 'api', nowMs, reason);
      case 'resume':
        if (run === undefined || run.snapshot.paused === null) return { error: `no paused experiment on route ${route}` };
        return this.setPaused(run, null, nowMs, reason);
      case 'freeze':
      case 'unfreeze':
        if ((action === 'freeze') === this.frozen.has(route)) return { error: `route ${route} is ${action === 'freeze' ? 'already' : 'not'} frozen` };
        if (action === 'freeze') this.frozen.add(route);
        else this.frozen.delete(route);
        this.changedRoutes.add(route);
        this.changes++;
        return { type: 'policy', ts: this.policyTs(route, nowMs), route, action, source: 'api', reason };
    }
  }

  /**
   * The event time of a new policy record: `nowMs`, or 1 ms after the route's previous one if that is not earlier.
   * Records are logged and alerted once per content, and steering is stamped with the route's watermark, which stands
   * still between events (up to an idle tick): freeze, unfreeze, freeze within it would make the second freeze the
   * first one's twin, dropped from the log and the receivers while the route stays frozen.
   */
  private policyTs(route: string, nowMs: number): number {
    const last = this.lastPolicyMs.get(route);
    const ts = last !== undefined && last >= nowMs ? last + 1 : nowMs;
    // Only a record at or after the previous one can collide: entries behind every route's present are dropped.
    if (this.lastPolicyMs.size >= 1_000) for (const [r, ms] of this.lastPolicyMs) if (ms < nowMs - 60_000) this.lastPolicyMs.delete(r);
    this.lastPolicyMs.set(route, ts);
    return ts;
  }

  /** Whether the route is frozen. */
  isFrozen(route: string): boolean {
    return this.frozen.has(route);
  }

  private setPaused(run: Running, by: 'api' | 'policy' | null, nowMs: number, reason: string): PolicyRecord {
    const share = by === null ? run.snapshot.share : 0;
    run.snapshot = { ...run.snapshot, paused: by, ramp: [...run.snapshot.ramp, [nowMs, share]] };
    if (by === null) run.dirty = true;
    this.changed.add(run.snapshot.id);
    this.changedRoutes.add(run.snapshot.route);
    return { type: 'policy', ts: this.policyTs(run.snapshot.route, nowMs), route: run.snapshot.route, action: by === null ? 'resume' : 'pause', source: by ?? 'api', experiment: run.snapshot.id, reason };
  }

  /** The watch found the promoted candidate breaching a rollback trigger: the pre-promotion baseline serves again. */
  private rollBackPromotion(route: string, breach: WatchBreach, nowMs: number, out: DecisionRecord[]): void {
    this.registry.setCurrent(route, breach.baseline.variant);
    this.cooldowns.start(route, cooldownAfterExperiment(breach.experiment, nowMs, abtestFor(this.config, route).cooldown));
    const reason = `watch after promotion: ${breach.reason}; ${breach.baseline.variant} serves again`;
    const index = this.finished.findIndex((s) => s.id === breach.experiment);
    if (index >= 0) {
      this.finished[index] = { ...this.finished[index]!, status: 'rolled_back', ended_at: nowMs, reason, evidence: breach.evidence, n: breach.n };
      this.changed.add(breach.experiment);
      this.changedRoutes.add(route);
    }
    out.push({
      type: 'experiment', ts: nowMs, id: breach.experiment, route, status: 'rolled_back', baseline: breach.baseline, candidate: breach.promoted, reason, evidence: breach.evidence,
      kind: breach.kind, watch: { promoted_at: breach.promotedAtMs, window_ms: breach.windowMs },
      triggers: breach.triggers.map((g) => ({ name: g.name, status: g.status, reason: g.reason })),
    });
  }

  /** Manual promote/rollback through the API; event time = the route's watermark. */
  decideManually(id: string, decision: 'promote' | 'rollback', nowMs: number): DecisionRecord[] | null {
    const run = this.byId.get(id);
    if (run === undefined || run.snapshot.status !== 'running') return null;
    const evaluation = evaluateExperiment(run.state, abtestFor(this.config, run.snapshot.route), run.snapshot.kind, nowMs);
    const out: DecisionRecord[] = [];
    this.end(run, decision === 'promote' ? 'promoted' : 'rolled_back', `manual ${decision} through the API`, evaluation, Math.max(nowMs, run.snapshot.started_at), out);
    return out;
  }

  /** Which variant a unit gets on a route; null for a route never seen. */
  assign(route: string, unit: string): Assignment | null {
    const run = this.running.get(route);
    if (run !== undefined && run.snapshot.paused === null) {
      const arm = assignArm(run.snapshot.salt, unit, run.snapshot.share, run.snapshot.hash_version);
      const ref = arm === 'candidate' ? run.snapshot.candidate : run.snapshot.baseline;
      const info = this.registry.variant(route, ref.variant);
      return { route, variant: ref.variant, pattern: ref.pattern ?? null, experiment: run.snapshot.id, arm, params: info ? paramsOf(info) : {} };
    }
    const current = run === undefined ? this.registry.current(route) : this.registry.variant(route, run.snapshot.baseline.variant) ?? this.registry.current(route);
    if (current === null) return null;
    return { route, variant: current.variant, pattern: current.pattern, params: paramsOf(current) };
  }

  /** Every experiment, running first then finished, newest first. */
  list(): ExperimentSnapshot[] {
    const running = [...this.running.values()].map((r) => r.snapshot);
    return [...running.sort((a, b) => b.started_at - a.started_at), ...[...this.finished].reverse()];
  }

  /** The experiment running on a route, or null. */
  runningOn(route: string): ExperimentSnapshot | null {
    return this.running.get(route)?.snapshot ?? null;
  }

  /**
   * The experiment that compares `variant` on `route` now — running, or promoted and under the watch after
   * promotion — with the variant's arm; null when none does. Replacing such a variant would change what one
   * arm serves in the middle of the comparison.
   */
  comparing(route: string, variant: string): { readonly experiment: string; readonly arm: Arm; readonly watch: boolean } | null {
    const running = this.runningOn(route);
    const watched = this.watches.watching(route);
    const snapshot = running ?? (watched === null ? null : this.get(watched.experiment));
    if (snapshot === null) return null;
    const arm = snapshot.baseline.variant === variant ? 'baseline' : snapshot.candidate.variant === variant ? 'candidate' : null;
    return arm === null ? null : { experiment: snapshot.id, arm, watch: running === null };
  }

  get(id: string): ExperimentSnapshot | null {
    return this.byId.get(id)?.snapshot ?? this.finished.find((s) => s.id === id) ?? null;
  }

  /** Ids whose snapshot changed since the last call (for mirroring to a store). */
  takeChanged(): ExperimentSnapshot[] {
    const out = [...this.changed].map((id) => this.get(id)).filter((s): s is ExperimentSnapshot => s !== null);
    this.changed.clear();
    return out;
  }

  /** Routes whose durable state (experiments or registry entry) changed since the last call, sorted. */
  takeChangedRoutes(): string[] {
    for (const route of this.registry.takeChanged()) this.changedRoutes.add(route);
    for (const route of this.cooldowns.takeChanged()) this.changedRoutes.add(route);
    const out = [...this.changedRoutes].sort();
    this.changedRoutes.clear();
    return out;
  }

  /** The route's durable state as plain JSON (see {@link RouteControlState}). */
  exportRoute(route: string): RouteControlState {
    const run = this.running.get(route);
    const finished: ExperimentSnapshot[] = [];
    for (let i = this.finished.length - 1; i >= 0 && finished.length < FINISHED_PER_ROUTE; i--) {
      const s = this.finished[i]!;
      if (s.route === route) finished.push(s);
    }
    return {
      registry: this.registry.exportRoute(route),
      running:
        run === undefined
          ? null
          : {
              snapshot: run.snapshot, state: structuredClone(run.state), rampIndex: run.rampIndex, srmFiring: run.srmFiring, breachFiring: run.breachFiring,
              ...(Number.isFinite(run.countedThroughMs) ? { countedThroughMs: run.countedThroughMs } : {}),
            },
      finished: finished.reverse(),
      cooldown: this.cooldowns.get(route),
      frozen: this.frozen.has(route),
      watch: this.watches.exportRoute(route),
    };
  }

  /**
   * Replaces the route's state with a stored one: after a restart, when taking
   * over a route from another instance, or to follow a route another instance
   * owns. Ended experiments not known yet are added; none is ended twice.
   */
  importRoute(route: string, stored: RouteControlState): void {
    if (stored.registry !== null) this.registry.importRoute(route, stored.registry);
    const previous = this.running.get(route);
    if (previous !== undefined) {
      this.running.delete(route);
      this.byId.delete(previous.snapshot.id);
    }
    for (const snapshot of stored.finished) {
      const at = this.finished.findIndex((f) => f.id === snapshot.id);
      if (at >= 0) {
        this.finished[at] = snapshot;
        continue;
      }
      // Kept in order of their end, as they ended here: list() shows the newest first.
      let to = this.finished.length;
      while (to > 0 && (this.finished[to - 1]!.ended_at ?? 0) > (snapshot.ended_at ?? 0)) to--;
      this.finished.splice(to, 0, snapshot);
    }
    if (stored.running !== null) {
      const r = stored.running;
      const countedThroughMs = typeof r.countedThroughMs === 'number' ? r.countedThroughMs : Number.NEGATIVE_INFINITY;
      const run: Running = {
        snapshot: r.snapshot, state: structuredClone(r.state), rampIndex: r.rampIndex, srmFiring: r.srmFiring, breachFiring: r.breachFiring ?? false, dirty: true,
        countedThroughMs, refuseThroughMs: countedThroughMs,
      };
      this.running.set(route, run);
      this.byId.set(r.snapshot.id, run);
    }
    this.cooldowns.replace(route, stored.cooldown !== undefined ? stored.cooldown : legacyExperimentCooldown(stored.cooldownUntil, stored.lastEnded));
    if (stored.frozen === true) this.frozen.add(route);
    else this.frozen.delete(route);
    this.watches.importRoute(route, stored.watch ?? null);
    this.changes++;
  }

  private start(action: ActionRecord, nowMs: number, out: DecisionRecord[]): void {
    const route = action.route;
    if (this.running.has(route) || this.frozen.has(route)) return;
    if (holdsExperimentOf(this.cooldowns.get(route), action.id, nowMs)) return;
    this.watches.stop(route);
    const id = `exp-${action.id}`;
    if (this.byId.has(id) || this.finished.some((f) => f.id === id)) return;
    this.registry.observe(route, action.from.variant, action.from.pattern, action.from.tier);
    const baselineInfo = this.registry.variant(route, action.from.variant);
    const candidate = this.candidateFor(action, baselineInfo);
    this.registry.register(route, candidate);
    const policy = abtestFor(this.config, route);
    const share = policy.ramp[0]!;
    const templateTokens = {
      baseline: baselineInfo?.template ? countTokens(baselineInfo.template) : null,
      candidate: candidate.template !== null ? countTokens(candidate.template) : null,
    };
    const snapshot: ExperimentSnapshot = {
      id, route, kind: action.kind, action_id: action.id, status: 'running', started_at: nowMs,
      deadline: nowMs + policy.max_duration, ended_at: null,
      baseline: action.from, candidate: toVariantRef(candidate), share, ramp: [[nowMs, share]], salt: id, hash_version: 1,
      reason: null, n: [0, 0], evidence: {}, srm: null, candidate_params: paramsOf(candidate), template_tokens: templateTokens, paused: null,
    };
    const run: Running = {
      snapshot, state: createExperimentState(nowMs, policy.min_samples_per_arm), rampIndex: 0, srmFiring: false, breachFiring: false, dirty: false,
      countedThroughMs: Number.NEGATIVE_INFINITY, refuseThroughMs: Number.NEGATIVE_INFINITY,
    };
    this.running.set(route, run);
    this.byId.set(id, run);
    this.changes++;
    this.changed.add(id);
    this.changedRoutes.add(route);
    out.push(this.record(snapshot, 'started', nowMs, `validating ${action.kind} (${action.rule}) against the baseline, candidate share ${share * 100} %`, {}, {
      action: action.id, kind: action.kind, share, params: snapshot.candidate_params, template_tokens: templateTokens, ...compressionEvidenceOf(candidate),
      ...this.tokenBudgetEvidence(action, baselineInfo),
    }));
  }

  /**
   * The candidate the experiment serves: what the action says (variant,
   * pattern, tier, max_tokens) completed from the registry and the baseline —
   * so a promotion keeps all of it. Its template is a registered one, else
   * derived from the baseline's (compressed for token optimization, rewritten
   * for the target pattern for pattern actions), else none: the app serves its
   * own prompt for the pattern. Never the baseline's text under a new name.
   */
  private candidateFor(action: ActionRecord, baseline: VariantInfo | null): VariantInfo {
    const known = this.registry.variant(action.route, action.to.variant);
    const tier = action.to.tier ?? known?.tier ?? baseline?.tier ?? null;
    const maxTokens = action.to.max_tokens ?? known?.maxTokens ?? this.registry.maxTokensOf(tier) ?? baseline?.maxTokens ?? null;
    let template = known?.template ?? null;
    let compression: VariantInfo['compression'] = known?.compression ?? null;
    if (template === null && baseline?.template) {
      if (action.kind === 'token_optimization') {
        // Conservative first; aggressive only from a promoted conservative baseline (the candidate's name says which).
        // Over the per-request token budget: cut first from the section furthest over its share.
        const priority = action.rule === 'token_budget_per_request' ? sectionUsage(baseline.template, this.config.budgets.tokens.allocation).map((u) => u.section) : undefined;
        const compressed = compressPrompt(baseline.template, compressionOptionsFor(this.config, compressionLevelOf(action.to.variant), priority));
        template = compressed.text;
        compression = { level: compressed.level, tokensBefore: compressed.tokensBefore, tokensAfter: compressed.tokensAfter, savingPct: compressed.savingPct, transforms: compressed.savings };
      } else if (action.prompt?.source === 'derived' && action.from.pattern !== undefined && action.to.pattern !== undefined) {
        const rewrite = rewriteForPattern(baseline.template, action.from.pattern, action.to.pattern, this.config.routes[action.route]?.examples ?? []);
        if (rewrite.outcome === 'rewritten') template = rewrite.template;
      }
    }
    return {
      variant: action.to.variant, pattern: action.to.pattern ?? known?.pattern ?? null, tier,
      maxTokens, template, compression, source: 'action',
    };
  }

  private evaluate(run: Running, nowMs: number, out: DecisionRecord[]): void {
    const policy = abtestFor(this.config, run.snapshot.route);
    const evaluateWith = (triggersDecide: boolean): ExperimentEvaluation =>
      this.withLatencyCeiling(run, evaluateExperiment(run.state, policy, run.snapshot.kind, nowMs, { triggersDecide }));
    let evaluation = evaluateWith(true);
    if (run.snapshot.paused !== null) {
      // Paused: no automated decision; only the deadline still ends it.
      if (nowMs >= run.snapshot.deadline) this.end(run, 'inconclusive', `deadline reached while paused (${run.snapshot.paused === 'api' ? 'by an operator' : 'by policy'}); baseline kept`, evaluation, nowMs, out);
      return;
    }
    this.srmAlert(run, evaluation, nowMs, out);
    if (policy.on_breach !== 'rollback') {
      const breached = evaluation.triggers.filter((t) => t.status === 'failed');
      // Only a rollback the breached triggers alone ask for is the policy's to change; a violated gate still rolls back.
      const withoutTriggers = evaluation.decision === 'rollback' && breached.length > 0 ? evaluateWith(false) : null;
      if (withoutTriggers !== null && withoutTriggers.decision !== 'rollback') {
        if (policy.on_breach === 'pause') {
          out.push(this.setPaused(run, 'policy', nowMs, `on_breach: pause — ${breached.map((t) => `rollback trigger: ${t.reason}`).join(' | ')}`));
          return;
        }
        evaluation = withoutTriggers;
      }
      if (policy.on_breach === 'alert_only' && breached.length > 0 !== run.breachFiring) this.breachAlert(run, breached, nowMs, out);
    }
    switch (evaluation.decision) {
      case 'promote':
        this.end(run, 'promoted', evaluation.reason, evaluation, nowMs, out);
        return;
      case 'rollback':
        this.end(run, 'rolled_back', evaluation.reason, evaluation, nowMs, out);
        return;
      case 'inconclusive':
        this.end(run, 'inconclusive', evaluation.reason, evaluation, nowMs, out);
        return;
      case 'continue':
        run.snapshot = { ...run.snapshot, n: nOf(evaluation), evidence: evaluation.evidence, srm: { p: evaluation.srm.p, mismatch: evaluation.srm.mismatch } };
        this.ramp(run, evaluation, nowMs);
        this.changed.add(run.snapshot.id);
        this.changedRoutes.add(run.snapshot.route);
    }
  }

  /**
   * A pattern enhancement is slower by design, so its latency is not judged
   * against the (faster) baseline but against the route's own limit: the
   * threshold of the rule that would plan a simplification (default: p95 >
   * target + 20 %). A candidate above it would flip the route straight back —
   * enhance, simplify, enhance… — so it is rolled back instead.
   */
  private withLatencyCeiling(run: Running, evaluation: ExperimentEvaluation): ExperimentEvaluation {
    if (run.snapshot.kind !== 'pattern_enhancement' || evaluation.decision === 'rollback' || evaluation.srm.mismatch) return evaluation;
    const ceiling = this.latencyCeilingMs(run.snapshot.route);
    const p95 = evaluation.evidence['latency_p95_ms'];
    const candidateP95 = typeof p95?.candidate === 'number' ? p95.candidate : null;
    if (ceiling === null || candidateP95 === null || run.state.candidate.n < abtestFor(this.config, run.snapshot.route).min_samples_per_arm) return evaluation;
    if (candidateP95 <= ceiling) return evaluation;
    return {
      ...evaluation,
      decision: 'rollback',
      reason: `latency ceiling: the candidate's p95 ${candidateP95.toFixed(0)} ms exceeds the route's limit ${ceiling.toFixed(0)} ms (it would trigger pattern_simplification)`,
    };
  }

  /** For an action of the per-request token budget: the baseline template's tokens per section against the allocation. */
  private tokenBudgetEvidence(action: ActionRecord, baseline: VariantInfo | null): Record<string, unknown> {
    if (action.rule !== 'token_budget_per_request' || !baseline?.template) return {};
    const usage = sectionUsage(baseline.template, this.config.budgets.tokens.allocation);
    return {
      token_budget: {
        max_per_request: this.config.budgets.tokens.max_per_request,
        cut_first: usage[0]!.section,
        sections: usage.map((u) => ({ section: u.section, tokens: u.tokens, budget: u.budget, over: u.over })),
      },
    };
  }

  private latencyCeilingMs(route: string): number | null {
    const rule = rulesFor(this.config, route).find((r) => r.enabled && r.action === 'pattern_simplification' && r.metric === 'latency_p95_ms' && r.op === 'gt');
    if (rule === undefined) return null;
    const threshold = rule.threshold;
    if (typeof threshold === 'number') return threshold;
    if ('target' in threshold) return targetsFor(this.config, route)[threshold.target] * (1 + threshold.margin_pct / 100);
    return null;
  }

  /**
   * Holds every experiment's ramp at its current step until `untilMs` (event
   * time): the day's testing budget is spent (`cost_budget_daily`), so
   * candidates must not take a larger share of traffic. Never shortens a hold.
   */
  holdRamps(untilMs: number): void {
    if (untilMs > this.rampHeldUntilMs) this.rampHeldUntilMs = untilMs;
  }

  /** Event time until which ramps are held (−Infinity: not held). */
  get rampsHeldUntilMs(): number {
    return this.rampHeldUntilMs;
  }

  /** Next ramp step once the candidate has enough samples at this step and no gate or trigger has failed. */
  private ramp(run: Running, evaluation: ExperimentEvaluation, nowMs: number): void {
    const policy = abtestFor(this.config, run.snapshot.route);
    const ramp = policy.ramp;
    if (run.rampIndex >= ramp.length - 1 || evaluation.srm.mismatch || nowMs < this.rampHeldUntilMs) return;
    const healthy = [...evaluation.gates, ...evaluation.triggers].every((g) => g.status !== 'failed');
    const needed = policy.ramp_step_samples * (run.rampIndex + 1);
    if (!healthy || run.state.candidate.n < needed) return;
    run.rampIndex++;
    const share = ramp[run.rampIndex]!;
    run.snapshot = { ...run.snapshot, share, ramp: [...run.snapshot.ramp, [nowMs, share]] };
  }

  /** `on_breach: alert_only`: a `rollback_trigger_breach` trigger, firing while a rollback trigger is proven, resolved when none is. */
  private breachAlert(run: Running, breached: readonly { readonly name: string; readonly reason: string; readonly threshold: number }[], nowMs: number, out: DecisionRecord[]): void {
    run.breachFiring = breached.length > 0;
    out.push({
      type: 'trigger', ts: nowMs, route: run.snapshot.route, variant: run.snapshot.candidate.variant, rule: 'rollback_trigger_breach',
      metric: 'rollback_triggers_breached', value: breached.length, threshold: 0, severity: 'critical', state: run.breachFiring ? 'firing' : 'resolved',
      evidence: {
        window_ms: nowMs - run.snapshot.started_at, window_start: run.snapshot.started_at, window_end: nowMs,
        samples: run.state.baseline.n + run.state.candidate.n, threshold_from: { kind: 'absolute' }, held_ms: 0,
        experiment: run.snapshot.id, policy: 'alert_only', breached: breached.map((t) => ({ name: t.name, reason: t.reason })),
      },
    });
  }

  private srmAlert(run: Running, evaluation: ExperimentEvaluation, nowMs: number, out: DecisionRecord[]): void {
    const mismatch = evaluation.srm.mismatch;
    if (mismatch === run.srmFiring) return;
    run.srmFiring = mismatch;
    const trigger: TriggerRecord = {
      type: 'trigger', ts: nowMs, route: run.snapshot.route, variant: run.snapshot.candidate.variant, rule: 'sample_ratio_mismatch',
      metric: 'srm_p_value', value: evaluation.srm.p, threshold: abtestFor(this.config, run.snapshot.route).srm_p_value, severity: 'critical', state: mismatch ? 'firing' : 'resolved',
      evidence: {
        window_ms: nowMs - run.snapshot.started_at, window_start: run.snapshot.started_at, window_end: nowMs,
        samples: evaluation.srm.observed[0] + evaluation.srm.observed[1], threshold_from: { kind: 'absolute' }, held_ms: 0,
        experiment: run.snapshot.id, observed: evaluation.srm.observed, expected: evaluation.srm.expected,
      },
    };
    out.push(trigger);
  }

  private end(run: Running, status: Exclude<ExperimentStatus, 'started'>, reason: string, evaluation: ExperimentEvaluation, nowMs: number, out: DecisionRecord[]): void {
    const route = run.snapshot.route;
    if (status === 'promoted') {
      this.registry.setCurrent(route, run.snapshot.candidate.variant);
      this.watches.start(route, run.snapshot, run.state, nowMs, abtestFor(this.config, route).watch_after_promotion);
    }
    run.snapshot = {
      ...run.snapshot, status, ended_at: nowMs, reason, n: nOf(evaluation), evidence: evaluation.evidence,
      srm: { p: evaluation.srm.p, mismatch: evaluation.srm.mismatch },
    };
    this.running.delete(route);
    this.byId.delete(run.snapshot.id);
    this.changes++;
    this.finished.push(run.snapshot);
    if (this.finished.length > 10_000) this.finished.shift();
    this.cooldowns.start(route, cooldownAfterExperiment(run.snapshot.id, nowMs, abtestFor(this.config, route).cooldown));
    this.changed.add(run.snapshot.id);
    this.changedRoutes.add(route);
    out.push(this.record(run.snapshot, status, nowMs, reason, evaluation.evidence, {
      kind: run.snapshot.kind, action: run.snapshot.action_id, share: run.snapshot.share, template_tokens: run.snapshot.template_tokens,
      gates: evaluation.gates.map((g) => ({ name: g.name, status: g.status, reason: g.reason })),
      triggers: evaluation.triggers.map((g) => ({ name: g.name, status: g.status, reason: g.reason })),
      srm: { p: evaluation.srm.p, observed: evaluation.srm.observed, expected: evaluation.srm.expected, mismatch: evaluation.srm.mismatch },
      ...compressionEvidenceOf(this.registry.variant(route, run.snapshot.candidate.variant)),
    }));
  }

  private record(s: ExperimentSnapshot, status: ExperimentStatus, ts: number, reason: string, evidence: Readonly<Record<string, MetricEvidence>>, extra: Record<string, unknown>): ExperimentRecord {
    return { type: 'experiment', ts, id: s.id, route: s.route, status, baseline: s.baseline, candidate: s.candidate, reason, evidence, ...extra };
  }
}

/** `on_breach: alert_only` during the watch after promotion: a `rollback_trigger_breach` alert instead of a rollback (it ends the watch). */
function watchAlert(route: string, breach: WatchBreach, nowMs: number): TriggerRecord {
  const failed = breach.triggers.filter((t) => t.status === 'failed');
  return {
    type: 'trigger', ts: nowMs, route, variant: breach.promoted.variant, rule: 'rollback_trigger_breach', metric: 'rollback_triggers_breached',
    value: failed.length, threshold: 0, severity: 'critical', state: 'firing',
    evidence: {
      window_ms: nowMs - breach.promotedAtMs, window_start: breach.promotedAtMs, window_end: nowMs, samples: breach.n[0] + breach.n[1],
      threshold_from: { kind: 'absolute' }, held_ms: 0, experiment: breach.experiment, policy: 'alert_only', watch: true,
      breached: failed.map((t) => ({ name: t.name, reason: t.reason })), metrics: breach.evidence,
    },
  };
}

function nOf(evaluation: ExperimentEvaluation): readonly [number, number] {
  return [evaluation.srm.observed[0], evaluation.srm.observed[1]];
}

/** A derived compressed candidate's evidence for the experiment record: tokens before/after and what each transform saved. */
function compressionEvidenceOf(info: VariantInfo | null): Record<string, unknown> {
  const c = info?.compression ?? null;
  if (c === null) return {};
  return {
    compression: {
      level: c.level, tokens_before: c.tokensBefore, tokens_after: c.tokensAfter, saving_pct: c.savingPct,
      transforms: c.transforms.map((t) => ({ name: t.name, tokens_saved: t.tokensSaved })),
    },
  };
}

function paramsOf(info: VariantInfo): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (info.tier !== null) params['tier'] = info.tier;
  if (info.maxTokens !== null) params['max_tokens'] = info.maxTokens;
  if (info.template !== null) params['template'] = info.template;
  if (info.compression !== null) {
    params['tokens_before'] = info.compression.tokensBefore;
    params['tokens_after'] = info.compression.tokensAfter;
    params['token_saving_pct'] = info.compression.savingPct;
    params['compression_level'] = info.compression.level;
    params['transforms'] = info.compression.transforms.map((t) => t.name);
  }
  return params;
}
