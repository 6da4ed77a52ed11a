import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from '../../config/schema.js';
import { DECISION_TYPES, formatRecord, type DecisionRecord } from '../../core/decision.js';
import { stringifyRounded } from '../../core/jsonNumbers.js';
import { EVENT_LIMITS, rfc3339Ms } from '../../core/event.js';
import { MAX_DECISIONS_PAGE, type DecisionHistory } from '../../app/decisionHistory.js';
import type { DecisionQuery, Ingestor } from '../../ports/ports.js';
import type { RouteQuery, RouteView } from '../../app/routeQuery.js';
import { MAX_DEAD_LETTERS, type DeliveryQuery } from '../../app/deliveryQuery.js';
import type { IngestRecorder } from '../../telemetry/ingestRecorder.js';
import { autoMaxConnections, listenBacklog, openFileLimit } from '../../runtime/connectionLimit.js';
import { Admission, type ShedReason } from './admission.js';
import { registerEventsRoute } from './eventsRoute.js';
import { DASHBOARD_CSP, dashboardPage } from '../../ui/page.js';
import { templateReadGuard, withoutTemplate } from './templateReadGuard.js';
import type { ProbeAnswer } from './probeBoard.js';
import { checkQuery, takesQuery } from './queryParameters.js';
import { clientErrorHandler } from './clientErrors.js';

/** What the HTTP API reads from the running daemon. */
export interface ApiBackend {
  readonly ingestor: Ingestor;
  /** The decision log, a page at a time (the application's decision history). */
  readonly decisions: Pick<DecisionHistory, 'page'>;
  /** Route views for `/v1/routes…` (the application's route queries). */
  readonly routes: RouteQueries;
  /** Ready for traffic, or why not (e.g. `kafka consumer recovering: …`). */
  readiness(): Readiness;
  /** Prometheus text exposition for `GET /metrics`. */
  metricsText(): Promise<string>;
  /** Counts what the events endpoint took and refused. */
  readonly ingestRecorder?: IngestRecorder;
  /** Ingest admission (load shedding); one is made from `config.server` when absent. */
  readonly admission?: Admission;
  /** The outbox's destinations and dead letters for `/v1/outbox…` (absent: those endpoints are not served). */
  readonly deliveries?: Pick<DeliveryQuery, 'destinations' | 'deadLetters'>;
}

/** Paths answered even past the connection cap and never shed: liveness, readiness, scrapes. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** Paths whose requests pass ingest admission (bounded in-flight requests and bytes). */
export const INGEST_PATHS: ReadonlySet<string> = new Set(['/v1/events', '/v1/traces', '/v1/metrics']);

/**
 * Largest declared body of a shed request whose connection is kept open: Node reads the body and drops it
 * (no parsing), so the client gets its 503 cleanly. A larger or chunked body closes the connection unread;
 * a client still writing it may see a reset instead of the 503.
 */
export const SHED_KEEP_ALIVE_MAX_BODY_BYTES = 1024 * 1024;

const SHED_MESSAGES: Record<ShedReason, (server: Config['server']) => string> = {
  requests: (s) => `${s.max_in_flight_requests} ingest requests in flight (server.max_in_flight_requests)`,
  bytes: (s) => `${s.max_in_flight_bytes} bytes in flight (server.max_in_flight_bytes)`,
  connections: (s) => `more than ${s.max_connections ?? 'the automatic number of'} connections (server.max_connections)`,
  event_loop: (s) => `event loop more than ${s.max_event_loop_delay} ms late (server.max_event_loop_delay)`,
  queue: () => 'the pipeline queue is full (limits.max_queued_events)',
};

/** Connections served normally: `server.max_connections`, or derived from the open-file limit. */
export function maxConnectionsFor(server: Config['server']): number {
  return server.max_connections ?? autoMaxConnections(openFileLimit(), server.probe_connections);
}

/** The listen backlog for `config.server`: room in the kernel's queue for every connection it would serve. */
export function listenBacklogFor(server: Config['server']): number {
  return listenBacklog(maxConnectionsFor(server), server.probe_connections);
}

