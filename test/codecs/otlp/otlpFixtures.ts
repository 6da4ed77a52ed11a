import { ConfigSchema, type Config } from '../../../src/config/schema.js';

/** An OTLP/JSON attribute value. */
export type Attr = string | number | boolean | { int: number | string } | { double: number };

/** OTLP/JSON KeyValue list from a plain record (integers as intValue strings, like OTLP/JSON exporters write them). */
export function kv(attributes: Record<string, Attr>): object[] {
  return Object.entries(attributes).map(([key, v]) => {
    if (typeof v === 'string') return { key, value: { stringValue: v } };
    if (typeof v === 'boolean') return { key, value: { boolValue: v } };
    if (typeof v === 'number') return { key, value: Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v } };
    if ('int' in v) return { key, value: { intValue: v.int } };
    return { key, value: { doubleValue: v.double } };
  });
}

const BASE_NS = 1_700_000_000_000_000_000n;

/** One OTLP/JSON span ending `endMs` after the base time, lasting `latencyMs`. */
export function span(attributes: Record<string, Attr>, opts: { latencyMs?: number; endMs?: number; status?: number } = {}): object {
  const end = BASE_NS + BigInt(Math.round((opts.endMs ?? 1000) * 1e6));
  const start = end - BigInt(Math.round((opts.latencyMs ?? 100) * 1e6));
  return {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    attributes: kv(attributes),
    ...(opts.status === undefined ? {} : { status: { code: opts.status } }),
  };
}

/** The epoch-ms end time of a span made with `endMs`. */
export function endTimeMs(endMs = 1000): number {
  return Number(BASE_NS / 1_000_000n) + endMs;
}

/** An OTLP/JSON ExportTraceServiceRequest with one resource. */
export function traceRequest(spans: object[], resource: Record<string, Attr> = { 'service.name': 'app' }): object {
  return { resourceSpans: [{ resource: { attributes: kv(resource) }, scopeSpans: [{ scope: { name: 'test' }, spans }] }] };
}

/** The default configuration with optional overrides. */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse(overrides);
}
