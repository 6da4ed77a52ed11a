import { z } from 'zod';
import { ALL_PATTERNS, type Pattern } from './patterns.js';

/**
 * Plausibility bounds: values past them are garbage, not telemetry, and would
 * overflow sums (1e308 ms) or dates (past the largest JS date).
 */
export const EVENT_LIMITS = {
  /** The largest valid JS date, epoch ms. */
  maxTsMs: 8_640_000_000_000_000,
  /** One day: no LLM call takes longer. */
  maxLatencyMs: 86_400_000,
  /** Tokens of one call. */
  maxTokens: 1_000_000_000,
  /** Cost of one call, USD. */
  maxCostUsd: 1_000_000,
  /**
   * Calls one OTLP histogram data point may add (after delta conversion): ten
   * million per export interval is ~170k calls/s at the SDK's 60 s default.
   * A point claiming 2^53 − 1 calls is garbage that would own every statistic.
   */
  maxCallsPerDataPoint: 10_000_000,
  /** Explicit bucket bounds of one histogram data point (the SDK default has 15). */
  maxHistogramBounds: 1_000,
  /** Characters of a `route` or `variant` name. */
  maxNameLength: 200,
  /** Characters of a `unit` (the assignment unit, `GET /v1/assign?unit=`). */
  maxUnitLength: 500,
} as const;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 date-time as epoch milliseconds; NaN for text that is not one, or names no time on the calendar.
 * @remarks `Date.parse` rolls a day past the month's end over (`2026-02-30` is 2 March) and takes hour 24: an event or
 * a `since` so dated was silently moved. Those are refused; a leap second (`:60`) is left to `Date.parse`.
 */
export function rfc3339Ms(text: string): number {
  const m = RFC3339.exec(text);
  if (m === null) return NaN;
  const field = (i: number): number => Number(m[i] ?? 0);
  const month = field(2);
  const day = field(3);
  // Day 0 of the next month is the last of this one.
  const daysInMonth = new Date(Date.UTC(field(1), month, 0)).getUTCDate();
  const onCalendar = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && field(4) <= 23 && field(5) <= 59 && field(9) <= 23 && field(10) <= 59;
  return onCalendar ? Date.parse(text) : NaN;
}

/**
 * Epoch-millisecond values that are almost surely epoch seconds: 1e9–1e11 ms
 * is January 1970 to March 1973, while 1e9–1e11 s is 2001 to 5138.
 */
export const SECONDS_LIKE_TS = { min: 1e9, max: 1e11 } as const;

/** Says that `ts` looks like epoch seconds, or null. */
export function secondsLikeTsMessage(ts: number): string | null {
  if (ts < SECONDS_LIKE_TS.min || ts >= SECONDS_LIKE_TS.max) return null;
  const asSeconds = ts * 1000 <= EVENT_LIMITS.maxTsMs ? new Date(ts * 1000).toISOString() : null;
  return `${ts} looks like epoch seconds${asSeconds === null ? '' : ` (${asSeconds})`}: ts is epoch milliseconds (multiply by 1000) or an RFC 3339 string`;
}

/**
 * What is wrong with a `ts` string that is not RFC 3339, naming the two usual slips: a local time without a zone
 * (Python's `datetime.isoformat()` of a naive datetime) and epoch milliseconds sent as a string.
 */
function tsTextProblem(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) return `'${shown}' has no time zone: an RFC 3339 timestamp ends in Z (UTC) or an offset such as +02:00`;
  if (/^\d+(\.\d+)?$/.test(text)) return `'${shown}' is a string: send epoch milliseconds as a JSON number, or an RFC 3339 timestamp`;
  return 'expected epoch milliseconds or an RFC 3339 timestamp';
}

