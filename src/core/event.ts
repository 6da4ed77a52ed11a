import { z } from 'zod';
import { ALL_PATTERNS, type Pattern } from './patterns.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const timestamp = z.union(
  [
  z.number().finite().nonnegative(),
  z
    .string()
    .regex(RFC3339, 'expected epoch milliseconds or an RFC 3339 timestamp')
    .transform((text, ctx) => {
      const ms = Date.parse(text);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: 'custom', message: `not a valid date: ${text}` });
        return z.NEVER;
      }
      return ms;
    }),
  ],
  { error: 'expected epoch milliseconds or an RFC 3339 timestamp' },
);

const name = z.string().min(1).max(200);
const unitInterval = z.number().min(0).max(1);
const count = z.number().int().nonnegative();

/**
 * Telemetry event, wire format v1 (DESIGN §2): one LLM call.
 * Unknown fields are ignored (stripped).
 */
export const WireEventSchema = z.object({
  ts: timestamp,
  route: name,
  variant: name,
  pattern: z.enum(ALL_PATTERNS).optional(),
  latency_ms: z.number().finite().nonnegative(),
  input_tokens: count.optional(),
  output_tokens: count.optional(),
  cost_usd: z.number().finite().nonnegative().optional(),
  model: z.string().min(1).max(200).optional(),
  quality: unitInterval.optional(),
  correct: z.boolean().optional(),
  consistent: z.boolean().optional(),
  satisfaction: unitInterval.optional(),
  error: z.union([z.boolean(), z.string().max(200)]).optional(),
  experiment: name.optional(),
  arm: z.enum(['baseline', 'candidate']).optional(),
  unit: z.string().min(1).max(500).optional(),
  tier: z.string().min(1).max(100).optional(),
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
}

/** Why one event of a batch was rejected. `index` is its position in the batch. */
export interface EventRejection {
  readonly index: number;
  readonly field: string;
  readonly message: string;
}

/** Result of validating a batch: the good events and one rejection per bad one. */
export interface BatchValidation {
  readonly events: TelemetryEvent[];
  readonly errors: EventRejection[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

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
    unit: undefined, tier: undefined,
  };
}

/** A copy of `event` with `costUsd` set (same shape as {@link makeEvent}). */
export function withCostUsd(e: TelemetryEvent, costUsd: number): TelemetryEvent {
  return {
    ts: e.ts, route: e.route, variant: e.variant, pattern: e.pattern, latencyMs: e.latencyMs, inputTokens: e.inputTokens,
    outputTokens: e.outputTokens, costUsd, model: e.model, quality: e.quality, correct: e.correct, consistent: e.consistent,
    satisfaction: e.satisfaction, isError: e.isError, errorType: e.errorType, experiment: e.experiment, arm: e.arm,
    unit: e.unit, tier: e.tier,
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
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(event)';
  const first = issue?.path[0];
  const missing = issue !== undefined && issue.path.length === 1 && typeof first === 'string' && (value as Record<string, unknown>)[first] === undefined;
  const message = missing ? 'required field is missing' : (issue?.message ?? 'invalid event');
  return { ok: false, error: { index, field, message } };
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

function isName(v: unknown, max = 200): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}
function isNonNegative(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v !== Infinity;
}
function isCount(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && Number.isSafeInteger(v);
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
  const ts = o['ts'];
  const route = o['route'];
  const variant = o['variant'];
  const latency = o['latency_ms'];
  if (!isNonNegative(ts) || !isName(route) || !isName(variant) || !isNonNegative(latency)) return null;
  const event = makeEvent(ts, route, variant, latency);
  let v: unknown;
  if ((v = o['pattern']) !== undefined) { if (!PATTERN_SET.has(v)) return null; event.pattern = v as Pattern; }
  if ((v = o['input_tokens']) !== undefined) { if (!isCount(v)) return null; event.inputTokens = v; }
  if ((v = o['output_tokens']) !== undefined) { if (!isCount(v)) return null; event.outputTokens = v; }
  if ((v = o['cost_usd']) !== undefined) { if (!isNonNegative(v)) return null; event.costUsd = v; }
  if ((v = o['model']) !== undefined) { if (!isName(v)) return null; event.model = v; }
  if ((v = o['quality']) !== undefined) { if (!isUnit(v)) return null; event.quality = v; }
  if ((v = o['correct']) !== undefined) { if (typeof v !== 'boolean') return null; event.correct = v; }
  if ((v = o['consistent']) !== undefined) { if (typeof v !== 'boolean') return null; event.consistent = v; }
  if ((v = o['satisfaction']) !== undefined) { if (!isUnit(v)) return null; event.satisfaction = v; }
  if ((v = o['error']) !== undefined) {
    if (typeof v === 'boolean') event.isError = v;
    else if (typeof v === 'string' && v.length <= 200) { event.isError = true; event.errorType = v; }
    else return null;
  }
  if ((v = o['experiment']) !== undefined) { if (!isName(v)) return null; event.experiment = v; }
  if ((v = o['arm']) !== undefined) { if (v !== 'baseline' && v !== 'candidate') return null; event.arm = v; }
  if ((v = o['unit']) !== undefined) { if (!isName(v, 500)) return null; event.unit = v; }
  if ((v = o['tier']) !== undefined) { if (!isName(v, 100)) return null; event.tier = v; }
  return event;
}
