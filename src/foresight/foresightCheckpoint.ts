import { z } from 'zod';
import { METRICS, type MetricName, type ThresholdSource, type TrendRecord } from '../core/decision.js';
import { RuleStateSchema } from '../detectors/ruleStateSchema.js';
import type { RuleState } from '../detectors/ruleState.js';
import { QuantileSketch } from '../windows/quantileSketch.js';
import { StatsBucket, type StatsBucketState } from '../windows/statsBucket.js';
import type { ForecastDetection } from './predictiveDegradation.js';

/** An episode of a foresight rule: its state, its last judged observation (the evidence of its next record), the variant judged. */
export interface RuleEpisode<T> {
  readonly state: RuleState;
  readonly last: T;
  readonly variant: string;
}

/** A `predictive_degradation` episode, with the threshold its metric was judged against. */
export interface ForecastEpisode extends RuleEpisode<ForecastDetection> {
  readonly from: ThresholdSource;
}

/** One judged observation of a metric against its expected band (`anomaly`). */
export interface AnomalyObservation {
  readonly metric: MetricName;
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
  readonly method: string;
  readonly samples: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly band: { readonly center: number; readonly spread: number; readonly lower: number; readonly upper: number; readonly baseline: 'seasonal' | 'recent'; readonly hours: number };
  readonly breached: boolean;
  readonly clear: boolean;
}

/** One judgement of a stage against its share of the response-time budget (`response_time_budget`). */
export interface StageObservation {
  readonly stage: string;
  readonly budgetMs: number;
  readonly p95Ms: number;
  readonly calls: number;
  readonly over: number;
  readonly ci: readonly [number, number];
  readonly ciMethod: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly breached: boolean;
  readonly clear: boolean;
}

/** A route's anomaly watch: its recent calls (5-minute slices: start, calls, errors) and open episodes. */
export interface AnomalyRouteState {
  readonly recent: readonly (readonly [startMs: number, calls: number, errors: number])[];
  readonly rules: readonly (readonly [MetricName, RuleEpisode<AnomalyObservation>])[];
}

/** A route's stage timings (5-minute slices of sketches) and open `response_time_budget` episodes. */
export interface StageRouteState {
  readonly slices: readonly { readonly startMs: number; readonly stages: readonly (readonly [stage: string, sketch: readonly number[], calls: number, over: number])[] }[];
  readonly rules: readonly (readonly [stage: string, RuleEpisode<StageObservation>])[];
}

/** The figures of one closed week, as a weekly trend compares them. */
export type WeekFigures = Readonly<Record<'latency_p95_ms' | 'cost_per_task_usd' | 'tokens_per_quality_point' | 'accuracy' | 'error_rate' | 'spend_usd' | 'calls', number | null>>;

/** A route's weekly trend in progress: the week's merged hours (all, and per served variant) and the week before. */
export interface TrendRouteState {
  readonly weekStartMs: number;
  readonly bucket: StatsBucketState;
  readonly served: readonly (readonly [variant: string, StatsBucketState])[];
  readonly lastServed: string | null;
  readonly previous: { readonly weekStartMs: number; readonly figures: WeekFigures; readonly served: { readonly variant: string; readonly figures: WeekFigures } | null } | null;
  readonly last: TrendRecord | null;
}

/** An hour of a route not yet sealed into the history: its aggregates (per variant once it has several) and spend. */
export interface OpenHourState {
  readonly hourStartMs: number;
  readonly bucket: StatsBucketState;
  /** The hour's only variant so far (its calls are all of `bucket`), or null. */
  readonly sole: string | null;
  /** Per variant, once the hour has several. */
  readonly variants: readonly (readonly [variant: string, StatsBucketState])[];
  readonly spendUsd: { readonly production: number; readonly testing: number; readonly research: number };
  /** Calls of the stored hour this one continues, when it was opened; absent when none was stored. */
  readonly storedCount?: number;
}

/**
 * What the continuous-monitoring rules of one route hold beyond its stored
 * history: open episodes (so a restart neither fires an open one again nor
 * forgets to resolve it), the recent calls and stage timings they judge, the
 * weekly trend in progress and the hours not yet sealed.
 */
export interface ForesightRouteState {
  readonly forecasts: readonly (readonly [MetricName, ForecastEpisode])[];
  readonly anomaly: AnomalyRouteState | null;
  readonly stages: StageRouteState | null;
  readonly trend: TrendRouteState | null;
  readonly openHours: readonly OpenHourState[];
}

/** How a number JSON cannot hold (an unbounded interval side, NaN) is written. */
interface EncodedNumber {
  readonly $num: 'Infinity' | '-Infinity' | 'NaN';
}

/**
 * The state as a JSON-safe value: numbers JSON cannot hold become
 * `{"$num": "Infinity" | "-Infinity" | "NaN"}`, so evidence with an unbounded
 * interval side comes back as it was.
 */
export function encodeForesightState(state: ForesightRouteState): unknown {
  return toJsonSafe(state);
}

