import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.js';
import { OverloadedError } from '../../core/errors.js';
import type { EventRejection } from '../../core/event.js';
import type { IngestOutcome, Ingestor } from '../../ports/ports.js';
import { HistogramMapper } from '../../codecs/otlp/histogramMapper.js';
import { HttpFailure } from './decompress.js';
import { requestBodyBytes } from './requestBody.js';
import { explainIntakeError } from './server.js';
import {
  decodeMetricsRequestProto,
  decodeRequestJson,
  decodeTraceRequestProto,
  encodeResponseProto,
  otlpTypes,
  responseJson,
  type DecodeResult,
  type PartialSuccess,
} from '../../codecs/otlp/otlpProtobuf.js';
import { SpanMapper } from '../../codecs/otlp/spanMapper.js';
import { noopIngestRecorder, type IngestRecorder } from '../../telemetry/ingestRecorder.js';

/** What the OTLP routes need from the daemon. */
export interface OtlpRouteDeps {
  readonly ingestor: Ingestor;
  readonly config: Config;
  readonly log?: { warn(obj: object, msg?: string): void };
  /** Counts spans / data points taken, refused and skipped (source `otlp_traces` / `otlp_metrics`). */
  readonly recorder?: IngestRecorder;
}

/** OTLP/HTTP paths (DESIGN §6). */
export const OTLP_PATHS = { traces: '/v1/traces', metrics: '/v1/metrics' } as const;

const PROTOBUF_TYPES = ['application/x-protobuf', 'application/protobuf'];
/** gRPC status codes used in OTLP error bodies (`google.rpc.Status.code`). */
const GRPC = { invalidArgument: 3, resourceExhausted: 8, internal: 13, unavailable: 14 } as const;

/** At most this many rejection reasons are spelled out in a partial-success message. */
const MAX_REASONS = 3;

/** Builds a partial-success message from rejections: the first few reasons and how many more. */
export function describeRejections(noun: string, rejections: readonly EventRejection[]): string {
  const shown = rejections.slice(0, MAX_REASONS).map((r) => `${noun} ${r.index}: ${r.field}: ${r.message}`);
  const more = rejections.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

function grpcCodeFor(status: number): number {
  if (status === 413) return GRPC.resourceExhausted;
  if (status === 503) return GRPC.unavailable;
  if (status >= 500) return GRPC.internal;
  return GRPC.invalidArgument;
}

function sendFailure(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ code: grpcCodeFor(status), message });
}

/**
 * Registers `POST /v1/traces` and `POST /v1/metrics` (OTLP/HTTP, protobuf or
 * JSON, optionally gzip- or deflate-encoded, a list of codings too) in their own encapsulated
 * context, so their content-type parsers do not touch other routes.
 *
 * Answers: 200 with an empty export response, or with `partialSuccess`
 * (`rejectedSpans` / `rejectedDataPoints`, `errorMessage`) when some items
 * were refused, encoded like the request; 400 undecodable body, 413 over
 * `server.body_limit_bytes` (compressed or not), 415 other media type,
 * encoding or charset, 503 when the pipeline refuses the batch (retriable).
 */
