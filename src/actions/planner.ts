import type { Config } from '../config/schema.js';
import { formatDurationMs } from '../config/duration.js';
import type { ActionKind, ActionRecord, MetricName, VariantRef } from '../core/decision.js';
import type { Pattern } from '../core/patterns.js';
import { actionId } from './plannerId.js';
import { patternCandidate, tokenCandidate, type Candidate } from './plannerCandidates.js';

/** What fired: the evidence an action is planned from. */
export interface PlanRequest {
  readonly route: string;
  readonly variant: string;
  /** Pattern the variant's traffic reported (`WindowStats.pattern`), if any. */
  readonly pattern: Pattern | null;
  readonly rule: string;
  readonly kind: ActionKind;
  readonly metric: MetricName;
  readonly op: 'gt' | 'lt';
  readonly value: number;
  readonly threshold: number;
  readonly samples: number;
  /** How long the condition held before firing, ms. */
  readonly heldMs: number;
  /** Event time the episode started, epoch ms: part of the idempotency key. */
  readonly episodeStartMs: number;
  /** Event time of the firing evaluation, epoch ms: the action's `ts`. */
  readonly nowMs: number;
}

/** Per-route planner memory. */
export interface RoutePlannerState {
  /** Event time of the route's last planned action, epoch ms; null if none yet. */
  readonly lastActionMs: number | null;
  readonly lastActionId: string | null;
}

/** The state of a route that has never had an action. */
export const NO_ACTION_YET: RoutePlannerState = { lastActionMs: null, lastActionId: null };

/**
 * Outcome of planning. `planned` carries the action record and the route's
 * next planner state; `skipped` says why nothing is proposed (`cooldown`: the
 * route had an action less than `actions.cooldown` ago; `no_step`: nothing to
 * move to, e.g. already at the end of the ladder). `key` is the idempotency
 * key in both cases (equal to `record.id` when planned).
 */
export type ActionPlan =
  | { readonly outcome: 'planned'; readonly key: string; readonly record: ActionRecord; readonly state: RoutePlannerState }
  | { readonly outcome: 'skipped'; readonly key: string; readonly reason: 'cooldown' | 'no_step'; readonly detail: string };

/**
 * Plans the action for a rule that just fired. Pure: the same request and
 * state always give the same plan (and the same id). At most one action per
 * route per cooldown (`config.actions.cooldown`, event time), whichever rule
 * asks; the caller stores `plan.state` when it uses a planned action.
 */
export function planAction(request: PlanRequest, state: RoutePlannerState, config: Config): ActionPlan {
  const key = actionId(request.route, request.variant, request.rule, request.episodeStartMs);
  if (state.lastActionMs !== null && request.nowMs - state.lastActionMs < config.actions.cooldown) {
    const leftMs = config.actions.cooldown - (request.nowMs - state.lastActionMs);
    return { outcome: 'skipped', key, reason: 'cooldown', detail: `route ${request.route} is in action cooldown for another ${formatDurationMs(leftMs)}` };
  }
  const candidate = candidateFor(request, config);
  if (candidate === null) {
    return { outcome: 'skipped', key, reason: 'no_step', detail: `no ${request.kind} step available for ${request.route}/${request.variant}` };
  }
  const record: ActionRecord = {
    type: 'action',
    ts: request.nowMs,
    id: key,
    route: request.route,
    kind: request.kind,
    rule: request.rule,
    from: candidate.from,
    to: candidate.to,
    reason: reasonFor(request, candidate),
    evidence: { metric: request.metric, value: request.value, threshold: request.threshold, samples: request.samples },
  };
  return { outcome: 'planned', key, record, state: { lastActionMs: request.nowMs, lastActionId: key } };
}

function candidateFor(request: PlanRequest, config: Config): Candidate | null {
  switch (request.kind) {
    case 'pattern_simplification':
      return patternCandidate(config, request.route, request.variant, request.pattern, -1);
    case 'pattern_enhancement':
      return patternCandidate(config, request.route, request.variant, request.pattern, 1);
    case 'token_optimization':
      return tokenCandidate(config, request.route, request.variant, request.pattern);
  }
}

/** A human sentence: what was seen, against what threshold, for how long, and the proposed change. */
function reasonFor(request: PlanRequest, candidate: Candidate): string {
  const comparison = request.op === 'gt' ? 'above' : 'below';
  const seen = `${request.metric} ${formatNumber(request.value)} is ${comparison} the threshold ${formatNumber(request.threshold)}`;
  const held = `for ${formatDurationMs(Math.max(0, request.heldMs))} (${request.samples} samples)`;
  return `${request.rule}: ${seen} ${held}; proposing ${describe(candidate.from)} → ${describe(candidate.to)} on route ${request.route}.`;
}

function describe(ref: VariantRef): string {
  const details = [ref.pattern, ref.tier !== undefined ? `${ref.tier}${ref.max_tokens !== undefined ? ` ${ref.max_tokens} tokens` : ''}` : undefined]
    .filter((part) => part !== undefined)
    .join(', ');
  return details === '' ? ref.variant : `${ref.variant} (${details})`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