const timestamp = z.union(
  [
  z
    .number()
    .finite()
    .nonnegative()
    .max(EVENT_LIMITS.maxTsMs)
    .superRefine((ts, ctx) => {
      const message = secondsLikeTsMessage(ts);
      if (message !== null) ctx.addIssue({ code: 'custom', message });
    }),
  z
    .string()
    .transform((text, ctx) => {
      if (!RFC3339.test(text)) {
        ctx.addIssue({ code: 'custom', message: tsTextProblem(text) });
        return z.NEVER;
      }
      const ms = rfc3339Ms(text);
      if (Number.isNaN(ms) || ms < 0) {
        ctx.addIssue({ code: 'custom', message: Number.isNaN(ms) ? `'${text}' is not a date on the calendar (RFC 3339 timestamp expected)` : `'${text}' is before 1970: ts is epoch milliseconds, from 0` });
        return z.NEVER;
      }
      return ms;
    }),
  ],
  { error: 'expected epoch milliseconds or an RFC 3339 timestamp' },
);

const name = z.string().min(1).max(EVENT_LIMITS.maxNameLength);
const unitInterval = z.number().min(0).max(1);


const count = z.number().int().nonnegative().max(EVENT_LIMITS.maxTokens);

/** Stage names one call may time (`stage_ms`), at most. */
export const MAX_STAGES = 16;
/** `stage_ms`: how long each stage of the call took, ms, e.g. `{prompt_processing: 180, model_inference: 2100}`. */
const stageTimings = z
  .record(z.string().min(1).max(100), z.number().finite().nonnegative().max(EVENT_LIMITS.maxLatencyMs))
  .refine((stages) => Object.keys(stages).length <= MAX_STAGES, { message: `at most ${MAX_STAGES} stages` });

/**
 * Telemetry event, wire format v1 (DESIGN §2): one LLM call.
 * Unknown fields are ignored (stripped).
 */
export const WireEventSchema = z.object({
  ts: timestamp,
  route: name,
  variant: name,
  pattern: z.enum(ALL_PATTERNS).optional(),
  latency_ms: z.number().finite().nonnegative().max(EVENT_LIMITS.maxLatencyMs),
  input_tokens: count.optional(),
  output_tokens: count.optional(),
  cost_usd: z.number().finite().nonnegative().max(EVENT_LIMITS.maxCostUsd).optional(),
  model: z.string().min(1).max(200).optional(),
  quality: unitInterval.optional(),
  correct: z.boolean().optional(),
  consistent: z.boolean().optional(),
  satisfaction: unitInterval.optional(),
  error: z.union([z.boolean(), z.string().max(200)]).optional(),
  experiment: name.optional(),
  arm: z.enum(['baseline', 'candidate']).optional(),
  unit: z.string().min(1).max(EVENT_LIMITS.maxUnitLength).optional(),
  tier: z.string().min(1).max(100).optional(),
  stage_ms: stageTimings.optional(),
});
export type WireEvent = z.input<typeof WireEventSchema>;

/** Experiment arm names. */
export type Arm = 'baseline' | 'candidate';

/**
 * The normalized, validated event every part of the pipeline works on.
 * Times are epoch milliseconds; `isError` folds the wire's boolean-or-string.
 */
export interface TelemetryEvent {
  readonly ts: number;
  readonly route: string;
  readonly variant: string;
  readonly pattern?: Pattern | undefined;
  readonly latencyMs: number;
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
  /** Cost of the call; filled from the price table when the wire omits it. */
  readonly costUsd?: number | undefined;
  readonly model?: string | undefined;
  readonly quality?: number | undefined;
  readonly correct?: boolean | undefined;
  readonly consistent?: boolean | undefined;
  readonly satisfaction?: number | undefined;
  readonly isError: boolean;
  /** Error type when the wire gave one as a string. */
  readonly errorType?: string | undefined;
  readonly experiment?: string | undefined;
  readonly arm?: Arm | undefined;
  readonly unit?: string | undefined;
  readonly tier?: string | undefined;
  /** Time per stage of the call, ms (`stage_ms`): the response-time budget by stage. */
  readonly stageMs?: Readonly<Record<string, number>> | undefined;
}

/** One missing or invalid field of an event. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * Why one event of a batch was rejected. `index` is its position in the batch.
 * `field`/`message` name the first problem; when there are more, `problems`
 * lists every one (the first included) and `message` ends with the others.
 */
export interface EventRejection {
  readonly index: number;
  readonly field: string;
  readonly message: string;
  readonly problems?: readonly FieldProblem[];
}

