import type { Config } from '../config/schema.js';
import type { DecisionRecord, TriggerRecord } from '../core/decision.js';
import type { TelemetryEvent } from '../core/event.js';
import { clopperPearson, metricInterval } from '../detectors/metricInterval.js';
import { metricSamples, metricValue } from '../detectors/metricValue.js';
import { INACTIVE, stepRule, type RuleState, type RuleTransition } from '../detectors/ruleState.js';
import { QuantileSketch } from '../windows/quantileSketch.js';
import type { WindowStats } from '../windows/windowStats.js';
import type { StageObservation, StageRouteState } from './foresightCheckpoint.js';

/** Width of one slice of stage timings, ms. */
const SLICE_MS = 300_000;
/** Slices judged together: the last 15 minutes of a route's stage timings. */
const SLICES = 3;
/** The quantile a stage's share of the budget bounds (the p95, like the guide's response-time targets). */
const LEVEL = 0.95;
/** The slices of a route with no stage timings: nothing to walk. */
const NO_SLICES: readonly (Slice | undefined)[] = [];
/** The stage name of the end-to-end fallback (calls without stage timings). */
export const END_TO_END = 'end_to_end';

/** One stage's timings in one slice: a sketch for its p95, and how many calls were over its budget. */
interface StageSlice {
  readonly sketch: QuantileSketch;
  calls: number;
  over: number;
}

interface Slice {
  startMs: number;
  readonly stages: Map<string, StageSlice>;
}


interface RouteStages {
  /** A ring of `SLICES + 1` slots by slice start; a slot no call has reached yet is undefined. */
  readonly slices: (Slice | undefined)[];
  readonly rules: Map<string, { state: RuleState; last: StageObservation; variant: string }>;
}

/**
 * The response-time budget by stage (`budgets.response_time`, DESIGN §3): a
 * call may carry its stage timings (`stage_ms` on the wire event, e.g.
 * `{prompt_processing, model_inference, post_processing}`); each stage's p95
 * over the route's last 15 minutes is held against the stage's share of the
 * budget (`allocation`), and a `response_time_budget` trigger names the stage
 * over its share. It fires on evidence: more than 5 % of the stage's calls
 * over its share (that is what a p95 above it means), shown by the exact
 * (Clopper–Pearson) interval of that share at `confidence`, held `for`;
 * resolves once the p95 has been within the share for `keep_firing_for`.
 * A route whose calls carry no stage timings is judged end to end instead
 * (with `end_to_end: true`): the production variant's rolling-window p95
 * (with the window rules' interval) against `total_ms`, stage `end_to_end`.
 *
 * @remarks Pure and deterministic (event time only). Memory per route: 3
 * slices × the budgeted stages × one sketch; stages outside `allocation` are
 * ignored.
 */
export class StageBudgetWatch {
  private readonly routes = new Map<string, RouteStages>();

  constructor(private readonly config: Config) {}

  /** One accepted call: its stage timings, when it has them, go into the route's current slice. */
  onEvent(event: TelemetryEvent): void {
    const stages = event.stageMs;
    if (stages === undefined) return;
    const allocation = this.config.budgets.response_time.allocation;
    let slice: Slice | null = null;
    for (const stage in stages) {
      const budgetMs = allocation[stage];
      if (budgetMs === undefined) continue;
      const ms = stages[stage]!;
      slice ??= this.sliceFor(event.route, event.ts);
      if (slice === null) return;
      let s = slice.stages.get(stage);
      if (s === undefined) {
        s = { sketch: new QuantileSketch(), calls: 0, over: 0 };
        slice.stages.set(stage, s);
      }
      s.sketch.add(ms);
      s.calls++;
      if (ms > budgetMs) s.over++;
    }
  }