/** The admission control `config.server` describes. */
export function admissionFor(config: Config, loopLagMs: () => number = () => 0, queueFull: () => boolean = () => false): Admission {
  return new Admission(
    {
      maxInFlightRequests: config.server.max_in_flight_requests,
      maxInFlightBytes: config.server.max_in_flight_bytes,
      overloadHoldMs: Math.max(1_000, config.server.retry_after),
      maxEventLoopDelayMs: config.server.max_event_loop_delay,
    },
    Date.now,
    loopLagMs,
    queueFull,
  );
}

/**
 * Answer of `/readyz`: ready, or not with a reason. Ready but `degraded`
 * (Redis unreachable, writes pending) still answers 200 — the sidecar keeps
 * serving assignments and ingesting — with `status: degraded` and the reason.
 */
export type Readiness = { readonly ready: true; readonly degraded?: string } | { readonly ready: false; readonly reason: string };

/**
 * The `/readyz` answer (on the main port and, through the probe board, on the
 * probe port): 503 while starting or failed, 503 + `Retry-After` while ingest
 * is overloaded, 200 `ready` or `degraded` otherwise.
 */
export function readinessAnswer(readiness: Readiness, admission: Pick<Admission, 'overloaded' | 'stats'>, retryAfterMs: number): ProbeAnswer {
  if (!readiness.ready) return { code: 503, body: JSON.stringify({ status: readiness.reason === 'starting' ? 'starting' : 'not_ready', reason: readiness.reason }) };
  if (admission.overloaded()) {
    return { code: 503, body: JSON.stringify({ status: 'overloaded', ...admission.stats() }), retryAfterSeconds: retryAfterSecondsFor(retryAfterMs) };
  }
  return { code: 200, body: JSON.stringify(readiness.degraded === undefined ? { status: 'ready' } : { status: 'degraded', reason: readiness.degraded }) };
}

/** `server.retry_after` as the whole seconds of a `Retry-After` header (at least 1). */
export function retryAfterSecondsFor(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/** Optional route groups plugged in by other adapters (OTLP, experiments, dashboard). */
export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

/** The route queries the HTTP API answers from. */
export type RouteQueries = Pick<RouteQuery, 'describe' | 'describeAll' | 'seriesOf' | 'historyOf' | 'variantHistoryOf'>;

/** Media types each intake endpoint accepts (415 answers name them). */
export const ACCEPTED_CONTENT_TYPES: Readonly<Record<string, readonly string[]>> = {
  '/v1/events': ['application/json', 'application/x-ndjson', 'application/jsonl', 'application/ndjson'],
  '/v1/traces': ['application/x-protobuf', 'application/json'],
  '/v1/metrics': ['application/x-protobuf', 'application/json'],
};

/**
 * A 415 that names the accepted content types, a 413 that names the limit and
 * its config key; null for any other error.
 */
export function explainIntakeError(code: string | undefined, path: string, contentType: string, limitBytes: number): { error: string; accepted?: readonly string[]; limit_bytes?: number } | null {
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const accepted = ACCEPTED_CONTENT_TYPES[path] ?? ['application/json'];
    const sent = contentType === '' ? 'no Content-Type' : `Content-Type ${contentType}`;
    return { error: `unsupported media type: ${sent}; ${path} accepts ${accepted.join(', ')} (gzip or deflate Content-Encoding allowed)`, accepted };
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { error: `request body larger than ${limitBytes} bytes (server.body_limit_bytes): send smaller batches or raise the limit`, limit_bytes: limitBytes };
  }
  return null;
}

/**
 * Longest path parameter (`/v1/routes/{route}`, decoded, in UTF-16 code units as the wire format counts a name)
 * the router takes: the longest route name.
 *
 * @remarks Fastify's default, 100, made every route named with 101–200 characters (valid on the wire) unreachable
 * at its own endpoints: `GET /v1/routes/{route}`, its series, history, variants and steering answered 400.
 */
export const MAX_PATH_PARAM_LENGTH = EVENT_LIMITS.maxNameLength;

/** The methods a 405 may name as allowed (the ones the API serves, and those a client may try). */
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const INT = /^\d+$/;

