import type { Assignment, ExperimentSnapshot } from '../abtest/experimentManager.js';
import type { DecisionRecord } from '../core/decision.js';
import type { PipelineEngine } from '../engine/engine.js';
import type { Pipeline } from './ingestService.js';

/** A manual decision an operator can take on a running experiment. */
export type ManualDecision = 'promote' | 'rollback';

/** What a manual promote/rollback came to: decided (with its records), or why not. */
export type ManualDecisionOutcome =
  | { readonly kind: 'decided'; readonly experiment: ExperimentSnapshot | null; readonly decisions: readonly DecisionRecord[] }
  | { readonly kind: 'not_found' }
  /** It had ended already (before the request, or while it waited for its turn in the pipeline). */
  | { readonly kind: 'not_running'; readonly status: string };

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
  ) {}

  /** The variant (and experiment arm) to serve `unit` on `route`, or null for an unknown route. */
  assign(route: string, unit: string): Assignment | null {
    return this.engine.experiments.assign(route, unit);
  }

  /** Every known experiment, running and ended. */
  list(): ExperimentSnapshot[] {
    return this.engine.experiments.list();
  }

  get(id: string): ExperimentSnapshot | null {
    return this.engine.experiments.get(id);
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
}
