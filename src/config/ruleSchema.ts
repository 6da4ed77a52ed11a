import { z } from 'zod';
import { ACTION_KINDS, METRICS } from '../core/decision.js';
import { duration } from './duration.js';

const pct = z.number().min(0).max(1000);
const fraction = z.number().min(0).max(1);
const positive = z.number().positive();

const TARGET_VALUES = {
  latency_p95_ms: positive,
  latency_p99_ms: positive,
  cost_per_task_usd: positive,
  tokens_per_quality_point: positive,
  accuracy: fraction,
  consistency: fraction,
} as const;

/** Per-route targets and budgets (reference guide "monitoring framework"). */
export const TargetsSchema = z
  .object({
    latency_p95_ms: TARGET_VALUES.latency_p95_ms.default(2000),
    latency_p99_ms: TARGET_VALUES.latency_p99_ms.default(5000),
    cost_per_task_usd: TARGET_VALUES.cost_per_task_usd.default(0.1),
    tokens_per_quality_point: TARGET_VALUES.tokens_per_quality_point.default(100),
    accuracy: TARGET_VALUES.accuracy.default(0.95),
    consistency: TARGET_VALUES.consistency.default(0.9),
  })
  .strict();

/**
 * A route's own targets: only the keys it sets, without defaults, so a key it leaves out keeps the
 * global `targets` value (`TargetsSchema.partial()` would fill it with the built-in default instead).
 */
export const TargetOverridesSchema = z
  .object({
    latency_p95_ms: TARGET_VALUES.latency_p95_ms.optional(),
    latency_p99_ms: TARGET_VALUES.latency_p99_ms.optional(),
    cost_per_task_usd: TARGET_VALUES.cost_per_task_usd.optional(),
    tokens_per_quality_point: TARGET_VALUES.tokens_per_quality_point.optional(),
    accuracy: TARGET_VALUES.accuracy.optional(),
    consistency: TARGET_VALUES.consistency.optional(),
  })
  .strict();
export type Targets = z.output<typeof TargetsSchema>;
export const TARGET_KEYS = ['latency_p95_ms', 'latency_p99_ms', 'cost_per_task_usd', 'tokens_per_quality_point', 'accuracy', 'consistency'] as const;
export type TargetKey = (typeof TARGET_KEYS)[number];

/** How a rule's threshold is derived: absolute, relative to a target, or to the route's own baseline. */
export const ThresholdSchema = z.union([
  z.number(),
  z.object({ target: z.enum(TARGET_KEYS), margin_pct: pct.default(0) }).strict(),
  z.object({ baseline: z.literal(true), margin_pct: pct.default(0) }).strict(),
  z.object({ budget: z.literal('tokens_per_request'), margin_pct: pct.default(0) }).strict(),
]);
export type Threshold = z.output<typeof ThresholdSchema>;

/** Default evidence level of rules (calibrated by simulation, docs/statistics.md). */
export const DEFAULT_CONFIDENCE = 0.99;

/** One trigger rule (DESIGN §3). */
export const RuleSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected snake_case'),
    metric: z.enum(METRICS),
    op: z.enum(['gt', 'lt']),
    threshold: ThresholdSchema,
    /** The condition must hold this long (event time) before the rule fires. */
    for: duration.default(0).describe('The condition must hold this long (event time) before the rule fires.'),
    /** After the condition clears it must stay clear this long before the rule resolves. */
    keep_firing_for: duration.default(60_000).describe('After the condition clears it must stay clear this long before the rule resolves.'),
    /**
     * Resolve only once the value is this far (percent of threshold) on the good side. The
     * default rules on shares (accuracy, consistency) use 1 %: 5 % of 0.95 would demand 0.9975.
     */
    hysteresis_pct: pct.default(5),
    /**
     * Evidence level: the rule fires only when the metric's two-sided confidence interval at this
     * level lies wholly past the threshold (see docs/statistics.md). 0 compares the point estimate.
     */
    confidence: z
      .number()
      .min(0)
      .lt(1)
      .refine((c) => c === 0 || c >= 0.5, 'expected 0 (point estimate) or a level from 0.5 to below 1, e.g. 0.99')
      .default(DEFAULT_CONFIDENCE)
      .describe('Fires only when the metric\'s two-sided confidence interval at this level lies wholly past the threshold (exact for shares and percentiles). 0 compares the point estimate.'),
    /** Fewer samples in the window than this and the rule neither fires nor resolves. */
    min_samples: z.number().int().nonnegative().default(30).describe('Fewer samples in the window than this and the rule neither fires nor resolves.'),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
    action: z.enum(ACTION_KINDS).optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export type Rule = z.output<typeof RuleSchema>;

/** The default rules (DESIGN §3, the reference guide's numbers), as a config file would write them. */
export const DEFAULT_RULES: readonly (z.input<typeof RuleSchema> & { name: string })[] = [
  // 3 s and 8 s are the guide's alert levels for its 2 s p95 target: written relative to the target
  // (+50 %, +300 %), they mean the same on a route whose target is 6 s (9 s, 24 s) instead of firing
  // on its normal traffic.
  { name: 'response_time_warning', metric: 'latency_p95_ms', op: 'gt', threshold: { target: 'latency_p95_ms', margin_pct: 50 }, for: '1m', severity: 'warning' },
  { name: 'response_time_critical', metric: 'latency_p95_ms', op: 'gt', threshold: { target: 'latency_p95_ms', margin_pct: 300 }, for: '1m', severity: 'critical' },
  { name: 'accuracy_drop', metric: 'accuracy', op: 'lt', threshold: 0.9, for: '1m', hysteresis_pct: 1, severity: 'warning' },
  { name: 'consistency_drop', metric: 'consistency', op: 'lt', threshold: 0.85, for: '1m', hysteresis_pct: 1, severity: 'warning' },
  {
    name: 'performance_degradation', metric: 'latency_p95_ms', op: 'gt',
    threshold: { target: 'latency_p95_ms', margin_pct: 20 }, for: '2m', severity: 'warning', action: 'pattern_simplification',
  },
  {
    name: 'cost_threshold_breach', metric: 'cost_per_task_usd', op: 'gt',
    threshold: { target: 'cost_per_task_usd', margin_pct: 25 }, for: '2m', severity: 'warning', action: 'token_optimization',
  },
  {
    name: 'efficiency_drop', metric: 'tokens_per_quality_point', op: 'gt',
    threshold: { baseline: true, margin_pct: 20 }, for: '5m', severity: 'info', action: 'token_optimization',
  },
  // The guide's per-request token budget (budgets.tokens.max_per_request): a route whose calls are over it gets a
  // compressed prompt, cut first from the template section furthest over its share (budgets.tokens.allocation).
  {
    name: 'token_budget_per_request', metric: 'tokens_per_request', op: 'gt',
    threshold: { budget: 'tokens_per_request' }, for: '5m', severity: 'warning', action: 'token_optimization',
  },
  {
    name: 'quality_improvement_opportunity', metric: 'accuracy', op: 'lt',
    threshold: { target: 'accuracy', margin_pct: 0 }, for: '4m', hysteresis_pct: 1, severity: 'info', action: 'pattern_enhancement',
  },
];

