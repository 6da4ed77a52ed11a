import { stringifyRounded } from './jsonNumbers.js';
import type { Pattern } from './patterns.js';

/** Severity of a trigger. */
export type Severity = 'info' | 'warning' | 'critical';

/** Kinds of optimization action (DESIGN §4). */
export const ACTION_KINDS = ['pattern_simplification', 'token_optimization', 'pattern_enhancement'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Statistic names a rule may watch; each is one field of the window statistics. */
export const METRICS = [
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'error_rate',
  'cost_per_task_usd',
  'tokens_per_request',
  'tokens_per_quality_point',
  'accuracy',
  'consistency',
  'satisfaction',
] as const;
export type MetricName = (typeof METRICS)[number];

/** Metrics of experiment health alerts (not rule metrics). */
export type ExperimentMetricName = 'srm_p_value' | 'rollback_triggers_breached';

/** Metrics of budget alerts (not rule metrics): a UTC day's spend of one budget share, USD. */
export type BudgetMetricName = 'daily_spend_usd';

/** A rule's condition started or stopped holding (DESIGN §5). */
export interface TriggerRecord {
  readonly type: 'trigger';
  /** Event time, epoch ms. */
  readonly ts: number;
  readonly route: string;
  readonly variant: string;
  readonly rule: string;
  readonly metric: MetricName | ExperimentMetricName | BudgetMetricName;
  readonly value: number;
  readonly threshold: number;
  readonly severity: Severity;
  readonly state: 'firing' | 'resolved';
  /** Evidence: rolling window and sample size behind `value`, and how the threshold was derived. */
  readonly evidence: TriggerEvidence;
}

export interface TriggerEvidence {
  readonly window_ms: number;
  readonly window_start: number;
  readonly window_end: number;
  readonly samples: number;
  /** Threshold derivation, e.g. `{kind:"target", reference:2000, margin_pct:20}`. */
  readonly threshold_from: ThresholdSource;
  /** For how long (event time, ms) the condition held (firing) or stayed clear (resolved). */
  readonly held_ms: number;
  readonly action?: ActionKind;
  readonly [extra: string]: unknown;
}

export type ThresholdSource =
  | { readonly kind: 'absolute' }
  | { readonly kind: 'target'; readonly target: string; readonly reference: number; readonly margin_pct: number }
  | { readonly kind: 'baseline'; readonly reference: number; readonly margin_pct: number; readonly baseline_samples: number }
  | { readonly kind: 'budget'; readonly budget: string; readonly reference: number; readonly margin_pct: number };

/** A variant as actions and experiments refer to it. */
export interface VariantRef {
  readonly variant: string;
  readonly pattern?: Pattern;
  readonly tier?: string;
  readonly max_tokens?: number;
}

/** How a pattern action changes the prompt: the candidate's template and both templates' token counts (o200k_base). */
export interface PromptChange {
  /** `derived`: rewritten from the baseline's template; `registered`: a variant configured for the target pattern. */
  readonly source: 'derived' | 'registered';
  readonly baseline_tokens: number | null;
  readonly candidate_tokens: number | null;
  /** What the rewrite dropped or added (derived only), with the text. */
  readonly changes?: readonly { readonly name: string; readonly text: readonly string[] }[];
}

/** A proposed change to a route (DESIGN §5). */
export interface ActionRecord {
  readonly type: 'action';
  /** Never set on a planned action (DESIGN §5 gives it no status); present to tell it from a skipped one. */
  readonly status?: undefined;
  readonly ts: number;
  /** Idempotency key: the same detection in the same episode always yields the same id. */
  readonly id: string;
  readonly route: string;
  readonly kind: ActionKind;
  readonly rule: string;
  readonly from: VariantRef;
  readonly to: VariantRef;
  readonly reason: string;
  readonly evidence: ActionEvidence;
  /** Pattern actions on a route whose template is known: how the prompt changes. */
  readonly prompt?: PromptChange;
}

/** What a planned or skipped action was asked for. */
export interface ActionEvidence {
  readonly metric: MetricName;
  readonly value: number;
  readonly threshold: number;
  readonly samples: number;
}

/** Why an action was not taken. */
export const SKIP_REASONS = ['cooldown', 'experiment_running', 'no_candidate', 'not_production', 'frozen'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * An action a firing rule asked for and that was not taken (DESIGN §5), once
 * per episode: `reason` is the sentence, `reason_code` the machine-readable cause.
 */
export interface SkippedActionRecord {
  readonly type: 'action';
  readonly status: 'skipped';
  readonly ts: number;
  /** The idempotency key the action would have had. */
  readonly id: string;
  readonly route: string;
  readonly variant: string;
  readonly kind: ActionKind;
  readonly rule: string;
  readonly reason: string;
  readonly reason_code: SkipReason;
  /** The change that would have been proposed, when one was found. */
  readonly from?: VariantRef;
  readonly to?: VariantRef;
  readonly evidence: ActionEvidence;
}

/** Per-metric comparison in an experiment decision. */
export interface MetricEvidence {
  readonly baseline: number | null;
  readonly candidate: number | null;
  readonly delta: number | null;
  readonly ci: readonly [number, number] | null;
  readonly p: number | null;
  readonly n: readonly [number, number];
  readonly [extra: string]: unknown;
}

export type ExperimentStatus = 'started' | 'promoted' | 'rolled_back' | 'inconclusive';

/** An experiment started or ended (DESIGN §5). */
export interface ExperimentRecord {
  readonly type: 'experiment';
  readonly ts: number;
  readonly id: string;
  readonly route: string;
  readonly status: ExperimentStatus;
  readonly baseline: VariantRef;
  readonly candidate: VariantRef;
  readonly reason: string;
  readonly evidence: Readonly<Record<string, MetricEvidence>>;
  readonly [extra: string]: unknown;
}

/**
 * A configuration reload was applied or refused (DESIGN §5). `ts` is wall
 * time: reloads happen in the operator's time, not the events'.
 */
export interface ConfigRecord {
  readonly type: 'config';
  readonly ts: number;
  /** Config records are about no route (present so every record can be asked for its route). */
  readonly route?: undefined;
  readonly status: 'applied' | 'rejected';
  /** The file (or `SIGHUP`-triggered file) the configuration came from. */
  readonly source: string;
  /** With Redis, where instances share one decision log: the instance that reloaded (`redis.instance_id`). */
  readonly instance?: string;
  /** What changed (applied: the changed key paths) or what was wrong (rejected: the validation problems). */
  readonly reason: string;
  /** Applied: the top-level key paths whose values changed. */
  readonly changed?: readonly string[];
}

/** Operator or policy steering of a route (DESIGN §4): pause/resume an experiment, freeze/unfreeze a route. */
export const POLICY_ACTIONS = ['pause', 'resume', 'freeze', 'unfreeze'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/**
 * A route's experiment was paused or resumed, or the route frozen (no new
 * actions or experiments) or unfrozen — through the API, or by the route's
 * `on_breach: pause` policy. `ts` is the route's event time.
 */
export interface PolicyRecord {
  readonly type: 'policy';
  readonly ts: number;
  readonly route: string;
  readonly action: PolicyAction;
  /** Who asked: an operator through the API, or the route's policy on a breached rollback trigger. */
  readonly source: 'api' | 'policy';
  /** The experiment paused or resumed (pause/resume). */
  readonly experiment?: string;
  readonly reason: string;
}

/**
 * Decisions were lost: the decision log (Redis) was unreachable for longer
 * than the daemon's pending buffer could cover (`redis.max_pending_decisions`),
 * so the oldest held decisions were dropped. Logged in their place once the
 * log is back; `route` is `*` (any route), `ts` the first lost decision's event time.
 */
export interface GapRecord {
  readonly type: 'gap';
  readonly ts: number;
  readonly route: '*';
  /** How many decisions were lost. */
  readonly dropped: number;
  /** Event-time range (epoch ms) of the lost decisions. */
  readonly from_ts: number;
  readonly to_ts: number;
  readonly reason: string;
  /**
   * Present when outbox messages (alerts, decisions for sinks) were lost
   * instead of decisions: how many per destination (`notify:<receiver>`,
   * `kafka:<topic>`). `from_ts`/`to_ts` are then the wall-clock times they were enqueued.
   */
  readonly outbox?: Readonly<Record<string, number>>;
}

/** The `type` of every decision record. */
export const DECISION_TYPES = ['trigger', 'action', 'experiment', 'policy', 'config', 'trend', 'gap'] as const;

/** One metric of a weekly trend: this week, the week before, and the change in percent of the week before. */
export interface TrendMetric {
  readonly current: number | null;
  readonly previous: number | null;
  readonly delta_pct: number | null;
}

/**
 * Weekly performance trend of a route (`performance_trend_analysis: weekly`):
 * one record per route per UTC week (Monday 00:00 to Monday 00:00), emitted
 * when the week's last hour is sealed, comparing it with the week before.
 */
export interface TrendRecord {
  readonly type: 'trend';
  /** Event time the week closed (epoch ms). */
  readonly ts: number;
  readonly route: string;
  readonly period: 'week';
  readonly week_start: number;
  readonly week_end: number;
  /** latency_p95_ms, cost_per_task_usd, tokens_per_quality_point, accuracy, error_rate, spend_usd, calls. */
  readonly metrics: Readonly<Record<string, TrendMetric>>;
  readonly [extra: string]: unknown;
}

/** Every output record of promptpilot. */
export type DecisionRecord = TriggerRecord | ActionRecord | SkippedActionRecord | ExperimentRecord | PolicyRecord | ConfigRecord | TrendRecord | GapRecord;

/**
 * Serializes a record as one NDJSON line with stable key order, so replay of
 * the same input is byte-identical.
 */
export function formatRecord(record: DecisionRecord): string {
  return stringifyRounded(record);
}
