import { z } from 'zod';
import { duration } from './duration.js';
import { TARGET_KEYS } from './ruleSchema.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** A forecast threshold: absolute, or a route target plus a margin. */
const ForecastThresholdSchema = z.union([
  z.number().positive(),
  z.object({ target: z.enum(TARGET_KEYS), margin_pct: z.number().min(0).max(1000).default(0) }).strict(),
]);

const PredictiveSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** How far ahead the forecast looks. */
    horizon: duration.default(3 * DAY).describe('How far ahead the forecast looks (the guide: 3 days).'),
    /** History a route needs before it is forecast. */
    min_history: duration
      .default(3 * DAY)
      .refine((ms) => ms >= DAY, { message: 'expected at least 1d (the daily cycle must be seen)' })
      .describe('History a route needs before it is forecast (at least 1d; the daily cycle is estimated from it, so 3d or more is advised).'),
    /** History read per fit. */
    lookback: duration.default(21 * DAY).describe('History read per fit (at most monitoring.history.retention is kept).'),
    /** A day-of-week component is fitted once the history spans this long. */
    weekly_seasonality_from: duration.default(14 * DAY).describe('A day-of-week component is fitted once the history spans this long.'),
    /** Level of the prediction interval (two-sided) and of the trend test (one-sided). */
    confidence: z.number().gt(0.5).lt(1).default(0.95).describe('Level of the prediction interval (two-sided) and of the one-sided test that the trend points at the threshold.'),
    /** Hours with fewer calls behind the metric are left out of the fit. */
    min_calls_per_hour: z.number().int().positive().default(20).describe('Hours with fewer calls behind the metric are left out of the fit.'),
    /** Once firing, the forecast must stay under the threshold this long before the trigger resolves. */
    keep_firing_for: duration.default(6 * HOUR).describe('Once firing, the forecast must stay under the threshold this long before the trigger resolves.'),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
    /** Metrics forecast, each with the threshold it must stay under (default: the performance_degradation and cost_threshold_breach levels). */
    metrics: z
      .partialRecord(z.enum(['latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'cost_per_task_usd', 'tokens_per_request', 'tokens_per_quality_point', 'error_rate']), ForecastThresholdSchema)
      .default({ latency_p95_ms: { target: 'latency_p95_ms', margin_pct: 20 }, cost_per_task_usd: { target: 'cost_per_task_usd', margin_pct: 25 } })
      .describe('Metrics forecast, each with the threshold it must stay under: a number, or {target, margin_pct}. Default: p95 over its target + 20 %, cost per task over its budget + 25 % (the performance_degradation and cost_threshold_breach levels).'),
  })
  .strict();

const HistorySchema = z
  .object({
    /** How far back hourly rollups are kept per route. */
    retention: duration
      .default(28 * 86_400_000)
      .refine((ms) => ms >= 3_600_000, { message: 'expected at least 1h' })
      .describe('How far back hourly rollups (counts, sums, latency percentiles, spend by budget share) are kept per route: the depth forecasts, anomaly baselines and weekly trends read.'),
    /** Routes with long-horizon history; a new one past it evicts the route appended to least recently. */
    max_routes: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Routes with long-horizon history (about 250 KB of heap each at 28 days of one variant); a new route past it evicts the one that received an hour least recently.'),
    /** In-memory history entries, all routes together: an hour counts once, plus once per variant it keeps. */
    max_entries: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe('In-memory history entries, all routes together: an hour counts once, plus once per per-variant rollup it keeps (380–480 bytes of heap per entry, measured: the default holds at most about 45 MB, 28 days of one variant for about 150 routes). Past it the route that received an hour least recently loses its oldest hours first; with Redis the stored copy keeps them (the forecasts read only what memory holds).'),
    /** Variants kept per sealed hour of a route that served several. */
    max_variants: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe('Per-variant history where it matters: an hour in which a route served more than one variant (a candidate, a canary) also keeps per-variant rollups of the served variant and the busiest others, at most this many (about 480 bytes of heap each, one entry of max_entries); 0 turns it off.'),
  })
  .strict();

const AnomalySchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Metrics watched (each must rise above its band to be an anomaly). */
    metrics: z
      .array(z.enum(['error_rate', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'cost_per_task_usd', 'tokens_per_request']))
      .default(['error_rate', 'latency_p95_ms', 'cost_per_task_usd'])
      .describe('Metrics watched for rising above their expected band. Error rate is observed over the last 15 min and 1 h; the others over the rolling window.'),
    /** Band half-width in robust standard deviations (1.4826 × MAD) of the baseline hours. */
    k: z.number().positive().default(4).describe('Band half-width in robust standard deviations (1.4826 × MAD) of the baseline hours; at least 0.5 points of error rate or 10 % of other metrics.'),
    /** Days of history the seasonal baseline reads. */
    baseline_days: z.number().int().min(1).max(60).default(14).describe('Days of history the seasonal baseline (same hour of day ± 1 h) reads.'),
    /** Same-hour-of-day hours needed before the seasonal baseline replaces the last-24-hours one. */
    min_seasonal_hours: z.number().int().positive().default(6).describe('Same-hour-of-day hours (± 1 h) needed before the seasonal baseline replaces the last 24 hours (which needs 12).'),
    min_calls_per_hour: z.number().int().positive().default(20).describe('Baseline hours with fewer calls behind the metric are left out.'),
    /** Evidence level: the observed value's interval must lie wholly above the band. */
    confidence: z.number().gt(0.5).lt(1).default(0.99).describe('The observed value\'s two-sided interval at this level (split over the error-rate windows) must lie wholly above the band.'),
    min_samples: z.number().int().positive().default(100).describe('Calls an observation window needs before it is judged.'),
    for: duration.default(300_000).describe('The anomaly must hold this long before the trigger fires.'),
    keep_firing_for: duration.default(900_000).describe('Once firing, the value must stay inside the band this long before the trigger resolves.'),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  })
  .strict();

