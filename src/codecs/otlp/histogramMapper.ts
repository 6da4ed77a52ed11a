import { createHash } from 'node:crypto';
import { EVENT_LIMITS, type EventRejection } from '../../core/event.js';
import type { HistogramObservation } from '../../ports/ports.js';
import { AttributeResolver } from './attributeResolver.js';
import { asRecord, int64ToNumber, listField, readAnyValue, toStringField, type Scalar } from './otlpValues.js';
import type { OtlpAttributeNames } from './spanMapper.js';

/** GenAI client metrics (OpenTelemetry semantic conventions) that feed route statistics. */
export const GENAI_METRICS = {
  operationDuration: 'gen_ai.client.operation.duration',
  tokenUsage: 'gen_ai.client.token.usage',
} as const;

const TOKEN_TYPE = 'gen_ai.token.type';
const CUMULATIVE = 2;

/** What one metrics export request turned into. `rejected[].index` is the data point's position in the request (flattened, all metrics). */
export interface HistogramMapping {
  readonly observations: HistogramObservation[];
  readonly rejected: EventRejection[];
  /** Every data point in the request, of any metric. */
  readonly dataPoints: number;
  /** Data points that do not feed statistics (other metrics, no route, nothing new): counted, not errors. */
  readonly skipped: number;
}

/** Options of {@link HistogramMapper}. */
export interface HistogramMapperOptions {
  readonly attributes: OtlpAttributeNames;
  readonly defaultVariant?: (route: string) => string;
  /** Cumulative streams remembered for delta conversion; the least recently seen is forgotten first. Default 100 000. */
  readonly maxStreams?: number;
  /**
   * When this mapper started (epoch ns; the caller reads its clock: codecs are pure). A cumulative stream first
   * seen here that started earlier carries history from before we listened: its
   * first point becomes the delta baseline instead of being counted (as the
   * Collector's cumulativetodelta does), so a daemon restart or a forgotten
   * stream never re-counts a whole total.
   */
  readonly startedAtNs: number;
}

interface StreamState {
  readonly startNs: number;
  readonly bounds: readonly number[];
  readonly bucketCounts: readonly number[];
  readonly sum: number | null;
}

type Checked = { ok: true; bounds: number[]; bucketCounts: number[]; sum: number | null } | { ok: false; field: string; message: string };

/**
 * Maps OTLP histogram data points of `gen_ai.client.operation.duration`
 * (seconds → ms) and `gen_ai.client.token.usage` (by `gen_ai.token.type`) that
 * carry a route attribute to {@link HistogramObservation}s.
 *
 * @remarks Cumulative streams (the OpenTelemetry SDK's default) are turned into
 * deltas against the previous export of the same stream, so re-exported totals
 * are never counted twice; a restarted stream (new start time, counts going
 * down) starts over. This state is why the mapper is an object.
 */
export class HistogramMapper {
  private readonly resolver: AttributeResolver;
  private readonly defaultVariant: (route: string) => string;
  private readonly maxStreams: number;
  private readonly startedAtNs: number;
  private readonly streams = new Map<string, StreamState>();

  constructor(options: HistogramMapperOptions) {
    this.resolver = new AttributeResolver([
      { name: 'route', attributeNames: options.attributes.route },
      { name: 'variant', attributeNames: options.attributes.variant },
      { name: TOKEN_TYPE, attributeNames: [TOKEN_TYPE] },
    ]);
    this.defaultVariant = options.defaultVariant ?? (() => 'default');
    this.maxStreams = options.maxStreams ?? 100_000;
    this.startedAtNs = options.startedAtNs;
  }