  /** Judges the route at a closed bucket boundary (epoch ms); records to `out`. */
  evaluate(route: string, variant: string, production: WindowStats | null, boundaryMs: number, out: DecisionRecord[]): void {
    const settings = this.config.budgets.response_time;
    // Judged at every boundary of every route: one without stage timings (nor open episodes) has nothing to judge but end to end.
    if (!settings.end_to_end && !this.routes.has(route)) return;
    const observations = this.observe(route, production, boundaryMs);
    const timing = { forMs: settings.for, keepFiringForMs: settings.keep_firing_for, maxGapMs: SLICE_MS * SLICES };
    for (const o of observations) {
      const previous = this.routes.get(route)?.rules.get(o.stage);
      const step = stepRule(previous?.state ?? INACTIVE, o, timing, boundaryMs);
      if (step.next.phase === 'inactive') this.routes.get(route)?.rules.delete(o.stage);
      else this.watchOf(route).rules.set(o.stage, { state: step.next, last: o, variant });
      if (step.transition !== null) out.push(stageTrigger(route, variant, o, step.transition, settings.severity, boundaryMs));
    }
  }

  /**
   * The route's traffic stopped (retired): firing stage budgets resolve with
   * `reason: "no_traffic"`, then its state goes.
   */
  retire(route: string, nowMs: number, out: DecisionRecord[]): void {
    const watch = this.routes.get(route);
    this.routes.delete(route);
    if (watch === undefined) return;
    for (const [, { state, last, variant }] of [...watch.rules].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (state.phase !== 'firing') continue;
      const record = stageTrigger(route, variant, last, { state: 'resolved', heldMs: Math.max(0, nowMs - state.firedMs), episodeStartMs: state.episodeStartMs }, this.config.budgets.response_time.severity, nowMs);
      out.push({ ...record, evidence: { ...record.evidence, reason: 'no_traffic' } });
    }
  }

  /** Every judged stage of the route now: the budgeted stages seen in the last 15 minutes, else end to end. */
  private observe(route: string, production: WindowStats | null, boundaryMs: number): StageObservation[] {
    const settings = this.config.budgets.response_time;
    const tail = (1 - settings.confidence) / 2;
    const fromMs = Math.floor((boundaryMs - SLICE_MS * SLICES) / SLICE_MS) * SLICE_MS;
    // Judged at every boundary of every route: a route without stage timings in the window allocates no map.
    let merged: Map<string, StageSlice> | null = null;
    for (const slice of this.routes.get(route)?.slices ?? NO_SLICES) {
      if (slice === undefined) continue;
      if (slice.startMs < fromMs || slice.startMs >= boundaryMs) continue;
      for (const [stage, s] of slice.stages) {
        merged ??= new Map();
        let m = merged.get(stage);
        if (m === undefined) {
          m = { sketch: new QuantileSketch(), calls: 0, over: 0 };
          merged.set(stage, m);
        }
        m.sketch.merge(s.sketch);
        m.calls += s.calls;
        m.over += s.over;
      }
    }
    const out: StageObservation[] = [];
    if (merged !== null) {
      for (const stage of Object.keys(settings.allocation).sort()) {
        const m = merged.get(stage);
        if (m === undefined || m.calls < settings.min_samples) continue;
        const budgetMs = settings.allocation[stage]!;
        const p95Ms = m.sketch.quantile(LEVEL) ?? 0;
        const share = clopperPearson(m.over, m.calls, tail);
        out.push({
          stage, budgetMs, p95Ms, calls: m.calls, over: m.over, ci: [share.lower, share.upper], ciMethod: 'clopper_pearson_share_over',
          windowStartMs: fromMs, windowEndMs: boundaryMs, breached: share.lower > 1 - LEVEL, clear: m.over / m.calls <= 1 - LEVEL,
        });
      }
      return out;
    }
    if (production === null || !settings.end_to_end) return out;
    const p95Ms = metricValue(production, 'latency_p95_ms');
    const calls = metricSamples(production, 'latency_p95_ms');
    if (p95Ms === null || calls < settings.min_samples) return out;
    const ci = p95Ms > settings.total_ms ? metricInterval(production, 'latency_p95_ms', p95Ms, settings.confidence) : { lower: p95Ms, upper: p95Ms, method: 'point' };
    out.push({
      stage: END_TO_END, budgetMs: settings.total_ms, p95Ms, calls, over: -1, ci: [ci.lower, ci.upper], ciMethod: ci.method,
      windowStartMs: production.windowStartMs, windowEndMs: production.windowEndMs, breached: ci.lower > settings.total_ms, clear: p95Ms <= settings.total_ms,
    });
    return out;
  }