export async function registerOtlpRoutes(app: FastifyInstance, deps: OtlpRouteDeps): Promise<void> {
  otlpTypes();
  const { config, ingestor, log } = deps;
  const recorder = deps.recorder ?? noopIngestRecorder;
  const limitBytes = config.server.body_limit_bytes;
  const defaultVariant = (route: string): string => config.routes[route]?.current ?? 'default';
  const spans = new SpanMapper({ attributes: config.otlp.attributes, defaultVariant });
  const histograms = new HistogramMapper({ attributes: config.otlp.attributes, defaultVariant, startedAtNs: Date.now() * 1e6 });
  let warnedNoHistograms = false;

  async function handle(signal: 'traces' | 'metrics', request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
    const protobuf = PROTOBUF_TYPES.some((t) => contentType.startsWith(t));
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let body: Buffer;
    try {
      body = await requestBodyBytes(request.headers, raw, limitBytes);
    } catch (err) {
      if (err instanceof HttpFailure) return sendFailure(reply, err.status, err.message);
      throw err;
    }
    let decoded: DecodeResult;
    if (protobuf) decoded = signal === 'traces' ? decodeTraceRequestProto(body) : decodeMetricsRequestProto(body);
    else decoded = decodeRequestJson(body, signal === 'traces' ? 'resourceSpans' : 'resourceMetrics');
    if (!decoded.ok) {
      recorder.record(signal === 'traces' ? 'otlp_traces' : 'otlp_metrics', 0, [{ index: 0, field: '(body)', message: decoded.reason }]);
      return sendFailure(reply, 400, decoded.reason);
    }

    let partial: PartialSuccess | null;
    try {
      partial = signal === 'traces' ? await ingestSpans(decoded.request) : await ingestHistograms(decoded.request);
    } catch (err) {
      // Overloaded or unavailable: OTLP exporters retry a 503, honouring Retry-After.
      log?.warn({ err, signal }, 'OTLP batch refused by the pipeline');
      void reply.header('retry-after', String(Math.max(1, Math.ceil(config.server.retry_after / 1000))));
      return sendFailure(reply, 503, err instanceof OverloadedError ? err.message : 'pipeline unavailable, retry later');
    }
    if (protobuf) return reply.code(200).type('application/x-protobuf').send(Buffer.from(encodeResponseProto(signal, partial)));
    return reply.code(200).type('application/json').send(responseJson(signal, partial));
  }

  async function ingestSpans(request: unknown): Promise<PartialSuccess | null> {
    const mapping = spans.map(request);
    const outcome: IngestOutcome = mapping.events.length > 0 ? await ingestor.submit(mapping.events) : { accepted: 0, errors: [] };
    const rejections = [...mapping.rejected, ...outcome.errors.map((e) => ({ ...e, index: mapping.positions[e.index] ?? e.index }))];
    recorder.record('otlp_traces', outcome.accepted, rejections, mapping.skipped);
    if (rejections.length === 0) return null;
    rejections.sort((a, b) => a.index - b.index);
    return { rejected: rejections.length, errorMessage: describeRejections('span', rejections) };
  }

  async function ingestHistograms(request: unknown): Promise<PartialSuccess | null> {
    const mapping = histograms.map(request);
    let rejections = mapping.rejected;
    if (mapping.observations.length > 0) {
      if (ingestor.submitHistograms === undefined) {
        if (!warnedNoHistograms) log?.warn({ observations: mapping.observations.length }, 'OTLP histograms received but this pipeline does not take them');
        warnedNoHistograms = true;
        return { rejected: rejections.length, errorMessage: `${mapping.observations.length} GenAI histogram data points ignored: this pipeline does not take histograms` + (rejections.length > 0 ? `; ${describeRejections('data point', rejections)}` : '') };
      }
      const outcome = await ingestor.submitHistograms(mapping.observations);
      if (outcome.errors.length > 0) rejections = [...rejections, ...outcome.errors];
      recorder.record('otlp_metrics', outcome.accepted, rejections, mapping.skipped);
    } else recorder.record('otlp_metrics', 0, rejections, mapping.skipped);
    if (rejections.length === 0) return null;
    return { rejected: rejections.length, errorMessage: describeRejections('data point', rejections) };
  }

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...PROTOBUF_TYPES, 'application/json'], { parseAs: 'buffer', bodyLimit: limitBytes }, (_request, body, done) => {
      done(null, body);
    });
    // A 415 or 413 says what the sender can change (the types taken, the limit and its key) as on /v1/events;
    // Fastify's own words ("Unsupported Media Type", "Request body is too large") named neither.
    scope.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, request, reply) => {
      const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
      if (status >= 500) log?.warn({ err }, 'OTLP request failed');
      const explained = explainIntakeError(err.code, request.url.split('?')[0] ?? '', String(request.headers['content-type'] ?? ''), limitBytes);
      return sendFailure(reply, status, explained?.error ?? (status >= 500 ? 'internal error' : err.message));
    });
    scope.post(OTLP_PATHS.traces, (request, reply) => handle('traces', request, reply));
    scope.post(OTLP_PATHS.metrics, (request, reply) => handle('metrics', request, reply));
  });
}