  /** Maps one `ExportMetricsServiceRequest`. Total: never throws on data. */
  map(request: unknown): HistogramMapping {
    const observations: HistogramObservation[] = [];
    const rejected: EventRejection[] = [];
    let dataPoints = 0;
    let skipped = 0;
    for (const resourceMetrics of listField(asRecord(request), 'resourceMetrics')) {
      const rm = asRecord(resourceMetrics);
      const resourceAttributes = listField(asRecord(rm?.['resource']), 'attributes');
      const fallback = this.resolver.resolve(resourceAttributes);
      let resourceKey: string | null = null;
      for (const scopeMetrics of listField(rm, 'scopeMetrics')) {
        for (const metricValue of listField(asRecord(scopeMetrics), 'metrics')) {
          const metric = asRecord(metricValue);
          const name = metric?.['name'];
          const histogram = asRecord(metric?.['histogram']);
          const points = histogram === null ? countPoints(metric) : listField(histogram, 'dataPoints');
          const relevant = histogram !== null && (name === GENAI_METRICS.operationDuration || name === GENAI_METRICS.tokenUsage);
          if (!relevant || metric === null) {
            dataPoints += typeof points === 'number' ? points : points.length;
            skipped += typeof points === 'number' ? points : points.length;
            continue;
          }
          const scale = name === GENAI_METRICS.operationDuration ? (metric['unit'] === 'ms' ? 1 : 1000) : 1;
          const temporality = histogram['aggregationTemporality'];
          const cumulative = temporality === CUMULATIVE || temporality === 'AGGREGATION_TEMPORALITY_CUMULATIVE';
          for (const pointValue of typeof points === 'number' ? [] : points) {
            const index = dataPoints++;
            const point = asRecord(pointValue);
            if (point === null) {
              rejected.push({ index, field: '(dataPoint)', message: 'expected a data point object' });
              continue;
            }
            const own = this.resolver.resolve(listField(point, 'attributes'));
            const routeValue = pick(own[0], fallback[0]);
            if (routeValue.kind === 'absent') {
              skipped++;
              continue;
            }
            const route = toStringField(routeValue);
            if (!isName(route)) {
              rejected.push({ index, field: 'route', message: 'expected a string of 1-200 characters' });
              continue;
            }
            const variantValue = pick(own[1], fallback[1]);
            const variant = variantValue.kind === 'absent' ? this.defaultVariant(route) : toStringField(variantValue);
            if (!isName(variant)) {
              rejected.push({ index, field: 'variant', message: 'expected a string of 1-200 characters' });
              continue;
            }
            let kind: HistogramObservation['metric'];
            if (name === GENAI_METRICS.operationDuration) kind = 'latency_ms';
            else {
              const tokenType = toStringField(pick(own[2], fallback[2]));
              if (tokenType === 'input') kind = 'input_tokens';
              else if (tokenType === 'output') kind = 'output_tokens';
              else {
                skipped++;
                continue;
              }
            }
            const checked = checkPoint(point, scale);
            if (!checked.ok) {
              rejected.push({ index, field: checked.field, message: checked.message });
              continue;
            }
            let { bucketCounts, sum } = checked;
            if (cumulative) {
              resourceKey ??= canonicalAttributes(resourceAttributes);
              const key = `${resourceKey}\u0001${String(name)}\u0001${canonicalAttributes(listField(point, 'attributes'))}`;
              const delta = this.toDelta(key, int64ToNumber(point['startTimeUnixNano']), checked);
              bucketCounts = delta.bucketCounts;
              sum = delta.sum;
            }
            const count = bucketCounts.reduce((a, b) => a + b, 0);
            if (count === 0) {
              skipped++;
              continue;
            }
            const implausible = implausibility(kind, count, sum);
            if (implausible !== null) {
              rejected.push({ index, ...implausible });
              continue;
            }
            const ts = int64ToNumber(point['timeUnixNano']) / 1e6;
            observations.push({ ts, route, variant, metric: kind, bounds: checked.bounds, bucketCounts, count, sum });
          }
        }
      }
    }
    return { observations, rejected, dataPoints, skipped };
  }

  private toDelta(key: string, startNs: number, current: { bounds: number[]; bucketCounts: number[]; sum: number | null }): { bucketCounts: number[]; sum: number | null } {
    const previous = this.streams.get(key);
    this.streams.delete(key);
    this.streams.set(key, { startNs, bounds: current.bounds, bucketCounts: current.bucketCounts, sum: current.sum });
    if (this.streams.size > this.maxStreams) {
      const oldest = this.streams.keys().next();
      if (oldest.done !== true) this.streams.delete(oldest.value);
    }
    if (previous === undefined && startNs > 0 && startNs < this.startedAtNs) {
      // History from before we listened (restart, or a stream forgotten by the LRU): baseline only.
      return { bucketCounts: current.bucketCounts.map(() => 0), sum: current.sum === null ? null : 0 };
    }
    if (previous === undefined || previous.startNs !== startNs || !sameNumbers(previous.bounds, current.bounds)) return current;
    const delta = current.bucketCounts.map((c, i) => c - (previous.bucketCounts[i] ?? 0));
    if (delta.some((d) => d < 0)) return current;
    const sum = current.sum !== null && previous.sum !== null ? current.sum - previous.sum : null;
    return { bucketCounts: delta, sum };
  }
}