  /** The route's stage timings and open episodes (a checkpoint), or null when it has none. */
  exportRoute(route: string): StageRouteState | null {
    const watch = this.routes.get(route);
    if (watch === undefined) return null;
    const slices = watch.slices
      .filter((slice): slice is Slice => slice !== undefined)
      .sort((a, b) => a.startMs - b.startMs)
      .map((slice) => ({ startMs: slice.startMs, stages: [...slice.stages].map(([stage, s]) => [stage, s.sketch.exportState(), s.calls, s.over] as const) }));
    return { slices, rules: [...watch.rules].map(([stage, rule]) => [stage, { state: rule.state, last: rule.last, variant: rule.variant }] as const) };
  }

  /**
   * Replaces the route's state with an {@link exportRoute} value (null: none).
   * Throws an InvariantError, changing nothing, when a sketch is not one.
   */
  importRoute(route: string, state: StageRouteState | null): void {
    if (state === null) {
      this.routes.delete(route);
      return;
    }
    const watch: RouteStages = { slices: emptyRing(), rules: new Map() };
    for (const { startMs, stages } of state.slices) {
      const slice: Slice = { startMs, stages: new Map() };
      for (const [stage, sketchState, calls, over] of stages) {
        const sketch = new QuantileSketch();
        sketch.restoreState(sketchState);
        slice.stages.set(stage, { sketch, calls, over });
      }
      watch.slices[ringIndex(startMs)] = slice;
    }
    for (const [stage, rule] of state.rules) watch.rules.set(stage, { state: rule.state, last: rule.last, variant: rule.variant });
    this.routes.set(route, watch);
  }

  /** The route's slice for `ts`, or null when `ts` is older than the ring. */
  private sliceFor(route: string, ts: number): Slice | null {
    const watch = this.watchOf(route);
    const startMs = Math.floor(ts / SLICE_MS) * SLICE_MS;
    const at = ringIndex(startMs);
    let slice = watch.slices[at];
    if (slice === undefined) {
      slice = { startMs, stages: new Map() };
      watch.slices[at] = slice;
    } else if (slice.startMs !== startMs) {
      if (slice.startMs > startMs) return null;
      slice.startMs = startMs;
      slice.stages.clear();
    }
    return slice;
  }

  private watchOf(route: string): RouteStages {
    let watch = this.routes.get(route);
    if (watch === undefined) {
      watch = { slices: emptyRing(), rules: new Map() };
      this.routes.set(route, watch);
    }
    return watch;
  }
}

/** A ring of empty slots (dense: iterating it sees every slot, filled or not). */
function emptyRing(): (Slice | undefined)[] {
  return Array.from({ length: SLICES + 1 }, () => undefined);
}

/** The ring position of the slice starting at `startMs` (epoch ms, a multiple of {@link SLICE_MS}). */
function ringIndex(startMs: number): number {
  return (((startMs / SLICE_MS) % (SLICES + 1)) + SLICES + 1) % (SLICES + 1);
}

function stageTrigger(route: string, variant: string, o: StageObservation, transition: RuleTransition, severity: TriggerRecord['severity'], nowMs: number): TriggerRecord {
  const endToEnd = o.stage === END_TO_END;
  return {
    type: 'trigger',
    ts: nowMs,
    route,
    variant,
    rule: 'response_time_budget',
    metric: 'latency_p95_ms',
    value: o.p95Ms,
    threshold: o.budgetMs,
    severity,
    state: transition.state,
    evidence: {
      window_ms: o.windowEndMs - o.windowStartMs,
      window_start: o.windowStartMs,
      window_end: o.windowEndMs,
      samples: o.calls,
      threshold_from: { kind: 'budget', budget: endToEnd ? 'budgets.response_time.total_ms' : `budgets.response_time.allocation.${o.stage}`, reference: o.budgetMs, margin_pct: 0 },
      held_ms: transition.heldMs,
      stage: o.stage,
      stage_budget_ms: o.budgetMs,
      ...(endToEnd ? { ci: o.ci, ci_method: o.ciMethod } : { calls_over_budget: o.over, share_over_budget: o.over / o.calls, share_ci: o.ci, ci_method: o.ciMethod }),
    },
  };
}