/** Continuous monitoring beyond the rolling window (DESIGN §3): long-horizon history per route. */
export const MonitoringSchema = z
  .object({
    history: HistorySchema.default(() => HistorySchema.parse({})),
    /** `weekly`: one trend record per route per UTC week, comparing it with the week before. */
    performance_trend_analysis: z.enum(['weekly', 'off']).default('weekly').describe('`weekly`: one `trend` record per route per UTC week (Monday 00:00) once the week is over, comparing p95, cost per task, tokens per quality point, accuracy, error rate, spend and calls with the week before.'),
    /** `predictive_degradation`: hourly forecasts of route metrics, fired when one crosses its threshold within the horizon. */
    /** `anomaly`: a metric rising above its expected band (seasonal baseline, robust spread) in real time. */
    anomaly: AnomalySchema.default(() => AnomalySchema.parse({})).describe('`anomaly`: at every bucket boundary, a metric rising above its expected band — median ± k robust standard deviations of the same hour of day on earlier days (docs/statistics.md).'),
    predictive_degradation: PredictiveSchema.default(() => PredictiveSchema.parse({})).describe('`predictive_degradation`: each sealed hour, forecast each metric of each route `horizon` ahead (trend + daily, later weekly, seasonality; docs/statistics.md) and warn when the forecast crosses its threshold.'),
  })
  .strict();

const CostBudgetSchema = z
  .object({
    /** Rule cost_budget_daily on or off (off by default: a daemon never told the team's budget should not alert on the guide's example). */
    enabled: z.boolean().default(false).describe('Rule `cost_budget_daily` on or off. Off by default: a daemon that was never told the team\'s budget should not alert on the guide\'s example figure; the limits below default to the guide\'s numbers.'),
    /** Spend allowed per UTC day over all routes, USD. */
    daily_limit_usd: z.number().positive().default(100).describe('Spend allowed per UTC day over all routes, USD.'),
    /** Shares of the daily limit: production traffic, experiment candidates (testing), the research tier. */
    allocation: z
      .object({ production: z.number().min(0).max(1).default(0.7), testing: z.number().min(0).max(1).default(0.2), research: z.number().min(0).max(1).default(0.1) })
      .strict()
      .default({ production: 0.7, testing: 0.2, research: 0.1 })
      .refine((a) => a.production + a.testing + a.research <= 1 + 1e-9, { message: 'the shares add up to more than 1' })
      .describe('Shares of the daily limit: production traffic; testing = experiment candidates (arm: candidate); research = the research tier.'),
    /** No projection before this much of the day has passed (the first hour's spend says little about the day). */
    min_elapsed: duration.default(HOUR).describe('No projection before this much of the UTC day has passed: the first hour\'s spend says little about the day.'),
  })
  .strict();