function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : ({ $num: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' } satisfies EncodedNumber);
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonSafe(v);
    return out;
  }
  return value;
}

function fromJsonSafe(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonSafe);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const encoded = (value as { $num?: unknown }).$num;
    if (keys.length === 1 && (encoded === 'Infinity' || encoded === '-Infinity' || encoded === 'NaN')) return Number(encoded);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromJsonSafe(v);
    return out;
  }
  return value;
}

/**
 * Reads what {@link encodeForesightState} wrote; throws a message naming the
 * first field of the wrong shape. Sketch contents are checked when restored.
 */
export function decodeForesightState(raw: unknown): ForesightRouteState {
  const parsed = ForesightStateSchema.safeParse(fromJsonSafe(raw));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`foresight.${issue.path.join('.')}: ${issue.message}`);
  }
  const state = parsed.data as unknown as ForesightRouteState;
  checkBuckets(state);
  return state;
}

/** Restores every bucket and sketch of the state into a scratch one, so importing it cannot fail half-way. */
function checkBuckets(state: ForesightRouteState): void {
  const bucket = new StatsBucket();
  const check = (where: string, s: StatsBucketState): void => {
    try {
      bucket.restoreState(s);
    } catch (err) {
      throw new Error(`foresight.${where}: ${(err as Error).message}`);
    }
  };
  state.openHours.forEach((hour, i) => {
    check(`openHours.${i}.bucket`, hour.bucket);
    for (const [name, s] of hour.variants) check(`openHours.${i}.variants.${name}`, s);
  });
  if (state.trend !== null) {
    check('trend.bucket', state.trend.bucket);
    for (const [name, s] of state.trend.served) check(`trend.served.${name}`, s);
  }
  const sketch = new QuantileSketch();
  for (const slice of state.stages?.slices ?? []) {
    for (const [stage, s] of slice.stages) {
      try {
        sketch.restoreState(s);
      } catch (err) {
        throw new Error(`foresight.stages.${slice.startMs}.${stage}: ${(err as Error).message}`);
      }
    }
  }
}

const num = z.number().or(z.nan());
const finite = z.number().finite();
const metric = z.enum(METRICS);
const bucketState = z.tuple([z.array(num), z.array(num)]);
const point = z.object({ tMs: num, value: num, lower: num, upper: num });
const forecastDetection = z.looseObject({
  metric, threshold: num, breached: z.boolean(), clear: z.boolean(), crossing: point.nullable(), earliestMs: num.nullable(), latestMs: num.nullable(),
  peak: point, atHorizon: point, trendPctPerDay: num, trendZ: num, seasonality: z.enum(['daily', 'daily+weekly']),
  hours: num, samples: num, historyStartMs: num, historyEndMs: num, sigma: num,
});
const anomalyObservation = z.looseObject({
  metric, value: num, lower: num, upper: num, method: z.string(), samples: num, windowStartMs: num, windowEndMs: num,
  band: z.looseObject({ center: num, spread: num, lower: num, upper: num, baseline: z.enum(['seasonal', 'recent']), hours: num }), breached: z.boolean(), clear: z.boolean(),
});
const stageObservation = z.looseObject({
  stage: z.string(), budgetMs: num, p95Ms: num, calls: num, over: num, ci: z.tuple([num, num]), ciMethod: z.string(), windowStartMs: num, windowEndMs: num, breached: z.boolean(), clear: z.boolean(),
});
const episode = <T extends z.ZodType>(last: T) => z.object({ state: RuleStateSchema, last, variant: z.string() });
const figures = z.record(z.string(), num.nullable());
const ForesightStateSchema = z.object({
  forecasts: z.array(z.tuple([metric, episode(forecastDetection).extend({ from: z.looseObject({ kind: z.string() }) })])),
  anomaly: z.object({ recent: z.array(z.tuple([finite, finite.min(0), finite.min(0)])), rules: z.array(z.tuple([metric, episode(anomalyObservation)])) }).nullable(),
  stages: z
    .object({
      slices: z.array(z.object({ startMs: finite, stages: z.array(z.tuple([z.string(), z.array(num), finite.min(0), finite.min(0)])) })),
      rules: z.array(z.tuple([z.string(), episode(stageObservation)])),
    })
    .nullable(),
  trend: z
    .object({
      weekStartMs: finite,
      bucket: bucketState,
      served: z.array(z.tuple([z.string(), bucketState])),
      lastServed: z.string().nullable(),
      previous: z.object({ weekStartMs: finite, figures, served: z.object({ variant: z.string(), figures }).nullable() }).nullable(),
      last: z.looseObject({ type: z.literal('trend'), ts: finite, route: z.string(), metrics: z.record(z.string(), z.unknown()) }).nullable(),
    })
    .nullable(),
  openHours: z.array(
    z.object({
      hourStartMs: finite,
      bucket: bucketState,
      sole: z.string().nullable(),
      variants: z.array(z.tuple([z.string(), bucketState])),
      spendUsd: z.object({ production: finite, testing: finite, research: finite }),
      storedCount: finite.optional(),
    }),
  ),
});
