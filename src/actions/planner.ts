import type { Config } from '../config/schema.js';
import { formatDurationMs } from '../config/duration.js';
import type { ActionKind, ActionRecord, MetricName, SkippedActionRecord, SkipReason, VariantRef } from '../core/decision.js';
import type { Pattern } from '../core/patterns.js';
import { actionId } from './plannerId.js';
import { configCatalog, patternCandidate, tokenCandidate, type Candidate, type NoCandidate, type VariantCatalog } from './plannerCandidates.js';
import { cooldownAfterAction, cooldownBlock, type RouteCooldown } from './routeCooldown.js';

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
  /** The route's production variant; an action is only planned for it. Absent: the variant is taken to be production. */
  readonly production?: string | null;
  /** Why the route takes no action now whatever its cooldown says (frozen, an experiment running, or the route's cooldown as it stood at the boundary). */
  readonly blocked?: ActionBlock | null;
}

/** A route-level reason not to act, decided by the caller (e.g. the experiment manager). */
export interface ActionBlock {
  readonly code: Extract<SkipReason, 'experiment_running' | 'cooldown' | 'frozen'>;
  /** The sentence for the skipped record, e.g. `experiment exp-… running`. */
  readonly detail: string;
}

/**
 * Outcome of planning. `planned` carries the action record and the cooldown
 * it starts on the route; `skipped` carries the skipped-action record saying why
 * nothing is proposed (`not_production`, `experiment_running`, `cooldown`,
 * `no_candidate`: nothing to move to, or no real prompt for the target).
 * `key` is the idempotency key in both cases (equal to `record.id`).
 */
export type ActionPlan =
  | { readonly outcome: 'planned'; readonly key: string; readonly record: ActionRecord; readonly cooldown: RouteCooldown }
  | { readonly outcome: 'skipped'; readonly key: string; readonly reason: SkipReason; readonly detail: string; readonly record: SkippedActionRecord };

/**
 * Plans the action for a rule that just fired. Pure: the same request and
 * cooldown always give the same plan (and the same id). Nothing is planned
 * while the route cools down (`cooldown`, the route's one
 * {@link RouteCooldown}), whichever rule asks; a planned action starts a
 * cooldown of `config.actions.cooldown` (event time), which the caller starts
 * on the route when it uses the plan.
 */
export function planAction(request: PlanRequest, cooldown: RouteCooldown | null, config: Config, catalog: VariantCatalog = configCatalog(config)): ActionPlan {
  const key = actionId(request.route, request.variant, request.rule, request.episodeStartMs);
  const skip = (reason: SkipReason, detail: string, change?: { from: VariantRef; to: VariantRef }): ActionPlan => ({
    outcome: 'skipped', key, reason, detail, record: skippedRecord(request, key, reason, detail, change),
  });
  if (request.production != null && request.production !== request.variant) {
    return skip('not_production', `${request.variant} is not the production variant of route ${request.route} (${request.production}); only the production variant is optimized`);
  }
  const blocked = request.blocked ?? cooldownBlock(cooldown, request.route, request.nowMs);
  if (blocked !== null) return skip(blocked.code, blocked.detail);
  const candidate = candidateFor(request, config, catalog);
  if (candidate === null) {
    return skip('no_candidate', `no candidate: no ${request.kind} step from ${request.pattern ?? 'an unknown pattern'} on the pattern ladder for ${request.route}/${request.variant}`);
  }
  if ('impossible' in candidate) {
    const target = request.kind === 'token_optimization' ? describe(candidate.to) : (candidate.to.pattern ?? candidate.to.variant);
    return skip('no_candidate', `no candidate: ${candidate.impossible} (${describe(candidate.from)} → ${target})`, candidate);
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
    evidence: evidenceOf(request),
    ...(candidate.prompt !== undefined ? { prompt: candidate.prompt } : {}),
  };
  return { outcome: 'planned', key, record, cooldown: cooldownAfterAction(key, request.nowMs, config.actions.cooldown) };
}

function evidenceOf(request: PlanRequest): ActionRecord['evidence'] {
  return { metric: request.metric, value: request.value, threshold: request.threshold, samples: request.samples };
}

function skippedRecord(request: PlanRequest, key: string, reason: SkipReason, detail: string, change?: { from: VariantRef; to: VariantRef }): SkippedActionRecord {
  return {
    type: 'action', status: 'skipped', ts: request.nowMs, id: key, route: request.route, variant: request.variant, kind: request.kind, rule: request.rule,
    reason: detail, reason_code: reason, ...(change !== undefined ? { from: change.from, to: change.to } : {}), evidence: evidenceOf(request),
  };
}

function candidateFor(request: PlanRequest, config: Config, catalog: VariantCatalog): Candidate | NoCandidate | null {
  switch (request.kind) {
    case 'pattern_simplification':
      return patternCandidate(config, catalog, request.route, request.variant, request.pattern, -1);
    case 'pattern_enhancement':
      return patternCandidate(config, catalog, request.route, request.variant, request.pattern, 1);
    case 'token_optimization':
      return tokenCandidate(config, catalog, request.route, request.variant, request.pattern);
  }
}

/** A human sentence: what was seen, against what threshold, for how long, and the proposed change. */
function reasonFor(request: PlanRequest, candidate: Candidate): string {
  const comparison = request.op === 'gt' ? 'above' : 'below';
  const seen = `${request.metric} ${formatNumber(request.value)} is ${comparison} the threshold ${formatNumber(request.threshold)}`;
  const held = `for ${formatDurationMs(Math.max(0, request.heldMs))} (${request.samples} samples)`;
  const prompt = candidate.prompt;
  const tokens = prompt?.baseline_tokens != null && prompt.candidate_tokens != null ? ` (prompt ${prompt.baseline_tokens} → ${prompt.candidate_tokens} tokens, ${prompt.source === 'derived' ? 'rewritten from the baseline template' : 'registered variant'})` : '';
  return `${request.rule}: ${seen} ${held}; proposing ${describe(candidate.from)} → ${describe(candidate.to)}${tokens} on route ${request.route}.`;
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