/** Result of validating a batch: the good events and one rejection per bad one. */
export interface BatchValidation {
  readonly events: TelemetryEvent[];
  readonly errors: EventRejection[];
}

/** A writable view of a readonly type. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Builds an event with every key present, always in the same order, so all
 * events share one hidden class and the hot path's property reads stay
 * monomorphic (conditionally added keys made them megamorphic: ~25 % slower).
 */
export function makeEvent(ts: number, route: string, variant: string, latencyMs: number): Mutable<TelemetryEvent> {
  return {
    ts, route, variant, pattern: undefined, latencyMs, inputTokens: undefined, outputTokens: undefined,
    costUsd: undefined, model: undefined, quality: undefined, correct: undefined, consistent: undefined,
    satisfaction: undefined, isError: false, errorType: undefined, experiment: undefined, arm: undefined,
    unit: undefined, tier: undefined, stageMs: undefined,
  };
}

/** A copy of `event` with `costUsd` set (same shape as {@link makeEvent}). */
export function withCostUsd(e: TelemetryEvent, costUsd: number): TelemetryEvent {
  return {
    ts: e.ts, route: e.route, variant: e.variant, pattern: e.pattern, latencyMs: e.latencyMs, inputTokens: e.inputTokens,
    outputTokens: e.outputTokens, costUsd, model: e.model, quality: e.quality, correct: e.correct, consistent: e.consistent,
    satisfaction: e.satisfaction, isError: e.isError, errorType: e.errorType, experiment: e.experiment, arm: e.arm,
    unit: e.unit, tier: e.tier, stageMs: e.stageMs,
  };
}

/** Converts a parsed wire event into the internal shape (drops absent optionals). */
export function normalizeWireEvent(wire: z.output<typeof WireEventSchema>): TelemetryEvent {
  const event = makeEvent(wire.ts, wire.route, wire.variant, wire.latency_ms);
  event.isError = wire.error === undefined ? false : wire.error === true || typeof wire.error === 'string';
  if (wire.pattern !== undefined) event.pattern = wire.pattern;
  if (wire.input_tokens !== undefined) event.inputTokens = wire.input_tokens;
  if (wire.output_tokens !== undefined) event.outputTokens = wire.output_tokens;
  if (wire.cost_usd !== undefined) event.costUsd = wire.cost_usd;
  if (wire.model !== undefined) event.model = wire.model;
  if (wire.quality !== undefined) event.quality = wire.quality;
  if (wire.correct !== undefined) event.correct = wire.correct;
  if (wire.consistent !== undefined) event.consistent = wire.consistent;
  if (wire.satisfaction !== undefined) event.satisfaction = wire.satisfaction;
  if (typeof wire.error === 'string') event.errorType = wire.error;
  if (wire.experiment !== undefined) event.experiment = wire.experiment;
  if (wire.arm !== undefined) event.arm = wire.arm;
  if (wire.unit !== undefined) event.unit = wire.unit;
  if (wire.tier !== undefined) event.tier = wire.tier;
  if (wire.stage_ms !== undefined) event.stageMs = wire.stage_ms;
  return event;
}

/**
 * Validates one decoded JSON value; a rejection names the first bad field.
 *
 * @remarks The schema above is the definition. {@link fastNormalize} is a
 * hand-unrolled check for the common, fully valid event (zod costs ~1 µs per
 * event, as much as JSON.parse itself); anything it is unsure about goes
 * through the schema, and a property test keeps the two in agreement.
 */
