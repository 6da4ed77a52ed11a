import type { Config } from '../../config/schema.js';
import { validateEvent, type EventRejection, type TelemetryEvent } from '../../core/event.js';
import { AttributeResolver, type AttributeSlot } from './attributeResolver.js';
import { asRecord, int64Difference, int64ToNumber, listField, readAnyValue, toBooleanField, toNumberField, toStringField, type Scalar } from './otlpValues.js';

/** Attribute-name lists per event field (`config.otlp.attributes`). */
export type OtlpAttributeNames = Config['otlp']['attributes'];

/** Event fields filled from span attributes, with how their values are coerced. `route` must stay first: it is slot 0. */
const FIELD_KINDS = {
  route: 'string',
  variant: 'string',
  pattern: 'string',
  quality: 'number',
  correct: 'boolean',
  consistent: 'boolean',
  satisfaction: 'number',
  cost_usd: 'number',
  input_tokens: 'number',
  output_tokens: 'number',
  model: 'string',
  experiment: 'string',
  arm: 'string',
  unit: 'string',
  tier: 'string',
} as const satisfies Record<keyof OtlpAttributeNames, 'string' | 'number' | 'boolean'>;
type AttributeField = keyof typeof FIELD_KINDS;
const FIELDS = Object.keys(FIELD_KINDS) as AttributeField[];

/** Semantic-convention attributes read with fixed names. */
const ERROR_TYPE = 'error.type';
const OPERATION_NAME = 'gen_ai.operation.name';

/** Span attributes `promptpilot.stage_ms.<stage>` carry the call's stage timings (ms), the wire event's `stage_ms`. */
export const STAGE_ATTRIBUTE_PREFIX = 'promptpilot.stage_ms.';

/** OTLP `Status.code` for ERROR (`STATUS_CODE_ERROR`). */
const STATUS_ERROR = 2;

/** What one trace export request turned into. `rejected[].index` is the span's position in the request (flattened). */
export interface SpanMapping {
  readonly events: TelemetryEvent[];
  /** Source position (flattened span index) of each event in `events`. */
  readonly positions: number[];
  readonly rejected: EventRejection[];
  /** Every span in the request. */
  readonly spans: number;
  /** Spans that are not LLM calls for a route (no route attribute): counted, not errors. */
  readonly skipped: number;
}

/** Options of {@link SpanMapper}. */
export interface SpanMapperOptions {
  readonly attributes: OtlpAttributeNames;
  /** Variant for a routed span that names none; defaults to `'default'`. */
  readonly defaultVariant?: (route: string) => string;
}

function coerce(kind: 'string' | 'number' | 'boolean', value: Scalar): unknown {
  return kind === 'string' ? toStringField(value) : kind === 'number' ? toNumberField(value) : toBooleanField(value);
}

function isErrorStatus(status: Record<string, unknown> | null): boolean {
  if (status === null) return false;
  const code = status['code'];
  return code === STATUS_ERROR || code === 'STATUS_CODE_ERROR';
}

/**
 * Maps OTLP spans (protobuf-decoded or OTLP/JSON) to telemetry events
 * (DESIGN §2 "OTLP mapping"). Field values come from the configured attribute
 * names (span attributes first, resource attributes as fallback); latency is
 * end − start, `ts` the end time, `error` the span status ERROR or
 * `error.type`. Every produced event goes through {@link validateEvent}, so a
 * bad span is rejected with the same field-named reason a bad wire event gets.
 *
 * @remarks A span counts as an LLM call when it carries a route attribute
 * itself, or when the route is a resource attribute and the span carries a
 * GenAI attribute (`gen_ai.operation.name`, a model or a token count) — so an
 * app tagging its whole service with a route does not turn HTTP spans into calls.
 */
export class SpanMapper {
  private readonly resolver: AttributeResolver;
  private readonly defaultVariant: (route: string) => string;
  private readonly errorTypeSlot: number;
  private readonly operationSlot: number;
  private readonly genAiSlots: readonly number[];
  /** Scratch buffers reused across spans (map() is synchronous). */
  private readonly own: Scalar[] = [];
  private readonly ranks: number[] = [];

  constructor(options: SpanMapperOptions) {
    const slots: AttributeSlot[] = FIELDS.map((field) => ({ name: field, attributeNames: options.attributes[field] }));
    slots.push({ name: ERROR_TYPE, attributeNames: [ERROR_TYPE] }, { name: OPERATION_NAME, attributeNames: [OPERATION_NAME] });
    this.resolver = new AttributeResolver(slots);
    this.errorTypeSlot = FIELDS.length;
    this.operationSlot = FIELDS.length + 1;
    this.genAiSlots = [this.operationSlot, FIELDS.indexOf('model'), FIELDS.indexOf('input_tokens'), FIELDS.indexOf('output_tokens')];
    this.defaultVariant = options.defaultVariant ?? (() => 'default');
  }