/** Most decisions one `GET /v1/decisions` page returns. */
export { MAX_DECISIONS_PAGE };

/** Header of an NDJSON `GET /v1/decisions` answer carrying the `after` cursor of the next page. */
export const NEXT_AFTER_HEADER = 'promptpilot-next-after';

/** Parses one `GET /v1/decisions` query parameter; a string is the 400 message. */
export function parseDecisionParam(key: 'since' | 'after' | 'limit', value: string): number | string {
  if (key === 'limit') {
    const n = INT.test(value) ? Number(value) : NaN;
    return n >= 1 && n <= MAX_DECISIONS_PAGE ? n : `limit: expected an integer from 1 to ${MAX_DECISIONS_PAGE} (got '${value}')`;
  }
  if (key === 'after') return INT.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : `after: expected a decision sequence number, an integer >= 0 (got '${value}')`;
  if (INT.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  const ms = rfc3339Ms(value);
  return Number.isFinite(ms) && ms >= 0 ? ms : `since: expected epoch milliseconds or an RFC 3339 time such as 2026-01-05T08:00:00Z (got '${value}')`;
}

/**
 * Builds the daemon's single HTTP server: events intake, route statistics,
 * decision log, health, metrics, plus plugged-in route groups.
 */
export async function buildHttpServer(
  config: Config,
  backend: ApiBackend,
  plugins: readonly RoutePlugin[] = [],
  options: { onInternalError?: (err: unknown) => void } = {},
): Promise<FastifyInstance> {
  const server = config.server;
  const headersTimeoutMs = Math.min(server.headers_timeout, server.request_timeout || server.headers_timeout);
  const app = Fastify({
    logger: false,
    bodyLimit: server.body_limit_bytes,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    return503OnClosing: true,
    // Slow clients: the whole request within request_timeout, headers within headers_timeout (checked
    // every second, not Node's default 30 s), idle sockets closed, keep-alive bounded in time and requests.
    requestTimeout: server.request_timeout,
    connectionTimeout: server.idle_timeout,
    keepAliveTimeout: server.keep_alive_timeout,
    maxRequestsPerSocket: server.max_requests_per_socket,
    http: { headersTimeout: headersTimeoutMs, requestTimeout: server.request_timeout, connectionsCheckingInterval: 1_000 },
    // A request Node's parser refuses or cuts off (malformed, headers too large, too slow) is answered naming why.
    clientErrorHandler: clientErrorHandler({ headersTimeoutMs, requestTimeoutMs: server.request_timeout }),
    // A URL Fastify cannot decode (`/v1/routes/%ZZ`) was answered in Fastify's own shape
    // ({"error":"Bad Request","message":…,"statusCode":400}); every other error is {"error": <what is wrong>, "code"}.
    frameworkErrors: (err, _request, reply) => {
      const message =
        err.code === 'FST_ERR_BAD_URL'
          ? `bad URL: ${err.message} (each % takes two hex digits, and the bytes they spell must be UTF-8)`
          : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? `bad URL: a path segment longer than any route name (at most ${EVENT_LIMITS.maxNameLength} characters)`
            : err.message;
      void (reply as FastifyReply).code(400).send({ error: message, code: err.code });
    },
  });
  const admission = backend.admission ?? admissionFor(config);
  const retryAfterSeconds = String(retryAfterSecondsFor(server.retry_after));
  const maxConnections = maxConnectionsFor(server);
  // The kernel-level cap leaves probe_connections of headroom; connections past max_connections only serve probes.
  app.server.maxConnections = maxConnections + server.probe_connections;
  let openConnections = 0;
  const probeOnly = new WeakSet<Socket>();
  app.server.on('connection', (socket: Socket) => {
    openConnections++;
    if (openConnections > maxConnections) probeOnly.add(socket);
    socket.once('close', () => openConnections--);
  });

  // close() ends only the sockets idle at that moment: a request in flight then would keep its keep-alive
  // socket, once answered, for keep_alive_timeout (72 s), and shutdown (the pipeline's drain, the outbox's
  // last flush) would wait on it past an orchestrator's grace period. Until the server is closed, each
  // socket is ended as soon as it falls idle.
  app.addHook('preClose', (done) => {
    const sweep = setInterval(() => app.server.closeIdleConnections(), 50).unref();
    app.server.once('close', () => clearInterval(sweep));
    done();
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PROBE_PATHS.has(path)) return;
    // A shed request keeps its connection when its body is of known length up to 1 MiB (Node reads and drops
    // it): a reconnect per 503 cost the daemon 2.5x the CPU of the 503 itself under 1,000 clients, and a
    // client still writing a closed connection's body saw ECONNRESET instead of the 503.
    const shed = (reason: string, close: boolean) => {
      void reply.code(503).header('retry-after', retryAfterSeconds);
      if (close) void reply.header('connection', 'close');
      return reply.send({ error: `overloaded (${reason}): retry after ${retryAfterSeconds}s` });
    };
    if (probeOnly.has(request.raw.socket)) {
      admission.refuse('connections');
      return shed(`more than ${maxConnections} connections (server.max_connections)`, true);
    }
    if (request.method !== 'POST' || !INGEST_PATHS.has(path)) return;
    const declared = Number(request.headers['content-length'] ?? 0);
    // Over the body limit: leave it to the 413 that follows; it is never read.
    if (declared > server.body_limit_bytes) return;
    const ticket = admission.tryAdmit(declared);
    if (typeof ticket === 'string') {
      const length = request.headers['content-length'];
      return shed(SHED_MESSAGES[ticket](server), length === undefined || declared > SHED_KEEP_ALIVE_MAX_BODY_BYTES);
    }
    // 'close' fires once the response is done or the client went away: the slot is always given back.
    reply.raw.once('close', () => ticket.release());
  });
  app.addHook('preValidation', checkQuery);
  // Every JSON answer rounds like the decision records (12 significant digits), so an API client and a
  // replay reader see the same numbers.
  app.setReplySerializer((payload) => stringifyRounded(payload));

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string; retriable?: boolean }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : err.retriable === true ? 503 : 500;
    if (status === 503) void reply.header('retry-after', retryAfterSeconds);
    const explained = explainIntakeError(err.code, request.url.split('?')[0] ?? '', String(request.headers['content-type'] ?? ''), config.server.body_limit_bytes);
    if (explained !== null) return reply.code(status).send({ ...explained, code: err.code });
    void reply.code(status).send({ error: status === 500 ? 'internal error' : err.message, code: err.code });
    if (status === 500) options.onInternalError?.(err);
  });
  // A path served under other methods is a 405 naming them (with `Allow`, RFC 9110 §15.5.6): `PUT /v1/events`
  // answered "no such endpoint", sending its sender looking for a path that exists.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = HTTP_METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length === 0) return reply.code(404).send({ error: `no such endpoint: ${request.method} ${path}` });
    return reply.code(405).header('allow', allowed.join(', ')).send({ error: `method ${request.method} not allowed on ${path}: it takes ${allowed.join(', ')}`, allowed });
  });

  if (server.protect_templates) app.addHook('onRequest', templateReadGuard(server.api_token));
  await registerEventsRoute(app, backend.ingestor, server.body_limit_bytes, backend.ingestRecorder);

  // Route views are open reads: with protect_templates they leave out the running candidate's template.
  const shown = server.protect_templates ? withoutTemplate : (view: RouteView): RouteView => view;
  app.get('/v1/routes', async () => ({ routes: backend.routes.describeAll().map(shown) }));

  app.get<{ Params: { route: string } }>('/v1/routes/:route', async (request, reply) => {
    const view = backend.routes.describe(request.params.route);
    if (view === null) return reply.code(404).send({ error: `unknown route: ${request.params.route}` });
    return shown(view);
  });

  app.get<{ Params: { route: string } }>('/v1/routes/:route/series', async (request, reply) => {
    const series = backend.routes.seriesOf(request.params.route);
    if (series === null) {
      if (backend.routes.describe(request.params.route) === null) return reply.code(404).send({ error: `unknown route: ${request.params.route}` });
      return { route: request.params.route, variants: [] };
    }
    return series;
  });

  app.get<{ Params: { route: string }; Querystring: { hours?: string; variant?: string } }>('/v1/routes/:route/history', takesQuery('hours', 'variant'), async (request, reply) => {
    const raw = request.query.hours ?? '168';
    const hours = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (!(hours >= 1 && hours <= 24 * 90)) return reply.code(400).send({ error: 'hours: expected a whole number from 1 to 2160' });
    const variant = request.query.variant;
    if (variant !== undefined && (variant.length === 0 || variant.length > 200)) return reply.code(400).send({ error: 'variant: expected a variant name (1-200 characters)' });
    const history = variant === undefined ? backend.routes.historyOf(request.params.route, hours) : backend.routes.variantHistoryOf(request.params.route, variant, hours);
    if (history === null) return reply.code(404).send({ error: `unknown route: ${request.params.route}` });
    return history;
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/decisions', takesQuery('since', 'after', 'limit', 'route', 'type'), async (request, reply) => {
    const q = request.query;
    const query: { -readonly [K in keyof DecisionQuery]: DecisionQuery[K] } = {};
    for (const key of ['since', 'after', 'limit'] as const) {
      const value = q[key];
      if (value === undefined) continue;
      const parsed = parseDecisionParam(key, value);
      if (typeof parsed === 'string') return reply.code(400).send({ error: parsed });
      query[key] = parsed;
    }
    if (q['route'] !== undefined) query.route = q['route'];
    if (q['type'] !== undefined) {
      if (!(DECISION_TYPES as readonly string[]).includes(q['type'])) return reply.code(400).send({ error: `type: expected ${DECISION_TYPES.join(', ')}` });
      query.type = q['type'] as DecisionRecord['type'];
    }
    const page = await backend.decisions.page(query);
    if (String(request.headers.accept ?? '').includes('ndjson')) {
      // NDJSON lines are records only: the cursor for the next page travels in a header.
      void reply.header(NEXT_AFTER_HEADER, String(page.next));
      return reply.type('application/x-ndjson').send(page.decisions.map((record) => formatRecord(record) + '\n').join(''));
    }
    return page;
  });

  const deliveries = backend.deliveries;
  if (deliveries !== undefined) {
    app.get('/v1/outbox', async () => ({ destinations: await deliveries.destinations() }));
    app.get<{ Querystring: { destination?: string; limit?: string } }>('/v1/outbox/dead-letters', takesQuery('destination', 'limit'), async (request, reply) => {
      const { destination, limit: rawLimit = '100' } = request.query;
      if (destination === undefined || destination === '') return reply.code(400).send({ error: 'destination: required (one of GET /v1/outbox, e.g. notify:<receiver>)' });
      const limit = /^\d{1,5}$/.test(rawLimit) ? Number(rawLimit) : NaN;
      if (!(limit >= 1 && limit <= MAX_DEAD_LETTERS)) return reply.code(400).send({ error: `limit: expected a whole number from 1 to ${MAX_DEAD_LETTERS}` });
      const letters = await deliveries.deadLetters(destination, limit);
      if ('unknown' in letters) {
        const known = letters.unknown.length === 0 ? 'none: no sink or receiver is configured and the outbox is empty' : letters.unknown.join(', ');
        return reply.code(404).send({ error: `unknown destination: ${destination} (GET /v1/outbox lists them: ${known})` });
      }
      return { destination, dead_letters: letters };
    });
  }

  // The dashboard: one self-contained page that polls the API above; it loads nothing from elsewhere.
  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', DASHBOARD_CSP).header('cache-control', 'no-store').send(dashboardPage()),
  );
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const answer = readinessAnswer(backend.readiness(), admission, server.retry_after);
    if (answer.retryAfterSeconds !== undefined) void reply.header('retry-after', String(answer.retryAfterSeconds));
    return reply.code(answer.code).type('application/json; charset=utf-8').send(answer.body);
  });
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(await backend.metricsText()));

  for (const plugin of plugins) await plugin(app);
  return app;
}