export function validateEvent(
  value: unknown,
  index = 0,
): { ok: true; event: TelemetryEvent } | { ok: false; error: EventRejection } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: { index, field: '(event)', message: 'expected a JSON object' } };
  }
  const fast = fastNormalize(value as Record<string, unknown>);
  if (fast !== null) return { ok: true, event: fast };
  const parsed = WireEventSchema.safeParse(value);
  if (parsed.success) return { ok: true, event: normalizeWireEvent(parsed.data) };
  const problems: FieldProblem[] = [];
  for (const issue of parsed.error.issues) {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(event)';
    if (problems.some((p) => p.field === field)) continue;
    const top = issue.path[0];
    const missing = issue.path.length === 1 && typeof top === 'string' && (value as Record<string, unknown>)[top] === undefined;
    problems.push({ field, message: missing ? 'required field is missing' : plainIssue(issue, valueAt(value, issue.path)) });
  }
  const [head, ...others] = problems;
  if (head === undefined) return { ok: false, error: { index, field: '(event)', message: 'invalid event' } };
  if (others.length === 0) return { ok: false, error: { index, field: head.field, message: head.message } };
  const message = `${head.message}; also ${others.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
  return { ok: false, error: { index, field: head.field, message, problems } };
}

/** The value at a zod issue's path, or undefined. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

/** What a value is, as a type mismatch names it. */
function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * An issue in plain words (`must not be empty`, `must not be negative`,
 * `must be at most 1`, `expected one of zero_shot, few_shot, … (got 'one_shot')`,
 * `expected number, got string`) rather than zod's `Too small: expected string
 * to have >=1 characters` or `Invalid option: expected one of "a"|"b"`.
 */
export function plainIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_value') {
    const got = JSON.stringify(value) ?? String(value);
    return `expected one of ${issue.values.map(String).join(', ')} (got ${got.length > 60 ? `${got.slice(0, 60)}…` : got})`;
  }
  // A number literal past double range (1e400) parses as Infinity, which zod calls a wrong type: it said "expected number, got number".
  if (issue.code === 'invalid_type' && typeof value === 'number' && !Number.isFinite(value)) return `expected a finite number, got ${String(value)}`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${issue.expected === 'int' && typeof value === 'number' ? String(value) : kindOf(value)}`;
  // The one branch of the value's type said what is wrong with it (a ts string without a time zone): its words.
  if (issue.code === 'invalid_union') {
    const typed = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
    const own = typed.length === 1 ? typed[0]![0] : undefined;
    if (own?.code === 'custom' && own.path.length === 0) return own.message;
  }
  // A union the schema words itself (ts) keeps its words; zod's own is "Invalid input": name the types instead.
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
    const expected = issue.errors.flatMap((branch) => branch.flatMap((i) => (i.code === 'invalid_type' && i.path.length === 0 ? [i.expected] : [])));
    if (expected.length > 0) return `expected ${expected.join(' or ')}, got ${kindOf(value)}`;
  }
  return plainBound(issue) ?? issue.message;
}

/**
 * The words for issues that need no value (an unknown key, a bound, a key failing its rule), shared by event and
 * config errors so both read alike; null for any other issue.
 */