  /** Maps one `ExportTraceServiceRequest`. Total: never throws on data. */
  map(request: unknown): SpanMapping {
    const events: TelemetryEvent[] = [];
    const positions: number[] = [];
    const rejected: EventRejection[] = [];
    let spans = 0;
    let skipped = 0;
    for (const resourceSpans of listField(asRecord(request), 'resourceSpans')) {
      const rs = asRecord(resourceSpans);
      const resource = asRecord(rs?.['resource']);
      const fallback = this.resolver.resolve(listField(resource, 'attributes'));
      for (const scopeSpans of listField(rs, 'scopeSpans')) {
        for (const spanValue of listField(asRecord(scopeSpans), 'spans')) {
          const index = spans++;
          const span = asRecord(spanValue);
          if (span === null) {
            rejected.push({ index, field: '(span)', message: 'expected a span object' });
            continue;
          }
          const wire = this.toWire(span, fallback);
          if (wire === null) {
            skipped++;
            continue;
          }
          const timeProblem = spanTimeProblem(span);
          if (timeProblem !== null) {
            rejected.push({ index, ...timeProblem });
            continue;
          }
          const result = validateEvent(wire, index);
          if (result.ok) {
            events.push(result.event);
            positions.push(index);
          } else rejected.push(result.error);
        }
      }
    }
    return { events, positions, rejected, spans, skipped };
  }

  /** The wire-format object for a span, or null when the span is not an LLM call for a route. */
  private toWire(span: Record<string, unknown>, fallback: readonly Scalar[]): Record<string, unknown> | null {
    const own = this.own;
    this.resolver.resolveInto(listField(span, 'attributes'), own, this.ranks);
    const routeOwn = own[0];
    const routeScalar = routeOwn !== undefined && routeOwn.kind !== 'absent' ? routeOwn : fallback[0];
    if (routeScalar === undefined || routeScalar.kind === 'absent') return null;
    if (routeOwn?.kind === 'absent' && !this.isGenAiSpan(own)) return null;

    const start = span['startTimeUnixNano'];
    const end = span['endTimeUnixNano'];
    const route = toStringField(routeScalar);
    const wire: Record<string, unknown> = {
      ts: int64ToNumber(end) / 1e6,
      route,
      variant: undefined,
      latency_ms: int64Difference(end, start) / 1e6,
    };
    for (let i = 1; i < FIELDS.length; i++) {
      const field = FIELDS[i] as AttributeField;
      const ownValue = own[i];
      const value = ownValue !== undefined && ownValue.kind !== 'absent' ? ownValue : fallback[i];
      if (value === undefined || value.kind === 'absent') continue;
      wire[field] = coerce(FIELD_KINDS[field], value);
    }
    if (wire['variant'] === undefined) {
      if (typeof route === 'string') wire['variant'] = this.defaultVariant(route);
      else delete wire['variant'];
    }
    const stages = stageTimings(listField(span, 'attributes'));
    if (stages !== null) wire['stage_ms'] = stages;
    const errorType = own[this.errorTypeSlot];
    if (errorType !== undefined && errorType.kind !== 'absent') wire['error'] = toStringField(errorType);
    else if (isErrorStatus(asRecord(span['status']))) wire['error'] = true;
    return wire;
  }

  private isGenAiSpan(own: readonly Scalar[]): boolean {
    return this.genAiSlots.some((i) => {
      const value = own[i];
      return value !== undefined && value.kind !== 'absent';
    });
  }
}

/**
 * What is wrong with an LLM span's start or end time, or null: missing, 0 (what protobuf decodes an unset
 * time to; counted, the span was a call of the given latency in January 1970) or not an integer. Named by
 * the OTLP field, not by the event's `ts` or `latency_ms` computed from it.
 */
function spanTimeProblem(span: Record<string, unknown>): { field: string; message: string } | null {
  for (const field of ['startTimeUnixNano', 'endTimeUnixNano'] as const) {
    const value = span[field];
    if (value === undefined || value === null) return { field, message: 'required field is missing' };
    const nanos = int64ToNumber(value);
    if (Number.isNaN(nanos)) return { field, message: `expected nanoseconds since the epoch, an integer or a string of one, got ${String(JSON.stringify(value)).slice(0, 60)}` };
    if (nanos === 0) return { field, message: 'is 0, the time of an unset field: the span has no time' };
  }
  return null;
}

/** The `promptpilot.stage_ms.<stage>` attributes of a span as `{stage: value}`, or null when it has none. */
function stageTimings(attributes: readonly unknown[]): Record<string, unknown> | null {
  let stages: Record<string, unknown> | null = null;
  for (const attribute of attributes) {
    const a = asRecord(attribute);
    const key = a?.['key'];
    if (typeof key !== 'string' || !key.startsWith(STAGE_ATTRIBUTE_PREFIX)) continue;
    (stages ??= {})[key.slice(STAGE_ATTRIBUTE_PREFIX.length)] = toNumberField(readAnyValue(a!['value']));
  }
  return stages;
}