const ABSENT: Scalar = { kind: 'absent' };

function pick(own: Scalar | undefined, fallback: Scalar | undefined): Scalar {
  if (own !== undefined && own.kind !== 'absent') return own;
  return fallback ?? ABSENT;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 200;
}

function countPoints(metric: Record<string, unknown> | null): number {
  if (metric === null) return 0;
  for (const kind of ['gauge', 'sum', 'exponentialHistogram', 'summary']) {
    const data = asRecord(metric[kind]);
    if (data !== null) return listField(data, 'dataPoints').length;
  }
  return 0;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Stream identities longer than this are kept as a digest: 100k remembered streams stay ~10 MB. */
const MAX_KEY_CHARS = 256;

function canonicalAttributes(attributes: readonly unknown[]): string {
  const parts: string[] = [];
  for (const kv of attributes) {
    const record = asRecord(kv);
    if (record === null || typeof record['key'] !== 'string') continue;
    const value = readAnyValue(record['value']);
    parts.push(`${record['key']}=${value.kind}:${value.kind === 'absent' ? '' : JSON.stringify(value.value) ?? ''}`);
  }
  const key = parts.sort().join('\u0002');
  return key.length <= MAX_KEY_CHARS ? key : `sha256:${createHash('sha256').update(key).digest('base64')}`;
}

/**
 * Holds a point's (delta) count and sum to what the same calls sent as events
 * could carry: at most {@link EVENT_LIMITS.maxCallsPerDataPoint} calls, a sum
 * between 0 and count × the per-call maximum. Null when plausible.
 */
function implausibility(kind: HistogramObservation['metric'], count: number, sum: number | null): { field: string; message: string } | null {
  if (count > EVENT_LIMITS.maxCallsPerDataPoint) {
    return { field: 'count', message: `${count} calls in one data point is more than the plausible ${EVENT_LIMITS.maxCallsPerDataPoint}` };
  }
  if (sum === null) return null;
  const perCall = kind === 'latency_ms' ? EVENT_LIMITS.maxLatencyMs : EVENT_LIMITS.maxTokens;
  if (sum < 0 || sum > count * perCall) {
    return { field: 'sum', message: `expected between 0 and ${count} × ${perCall} (${kind === 'latency_ms' ? 'ms' : 'tokens'} per call), got ${sum}` };
  }
  return null;
}

function checkPoint(point: Record<string, unknown>, scale: number): Checked {
  const rawBounds = listField(point, 'explicitBounds');
  if (rawBounds.length > EVENT_LIMITS.maxHistogramBounds) {
    return { ok: false, field: 'explicitBounds', message: `expected at most ${EVENT_LIMITS.maxHistogramBounds} bounds, got ${rawBounds.length}` };
  }
  const bounds: number[] = [];
  for (const b of rawBounds) {
    const n = typeof b === 'number' ? b : Number(b);
    if (!Number.isFinite(n) || (bounds.length > 0 && n * scale <= (bounds[bounds.length - 1] ?? -Infinity))) {
      return { ok: false, field: 'explicitBounds', message: 'expected strictly increasing finite numbers' };
    }
    bounds.push(n * scale);
  }
  let bucketCounts = listField(point, 'bucketCounts').map(int64ToNumber);
  const total = int64ToNumber(point['count']);
  if (bucketCounts.length === 0 && bounds.length === 0 && Number.isSafeInteger(total) && total >= 0) bucketCounts = [total];
  if (bucketCounts.length !== bounds.length + 1) {
    return { ok: false, field: 'bucketCounts', message: `expected ${bounds.length + 1} bucket counts for ${bounds.length} bounds, got ${bucketCounts.length}` };
  }
  if (bucketCounts.some((c) => !Number.isSafeInteger(c) || c < 0)) {
    return { ok: false, field: 'bucketCounts', message: 'expected non-negative integers' };
  }
  let sum: number | null = null;
  if (Object.prototype.hasOwnProperty.call(point, 'sum') && point['sum'] !== null && point['sum'] !== undefined) {
    const s = Number(point['sum']);
    if (!Number.isFinite(s)) return { ok: false, field: 'sum', message: 'expected a finite number' };
    sum = s * scale;
  }
  return { ok: true, bounds, bucketCounts, sum };
}