export function plainBound(issue: z.core.$ZodIssue): string | null {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  if (issue.code === 'too_small') {
    if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'must not be empty' : `must be at least ${String(issue.minimum)} characters long`;
    // An exclusive bound (positive()): 0 is not negative, yet refused.
    if (issue.origin === 'number' && issue.inclusive === false) return `must be greater than ${String(issue.minimum)}`;
    if (issue.origin === 'number') return Number(issue.minimum) === 0 ? 'must not be negative' : `must be at least ${String(issue.minimum)}`;
  }
  if (issue.code === 'too_big') {
    if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters long`;
    if (issue.origin === 'number' && issue.inclusive === false) return `must be less than ${String(issue.maximum)}`;
    if (issue.origin === 'number') return `must be at most ${String(issue.maximum)}`;
  }
  // A key that fails its own rule (a stage name of 101 characters): zod says only "Invalid key in record".
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0];
    return inner === undefined ? 'invalid key' : `invalid key: ${plainBound(inner as z.core.$ZodIssue) ?? inner.message}`;
  }
  return null;
}

/**
 * Validates a batch: every bad event becomes a rejection with its index; the
 * rest go on. Never throws on data.
 */
export function validateBatch(values: readonly unknown[]): BatchValidation {
  const events: TelemetryEvent[] = [];
  const errors: EventRejection[] = [];
  for (let i = 0; i < values.length; i++) {
    const result = validateEvent(values[i], i);
    if (result.ok) events.push(result.event);
    else errors.push(result.error);
  }
  return { events, errors };
}

const PATTERN_SET: ReadonlySet<unknown> = new Set(ALL_PATTERNS);

function isName(v: unknown, max: number = EVENT_LIMITS.maxNameLength): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}
function isBetween(v: unknown, max: number): v is number {
  return typeof v === 'number' && v >= 0 && v <= max;
}
function isCount(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v <= EVENT_LIMITS.maxTokens && Number.isInteger(v);
}
function isUnit(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v <= 1;
}

/**
 * Fast path of {@link validateEvent}: returns the normalized event when the
 * value is certainly valid under {@link WireEventSchema}, else null (the caller
 * then asks the schema, which also produces the error message).
 */
export function fastNormalize(o: Record<string, unknown>): TelemetryEvent | null {
  const event = makeEvent(0, '', '', 0);
  return fastNormalizeInto(event, o) ? event : null;
}

/**
 * {@link fastNormalize} writing into an existing event object (every field is
 * overwritten). Lets a decoder reuse a pool of events whose consumers do not
 * keep them, which halves the allocations of the replay path.
 */
export function fastNormalizeInto(event: Mutable<TelemetryEvent>, o: Record<string, unknown>): boolean {
  const ts = o['ts'];
  const route = o['route'];
  const variant = o['variant'];
  const latency = o['latency_ms'];
  if (!isBetween(ts, EVENT_LIMITS.maxTsMs) || !isName(route) || !isName(variant) || !isBetween(latency, EVENT_LIMITS.maxLatencyMs)) return false;
  if (ts >= SECONDS_LIKE_TS.min && ts < SECONDS_LIKE_TS.max) return false;
  event.ts = ts;
  event.route = route;
  event.variant = variant;
  event.latencyMs = latency;
  let v: unknown;
  if ((v = o['pattern']) === undefined) event.pattern = undefined;
  else if (PATTERN_SET.has(v)) event.pattern = v as Pattern;
  else return false;
  if ((v = o['input_tokens']) === undefined) event.inputTokens = undefined;
  else if (isCount(v)) event.inputTokens = v;
  else return false;
  if ((v = o['output_tokens']) === undefined) event.outputTokens = undefined;
  else if (isCount(v)) event.outputTokens = v;
  else return false;
  if ((v = o['cost_usd']) === undefined) event.costUsd = undefined;
  else if (isBetween(v, EVENT_LIMITS.maxCostUsd)) event.costUsd = v;
  else return false;
  if ((v = o['model']) === undefined) event.model = undefined;
  else if (isName(v)) event.model = v;
  else return false;
  if ((v = o['quality']) === undefined) event.quality = undefined;
  else if (isUnit(v)) event.quality = v;
  else return false;
  if ((v = o['correct']) === undefined) event.correct = undefined;
  else if (typeof v === 'boolean') event.correct = v;
  else return false;
  if ((v = o['consistent']) === undefined) event.consistent = undefined;
  else if (typeof v === 'boolean') event.consistent = v;
  else return false;
  if ((v = o['satisfaction']) === undefined) event.satisfaction = undefined;
  else if (isUnit(v)) event.satisfaction = v;
  else return false;
  event.isError = false;
  event.errorType = undefined;
  if ((v = o['error']) !== undefined) {
    if (typeof v === 'boolean') event.isError = v;
    else if (typeof v === 'string' && v.length <= 200) {
      event.isError = true;
      event.errorType = v;
    } else return false;
  }
  if ((v = o['experiment']) === undefined) event.experiment = undefined;
  else if (isName(v)) event.experiment = v;
  else return false;
  if ((v = o['arm']) === undefined) event.arm = undefined;
  else if (v === 'baseline' || v === 'candidate') event.arm = v;
  else return false;
  if ((v = o['unit']) === undefined) event.unit = undefined;
  else if (isName(v, EVENT_LIMITS.maxUnitLength)) event.unit = v;
  else return false;
  if ((v = o['tier']) === undefined) event.tier = undefined;
  else if (isName(v, 100)) event.tier = v;
  else return false;
  // Stage timings are rare and nested: the schema checks them.
  if (o['stage_ms'] !== undefined) return false;
  event.stageMs = undefined;
  return true;
}
