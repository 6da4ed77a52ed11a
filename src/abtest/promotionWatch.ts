import type { AbTestConfig } from '../config/schema.js';
import type { ActionKind, MetricEvidence, VariantRef } from '../core/decision.js';
import type { TelemetryEvent } from '../core/event.js';
import { createArmStats } from './armStats.js';
import { compareArms, metricAlpha } from './compare.js';
import { addArmEvent, evidenceOf, type ExperimentState } from './evaluate.js';
import { assessTriggers, type GateAssessment } from './guards.js';

/**
 * A promoted candidate under watch: the pre-promotion baseline's arm, frozen, against the promoted variant's traffic since.
 * Plain JSON: the route's stored control state carries it (so a restart or a takeover goes on watching), and so
 * does its checkpoint (see {@link PromotionWatches.exportRoute}).
 */
export interface Watch {
  readonly experiment: string;
  readonly kind: ActionKind;
  readonly baseline: VariantRef;
  readonly promoted: VariantRef;
  readonly promotedAtMs: number;
  readonly untilMs: number;
  readonly state: ExperimentState;
  dirty: boolean;
}

/** A watch that found a rollback trigger breached. */
export interface WatchBreach {
  readonly experiment: string;
  readonly kind: ActionKind;
  readonly baseline: VariantRef;
  readonly promoted: VariantRef;
  readonly promotedAtMs: number;
  readonly windowMs: number;
  readonly reason: string;
  readonly evidence: Record<string, MetricEvidence>;
  readonly triggers: readonly GateAssessment[];
  readonly n: readonly [number, number];
}

/**
 * The watch after promotion (DESIGN §4, `abtest.watch_after_promotion`): for
 * that long (event time) after a promotion, the promoted variant's traffic is
 * compared with the experiment's baseline arm as it stood at promotion, with
 * the same anytime-valid statistics and the route's rollback triggers. A
 * trigger proven breached is reported once; the watch then ends. Pure.
 */
export class PromotionWatches {
  private readonly byRoute = new Map<string, Watch>();
  private changes = 0;

  /** Moves whenever a watch starts or ends: what {@link active} may be cached against. */
  get version(): number {
    return this.changes;
  }

  /** Starts watching `route` after its experiment promoted `promoted` over `baseline` at `nowMs`. */
  start(route: string, experiment: { id: string; kind: ActionKind; baseline: VariantRef; candidate: VariantRef }, experimentState: ExperimentState, nowMs: number, windowMs: number): void {
    if (windowMs <= 0) return;
    this.changes++;
    // The baseline's arm and its frozen p95 threshold carry over; the candidate side starts empty.
    const baseline = structuredClone(experimentState.baseline);
    const tail = { ...structuredClone(experimentState.tail), candidateBuckets: {}, candidateN: 0 };
    this.byRoute.set(route, {
      experiment: experiment.id, kind: experiment.kind, baseline: experiment.baseline, promoted: experiment.candidate,
      promotedAtMs: nowMs, untilMs: nowMs + windowMs, dirty: false,
      state: { startedAtMs: nowMs, baseline, candidate: createArmStats(), expectedCandidate: 0, tail },
    });
  }

  /** Whether `route` is under watch (cheap: asked per event on the hot path). */
  active(route: string): boolean {
    return this.byRoute.size > 0 && this.byRoute.has(route);
  }

  /** Stops watching a route (a new experiment starts there). */
  stop(route: string): void {
    if (this.byRoute.delete(route)) this.changes++;
  }

  /**
   * The route's watch, for the API: experiment id, when it began and ends (event time) and the promoted
   * variant's calls counted so far; null when none.
   */
  watching(route: string): { readonly experiment: string; readonly promotedAtMs: number; readonly untilMs: number; readonly n: number } | null {
    const watch = this.byRoute.get(route);
    return watch === undefined ? null : { experiment: watch.experiment, promotedAtMs: watch.promotedAtMs, untilMs: watch.untilMs, n: watch.state.candidate.n };
  }

  /**
   * Counts an event of a watched route's promoted variant (events tagged with
   * an experiment are not its traffic); true when it counted (the route's stored state changed).
   */
  onEvent(event: TelemetryEvent): boolean {
    if (this.byRoute.size === 0 || event.experiment !== undefined) return false;
    const watch = this.byRoute.get(event.route);
    if (watch === undefined || event.variant !== watch.promoted.variant || event.ts < watch.promotedAtMs) return false;
    addArmEvent(watch.state, true, event);
    watch.dirty = true;
    return true;
  }

  /** A route's watch as plain data (a copy), for a checkpoint; null when none. */
  exportRoute(route: string): Watch | null {
    const watch = this.byRoute.get(route);
    return watch === undefined ? null : structuredClone(watch);
  }

  /** Replaces a route's watch with an {@link exportRoute} value (null: none). */
  importRoute(route: string, watch: Watch | null): void {
    if (watch === null) this.byRoute.delete(route);
    else this.byRoute.set(route, structuredClone(watch));
    this.changes++;
  }

  /**
   * At a closed boundary of `route`: the breach, if a rollback trigger is now
   * proven (the watch ends); null otherwise. A watch past its window ends quietly.
   */
  check(route: string, nowMs: number, policy: AbTestConfig): WatchBreach | null {
    const watch = this.byRoute.get(route);
    if (watch === undefined) return null;
    if (nowMs >= watch.untilMs) {
      this.byRoute.delete(route);
      this.changes++;
      return null;
    }
    if (!watch.dirty || watch.state.candidate.n < policy.min_samples_per_arm) return null;
    watch.dirty = false;
    const comparisons = compareArms(watch.state.baseline, watch.state.candidate, policy, watch.state.tail);
    const triggers = assessTriggers(comparisons, policy, watch.kind);
    const breached = triggers.filter((t) => t.status === 'failed');
    if (breached.length === 0) return null;
    this.byRoute.delete(route);
    this.changes++;
    return {
      experiment: watch.experiment, kind: watch.kind, baseline: watch.baseline, promoted: watch.promoted, promotedAtMs: watch.promotedAtMs,
      windowMs: watch.untilMs - watch.promotedAtMs, reason: breached.map((t) => `rollback trigger: ${t.reason}`).join(' | '),
      evidence: evidenceOf(comparisons, metricAlpha(policy)), triggers, n: [watch.state.baseline.n, watch.state.candidate.n],
    };
  }
}
