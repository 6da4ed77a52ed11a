import type { Assignment, ExperimentSnapshot } from '../abtest/experimentManager.js';
import type { DecisionRecord, PolicyAction, PolicyRecord } from '../core/decision.js';
import type { PipelineEngine } from '../engine/engine.js';
import type { Pipeline } from './ingestService.js';

/**
 * An experiment as the API shows it: its snapshot, plus `watch` while a
 * promotion is under the watch after promotion (`abtest.watch_after_promotion`):
 * when it began and ends (event time, epoch ms) and the promoted variant's calls
 * compared so far. Absent once the watch ended (window over, or a rollback).
 */
export type ExperimentView = ExperimentSnapshot & { readonly watch?: { readonly promoted_at: number; readonly until: number; readonly n: number } };

/** A manual decision an operator can take on a running experiment. */
export type ManualDecision = 'promote' | 'rollback';

/** What a manual promote/rollback came to: decided (with its records), or why not. */
export type ManualDecisionOutcome =
  | { readonly kind: 'decided'; readonly experiment: ExperimentSnapshot | null; readonly decisions: readonly DecisionRecord[] }
  | { readonly kind: 'not_found' }
  /** It had ended already (before the request, or while it waited for its turn in the pipeline). */
  | { readonly kind: 'not_running'; readonly status: string };

/** What steering a route came to: its policy record, an unknown route, or why it does not apply (nothing to pause, already frozen). */
export type SteerOutcome =
  | { readonly kind: 'steered'; readonly decision: PolicyRecord }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'not_applicable'; readonly error: string };

/**
 * The experiment use cases every adapter calls (HTTP control API, simulator,
 * CLI): which variant to serve a unit (`/v1/assign`), the experiments, and
 * an operator's promote/rollback — serialized with the event stream, at the
 * route's event time, so replaying the log decides the same.
 */
export class ExperimentService {
  constructor(
    private readonly engine: PipelineEngine,
    private readonly pipeline: Pipeline,
    /** Wall time, ms: the time of a steering record on a route that has no event time yet. */
    private readonly wallClockMs: () => number,
  ) {}

  /** The variant (and experiment arm) to serve `unit` on `route`, or null for an unknown route. */
  assign(route: string, unit: string): Assignment | null {
    return this.engine.experiments.assign(route, unit);
  }

  /** Every known experiment, running and ended; a promotion still under watch says so. */
  list(): ExperimentView[] {
    return this.engine.experiments.list().map((s) => this.view(s));
  }

  get(id: string): ExperimentView | null {
    const snapshot = this.engine.experiments.get(id);
    return snapshot === null ? null : this.view(snapshot);
  }

  /** A promoted experiment whose route is still under the watch after promotion gets `watch`. */
  private view(snapshot: ExperimentSnapshot): ExperimentView {
    if (snapshot.status !== 'promoted') return snapshot;
    const watch = this.engine.experiments.watches.watching(snapshot.route);
    if (watch === null || watch.experiment !== snapshot.id) return snapshot;
    return { ...snapshot, watch: { promoted_at: watch.promotedAtMs, until: watch.untilMs, n: watch.n } };
  }

  /** Ends a running experiment by hand; its decision records are logged and published like any other. */
  async decide(id: string, decision: ManualDecision): Promise<ManualDecisionOutcome> {
    const existing = this.get(id);
    if (existing === null) return { kind: 'not_found' };
    if (existing.status !== 'running') return { kind: 'not_running', status: existing.status };
    let ended = false;
    const decisions = await this.pipeline.submit({
      kind: 'command',
      run: (engine) => {
        const nowMs = engine.watermarkOf(existing.route) ?? existing.started_at;
        const out = engine.experiments.decideManually(id, decision, nowMs);
        ended = out === null;
        return out ?? [];
      },
    });
    if (ended) return { kind: 'not_running', status: this.get(id)?.status ?? 'ended' };
    return { kind: 'decided', experiment: this.get(id), decisions };
  }

  /**
   * Steers a route by hand: pause/resume its running experiment, freeze/unfreeze
   * it (no new actions or experiments). Serialized with the event stream at the
   * route's event time (wall time for a configured route with no traffic yet);
   * the policy record is logged and notified like any decision. A route neither
   * seen in traffic nor configured, registered or frozen is `not_found` (as
   * `GET /v1/routes/{route}` answers it): a typo never records a decision.
   */
  async steer(route: string, action: PolicyAction, reason: string): Promise<SteerOutcome> {
    let outcome: SteerOutcome = { kind: 'not_applicable', error: 'not applied' };
    await this.pipeline.submit({
      kind: 'command',
      run: (engine) => {
        // A frozen route stays frozen when its traffic stops and its live state goes: it must stay unfreezable.
        if (!engine.hasRoute(route) && !engine.experiments.registry.has(route) && !engine.experiments.isFrozen(route)) {
          outcome = { kind: 'not_found' };
          return [];
        }
        const steered = engine.experiments.steer(route, action, engine.watermarkOf(route) ?? this.wallClockMs(), reason);
        if ('error' in steered) {
          outcome = { kind: 'not_applicable', error: steered.error };
          return [];
        }
        outcome = { kind: 'steered', decision: steered };
        return [steered];
      },
    });
    return outcome;
  }
}