const TokenBudgetSchema = z
  .object({
    /** Tokens (input + output) one call may use; rule token_budget_per_request fires on routes over it. */
    max_per_request: z.number().int().positive().default(4000).describe('Tokens (input + output) one call may use: rule `token_budget_per_request` fires on routes whose calls are over it and asks for token_optimization.'),
    /** Share of the budget per prompt section; the section furthest over its share is compressed first. */
    allocation: z
      .object({
        system_prompt: z.number().int().nonnegative().default(1500),
        user_context: z.number().int().nonnegative().default(1500),
        examples: z.number().int().nonnegative().default(500),
        instructions: z.number().int().nonnegative().default(500),
      })
      .strict()
      .default({ system_prompt: 1500, user_context: 1500, examples: 500, instructions: 500 })
      .describe('Tokens per prompt section; a token_optimization compresses the template section furthest over its share first.'),
  })
  .strict();

const ResponseTimeBudgetSchema = z
  .object({
    /** End-to-end response time budget, ms. */
    total_ms: z.number().positive().default(5000).describe('End-to-end response time budget, ms (the guide\'s 5 s): the budget of calls without stage timings (rule `response_time_budget` with `end_to_end: true`), and reported per route in the weekly trend.'),
    /** Split across stages, ms. */
    allocation: z
      .record(z.string().min(1).max(100), z.number().nonnegative())
      .default({ prompt_processing: 2000, model_inference: 2500, post_processing: 500 })
      .describe('Split across stages, ms: rule `response_time_budget` fires on a route whose calls carry stage timings (`stage_ms`) and whose p95 of a stage is over its share, naming the stage. Calls without stage timings are judged end to end against `total_ms` when `end_to_end` is on.'),
    /** Rule response_time_budget on or off. */
    enabled: z.boolean().default(true).describe('Rule `response_time_budget` on or off.'),
    /** Judge routes whose calls carry no stage timings end to end against total_ms. */
    end_to_end: z
      .boolean()
      .default(false)
      .describe('Judge routes whose calls carry no stage timings end to end: their p95 against `total_ms` (stage `end_to_end`). Off by default: rules `response_time_warning` / `response_time_critical` (p95 over 3 s / 8 s) already alert on that number, and a third alert on it between them is noise.'),
    for: duration.default(300_000).describe('A stage (or the end-to-end p95) must be shown over its budget this long before the trigger fires.'),
    keep_firing_for: duration.default(900_000).describe('Once firing, the p95 must stay within the budget this long before the trigger resolves.'),
    confidence: z.number().gt(0.5).lt(1).default(0.99).describe('Evidence level: the interval of the share of a stage\'s calls over its budget must lie wholly above 5 % (the end-to-end p95\'s interval wholly above `total_ms`).'),
    min_samples: z.number().int().positive().default(100).describe('Calls a stage needs in its last 15 minutes (the end-to-end check: in the rolling window) before it is judged.'),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  })
  .strict();

/** Performance budgets (DESIGN §3, the guide's numbers as defaults). */
export const BudgetsSchema = z
  .object({
    cost: CostBudgetSchema.default(() => CostBudgetSchema.parse({})),
    tokens: TokenBudgetSchema.default(() => TokenBudgetSchema.parse({})),
    response_time: ResponseTimeBudgetSchema.default(() => ResponseTimeBudgetSchema.parse({})),
  })
  .strict();

/** The validated monitoring section. */
export type MonitoringConfig = z.output<typeof MonitoringSchema>;
