import { z } from 'zod';
import { ALL_PATTERNS, PATTERNS } from '../core/patterns.js';
import { bareRecord, ownEntry } from '../core/records.js';
import { duration, formatDurationMs } from './duration.js';
import { uniqueNames } from './uniqueNames.js';
import { crossCheck, report, resolveRouteRules } from './crossChecks.js';
import { mergeRulesByName, plainIssue, type MergeIssue } from './ruleMerge.js';
import { DEFAULT_RULES, RuleSchema, TargetOverridesSchema, TargetsSchema, TARGET_KEYS, type Rule, type Targets } from './ruleSchema.js';
import { BudgetsSchema, MonitoringSchema } from './monitoringSchema.js';
import { TelemetrySchema } from './telemetrySchema.js';
import { NotifySchema } from './notifySchema.js';

/** `log.level` values (also checked in PROMPTPILOT_LOG_LEVEL, so its error names the variable). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
import { AbTestSchema } from './abtestSchema.js';

const pct = z.number().min(0).max(1000);
const fraction = z.number().min(0).max(1);
const positive = z.number().positive();

export { DEFAULT_CONFIDENCE, DEFAULT_RULES, RuleSchema, TARGET_KEYS, TargetsSchema, ThresholdSchema, type Rule, type TargetKey, type Targets, type Threshold } from './ruleSchema.js';

const VariantSchema = z
  .object({
    name: z.string().min(1).max(200),
    pattern: z.enum(ALL_PATTERNS).optional(),
    /** Prompt template text; token_optimization derives compressed candidates from it, pattern actions a template rewritten for the target pattern. */
    template: z.string().optional().describe('Prompt template text; token_optimization derives compressed candidates from it, pattern actions a template rewritten for the target pattern.'),
    /** Name of a registered, shorter variant that token_optimization may use instead of deriving one. */
    compressed: z.string().min(1).max(200).optional().describe('Name of a registered, shorter variant that token_optimization may use instead of deriving one.'),
    tier: z.string().optional(),
  })
  .strict();

const RouteSchema = z
  .object({
    targets: TargetOverridesSchema.default({}).describe('This route\'s targets: each key set replaces the global `targets` value on this route; keys left out keep it.'),
    /** The variant in production when no traffic has said otherwise. */
    current: z.string().min(1).max(200).optional().describe('The variant in production when no traffic has said otherwise.'),
    tier: z.string().optional(),
    // Two entries of one name were both taken: the registry served the last one's pattern, the engine the first's.
    variants: z.array(VariantSchema).superRefine(uniqueNames('variant', 'variants')).default([]),
    /**
     * Per-route rule settings by rule name: the keys given replace the rule's for this route only
     * (e.g. `performance_degradation: {threshold: 9000}` or `response_time_warning: {enabled: false}`).
     */
    rules: z
      .record(z.string(), z.looseObject({}))
      .default({})
      .describe('Per-route rule settings by rule name: keys given (threshold, for, confidence, severity, enabled, …) replace the rule\'s for this route only.'),
    /** Worked examples a pattern action inserts when it rewrites a template to few_shot (input → output). */
    examples: z
      .array(z.object({ input: z.string().min(1), output: z.string().min(1) }).strict())
      .default([])
      .describe('Worked examples a pattern action inserts when it rewrites a template to few_shot (input → output).'),
    /** This route's experiment policy: any `abtest` key (gates and rollback merge key by key). */
    abtest: z
      .looseObject({})
      .optional()
      .describe('This route\'s experiment policy: overrides any `abtest` key (ramp, durations, gates, rollback triggers, on_breach, watch_after_promotion) for this route; `gates` and `rollback` merge key by key.'),
  })
  .strict();

const TierSchema = z.object({ max_tokens: z.number().int().positive(), pattern: z.enum(PATTERNS) }).strict();

const DEFAULT_TIERS = {
  economy: { max_tokens: 500, pattern: 'zero_shot' },
  standard: { max_tokens: 1500, pattern: 'few_shot' },
  premium: { max_tokens: 4000, pattern: 'chain_of_thought' },
  research: { max_tokens: 8000, pattern: 'tree_of_thought' },
} as const;

const PriceSchema = z
  .object({ input_per_mtok: z.number().nonnegative(), output_per_mtok: z.number().nonnegative() })
  .strict();

const DEFAULT_PRICES = {
  'gpt-4o': { input_per_mtok: 2.5, output_per_mtok: 10 },
  'gpt-4o-mini': { input_per_mtok: 0.15, output_per_mtok: 0.6 },
  'gpt-4.1': { input_per_mtok: 2, output_per_mtok: 8 },
  'gpt-4.1-mini': { input_per_mtok: 0.4, output_per_mtok: 1.6 },
  'o3-mini': { input_per_mtok: 1.1, output_per_mtok: 4.4 },
  'claude-3-5-sonnet': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-3-5-haiku': { input_per_mtok: 0.8, output_per_mtok: 4 },
  'claude-sonnet-4': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-opus-4': { input_per_mtok: 15, output_per_mtok: 75 },
  'gemini-1.5-pro': { input_per_mtok: 1.25, output_per_mtok: 5 },
  'gemini-1.5-flash': { input_per_mtok: 0.075, output_per_mtok: 0.3 },
  'llama-3.1-70b': { input_per_mtok: 0.88, output_per_mtok: 0.88 },
};

const SimulatedRouteSchema = z
  .object({
    route: z.string().min(1).max(200),
    variant: z.string().min(1).max(200),
    pattern: z.enum(PATTERNS),
    model: z.string().default('gpt-4o-mini'),
    /** Calls per second of event time. */
    rate_per_second: positive.default(5).describe('Calls per second of event time.'),
  })
  .strict();

const DegradationSchema = z
  .object({
    route: z.string().min(1),
    /** Event time after the simulator's start when the degradation begins. */
    at: duration.describe('Event time after the simulator\'s start when the degradation begins.'),
    duration: duration,
    latency_factor: positive.default(1),
    cost_factor: positive.default(1),
    accuracy_delta: z.number().min(-1).max(1).default(0),
    error_rate: fraction.default(0),
  })
  .strict();

const RedisSchema = z
  .object({
    url: z.string().regex(/^rediss?:\/\/\S+$/, 'expected a redis:// or rediss:// URL (redis://[user:password@]host:port[/db])').optional().describe('`redis://[user:password@]host:port[/db]`. Set: experiments, promotions, registered variants, the decision log and the long-horizon history live in Redis and survive restarts; instances share them (`PROMPTPILOT_REDIS_URL`). Unset: in memory.'),
    key_prefix: z.string().default('promptpilot:').describe('Every key promptpilot writes starts with this (several deployments can share one Redis).'),
    instance_id: z.string().min(1).max(200).optional().describe('This instance in route leases. Default: host name and port. Keep it stable across restarts of one instance (it then reclaims its routes at once) and distinct between instances: two running daemons with one id both decide for the same routes, and each reports it (error log, `/readyz` degraded).'),
    lease: duration.default(15_000).describe('A route\'s owner renews its lease while the route has traffic; when it stops (the instance died, its partitions moved) another instance takes the route over after this long. Traffic of the route another instance gets meanwhile is held there (at most 100,000 events over all routes) and counted on the route\'s checkpoint when it takes over, so a shorter lease shortens how late the gap\'s decisions come, not what is counted.'),
    route_ttl: duration.default(30 * 86_400_000).describe('Stored state of a route only learned from traffic ages out this long after its last change; routes with promotions or registered variants are kept.'),
    refresh_interval: duration.default(2_000).describe('How often pending writes are retried and routes other instances own are re-read (what `/v1/assign` and `/v1/experiments` show here for them).'),
    checkpoint_interval: duration.default(30_000).describe('How often (wall time) the rolling windows and detector states of the routes this instance owns are checkpointed to Redis, each route only when it changed; a restart or a takeover resumes them from there, so at most this much of a route\'s statistics is lost. A step that records a trigger also checkpoints its route at once, so a restart or takeover does not fire it again. One final checkpoint is written on a clean shutdown.'),
    checkpoint_ttl: duration.default(7 * 86_400_000).describe('A route\'s checkpoint ages out this long after its last write: a route silent for longer starts cold (its windows would be empty by then anyway; its baselines and cooldown are lost).'),
    max_pending_decisions: z.number().int().positive().default(10_000).describe('Decisions held in memory while Redis is unreachable; beyond it the oldest are dropped, counted, logged, and a `gap` record says so.'),
    max_pending_outbox_messages: z.number().int().positive().default(10_000).describe('Outbox messages (alerts, decisions for sinks) held in memory while Redis is unreachable; beyond it the oldest are dropped, counted, logged, and a `gap` record naming their destinations says so.'),
    decision_log_max_entries: z.number().int().positive().default(1_000_000).describe('The decision log stream is trimmed to about this many entries.'),
  })
  .strict();

/**
 * What is wrong with a Kafka broker address, or null: kafkajs needs `host:port` (a bare `kafka-0` was taken, and every
 * connection then failed for a minute with "Port should be >= 0 and < 65536. Received type number (NaN)").
 */
export function brokerProblem(broker: string): string | null {
  const port = /^[^\s,/]+:(\d{1,5})$/.exec(broker)?.[1];
  if (port !== undefined && Number(port) >= 1 && Number(port) <= 65_535) return null;
  return `expected host:port, e.g. kafka-0:9092 (got '${broker}')`;
}

const KafkaSchema = z
  .object({
    brokers: z.array(z.string().refine((broker) => brokerProblem(broker) === null, { error: (issue) => brokerProblem(String(issue.input)) ?? 'expected host:port' })).default([]).describe('Seed brokers, each `host:port` (e.g. `kafka-0:9092`). Empty: no Kafka.'),
    client_id: z.string().default('promptpilot'),
    group_id: z.string().default('promptpilot'),
    /** `consumer` processes events; `gateway` only forwards HTTP/OTLP input to the events topic. */
    role: z.enum(['consumer', 'gateway']).default('consumer').describe('`consumer` processes events; `gateway` only forwards HTTP/OTLP input to the events topic.'),
    topics: z
      .object({
        events: z.string().default('promptpilot.events'),
        otlp_spans: z.string().default('otlp_spans'),
        decisions: z.string().default('promptpilot.decisions'),
        dead_letter: z.string().default('promptpilot.events.dlq'),
      })
      .strict()
      .default({ events: 'promptpilot.events', otlp_spans: 'otlp_spans', decisions: 'promptpilot.decisions', dead_letter: 'promptpilot.events.dlq' }),
    ssl: z.boolean().default(false),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string(),
        password: z.string(),
      })
      .strict()
      .optional(),
    /** Pause consumption while this many events wait to be processed. */
    max_in_flight_events: z.number().int().positive().default(50_000).describe('Pause consumption while this many events wait to be processed.'),
    /** Consumer group session timeout: a member silent this long is dropped and its partitions move to the others. */
    session_timeout: duration
      .default(10_000)
      .refine((ms) => ms >= 1_000, { message: 'expected at least 1s' })
      .describe('Consumer group session timeout: a member silent this long is dropped and its partitions move to the others.'),
    /** Restarts of a crashed consumer: backoff doubles from `initial_backoff` up to `max_backoff`; after more than `max_attempts` crashes in a row without joining the group (every restart it allows crashed again), readiness turns false and the process exits 1. */
    restart: z
      .object({
        max_attempts: z.number().int().nonnegative().default(8),
        initial_backoff: duration.default(1_000),
        max_backoff: duration.default(30_000),
      })
      .strict()
      .default({ max_attempts: 8, initial_backoff: 1_000, max_backoff: 30_000 })
      .describe('Restarts of a crashed consumer: backoff doubles from `initial_backoff` up to `max_backoff`; after more than `max_attempts` crashes in a row without joining the group (every restart it allows crashed again), readiness turns false and the process exits 1.'),
  })
  .strict();

const OtlpAttributesSchema = z
  .object({
    route: z.array(z.string()).default(['promptpilot.route', 'gen_ai.prompt.name', 'langfuse.observation.prompt.name', 'langfuse.prompt.name', 'traceloop.entity.name']),
    variant: z.array(z.string()).default(['promptpilot.variant', 'gen_ai.prompt.version', 'langfuse.observation.prompt.version', 'langfuse.prompt.version', 'llm.prompt_template.version', 'traceloop.prompt.version']),
    pattern: z.array(z.string()).default(['promptpilot.pattern']),
    quality: z.array(z.string()).default(['promptpilot.quality']),
    correct: z.array(z.string()).default(['promptpilot.correct']),
    consistent: z.array(z.string()).default(['promptpilot.consistent']),
    satisfaction: z.array(z.string()).default(['promptpilot.satisfaction']),
    cost_usd: z.array(z.string()).default(['promptpilot.cost_usd', 'llm.cost.total', 'gen_ai.usage.cost']),
    input_tokens: z.array(z.string()).default(['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt']),
    output_tokens: z.array(z.string()).default(['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion']),
    model: z.array(z.string()).default(['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name']),
    experiment: z.array(z.string()).default(['promptpilot.experiment']),
    arm: z.array(z.string()).default(['promptpilot.arm']),
    unit: z.array(z.string()).default(['promptpilot.unit']),
    tier: z.array(z.string()).default(['promptpilot.tier']),
  })
  .strict();

/** The HTTP server: address, body size, slow-client timeouts, connection and load-shedding limits. */
const ServerSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(4318),
    /**
     * Bind address. Unset: 127.0.0.1 (a sidecar serves the pod/host it runs on), or 0.0.0.0 with
     * `kafka.role: gateway`. Set `0.0.0.0` (or `::`) to take traffic from other hosts.
     */
    host: z.string().min(1).optional().describe('Bind address. Unset: 127.0.0.1 (a sidecar serves the pod/host it runs on), or 0.0.0.0 with `kafka.role: gateway`. Set `0.0.0.0` (or `::`) to take traffic from other hosts.'),
    /** Largest request body, compressed or decompressed (413 past it). */
    body_limit_bytes: z.number().int().positive().default(16 * 1024 * 1024).describe('Largest request body, compressed or decompressed (413 past it).'),
    /** Bearer token for mutating endpoints; unset means they are refused. */
    api_token: z.string().min(1).optional().describe('Bearer token for mutating endpoints; unset means they are refused.'),
    protect_templates: z.boolean().default(false).describe('Reads that can show prompt templates (`/v1/assign`, `/v1/experiments`, `/v1/routes/{route}/variants`, `/v1/decisions`, `/v1/outbox/dead-letters`) need the bearer token too; `/v1/routes` and `/v1/routes/{route}` stay open and leave the running candidate\'s template out of their `experiment`; the dashboard then shows routes only.'),
    /** The whole request (headers and body) must arrive within this; a client trickling a body is cut off (408). */
    request_timeout: duration.default(30_000).describe('The whole request (headers and body) must arrive within this; a client trickling a body is cut off (408).'),
    /** The request headers must arrive within this (slowloris). */
    headers_timeout: duration.default(10_000).describe('The request headers must arrive within this (slowloris).'),
    /**
     * A connection with no bytes moving either way for this long is closed; 0: never for idleness. Must be longer than
     * keep_alive_timeout, so the two never race (checked).
     */
    idle_timeout: duration.default(120_000).describe('A connection with no bytes moving either way for this long is closed; 0: never for idleness. Must be longer than `keep_alive_timeout` (a config error otherwise): a shorter one cuts connections the server still keeps alive, racing clients\' next requests into ECONNRESET.'),
    /**
     * An idle keep-alive connection is closed after this. Longer than clients keep idle sockets (undici 4 s, load
     * balancers 60 s): a server that closes first races the client's next request into ECONNRESET.
     */
    keep_alive_timeout: duration.default(72_000).describe('An idle keep-alive connection is closed after this. Longer than clients keep idle sockets (undici 4 s, load balancers 60 s): a server that closes first races the client\'s next request into ECONNRESET.'),
    /** Requests served on one keep-alive connection before it is closed (0 = no limit). */
    max_requests_per_socket: z.number().int().nonnegative().default(1_000).describe('Requests served on one keep-alive connection before it is closed (0 = no limit).'),
    /**
     * Open client connections served normally. Unset: the process's open-file limit minus 256
     * descriptors for files, Kafka and Redis and minus `probe_connections`, at most 10,000.
     */
    max_connections: z.number().int().positive().optional().describe('Open client connections served normally. Unset: the open-file limit minus 256 descriptors (files, Kafka, Redis) minus `probe_connections`, at most 10,000 and at least 16 (1,024 where the limit cannot be read).'),
    /** Connections allowed past `max_connections` that only /healthz, /readyz and /metrics may use; others get 503. */
    probe_connections: z.number().int().nonnegative().default(64).describe('Connections allowed past `max_connections` that only /healthz, /readyz and /metrics may use; others get 503.'),
    /**
     * A second port, on `server.host`, answering only `GET /healthz` and `GET /readyz` from a worker thread, so probes
     * never wait behind ingest on the main event loop. Unset: probes are served on `server.port` only. 0 picks a free port.
     */
    probe_port: z.number().int().min(0).max(65_535).optional().describe('A second port, on `server.host`, answering only `GET /healthz` and `GET /readyz` from a worker thread, so probes never wait behind ingest on the main event loop (point kubelet probes at it). Unset: probes are served on `server.port` only. 0 picks a free port; any other must differ from `server.port`.'),
    /** On the probe port, both probes answer 503 `stalled` once the main event loop has not run for this long. */
    probe_stall: duration.default(10_000).describe('On the probe port, both probes answer 503 `stalled` once the daemon\'s main event loop has not run for this long (a hung daemon fails its liveness probe; a busy one does not).'),
    /** Ingest requests (events, OTLP) being read or processed at once; more are shed with 503 and Retry-After. */
    max_in_flight_requests: z.number().int().positive().default(64).describe('Ingest requests (events, OTLP) being read or processed at once; more are shed with 503 and Retry-After.'),
    /** Declared body bytes of ingest requests in flight at once; more are shed with 503 and Retry-After. */
    max_in_flight_bytes: z.number().int().positive().default(64 * 1024 * 1024).describe('Declared body bytes of ingest requests in flight at once; more are shed with 503 and Retry-After.'),
    /** Ingest is shed while the event loop runs later than this, so probes and reads stay prompt (0 = off). */
    max_event_loop_delay: duration.default(500).describe('Ingest is shed while the event loop runs later than this, so probes and reads stay prompt (0 = off).'),
    /** The `Retry-After` a shed request is given. */
    retry_after: duration.default(1_000).describe('The `Retry-After` a shed request is given.'),
  })
  .strict()
  // Equal ports were taken, and the daemon then failed at start with "port N is already in use: stop the other process".
  .superRefine((server, ctx) => {
    if (server.probe_port !== undefined && server.probe_port !== 0 && server.probe_port === server.port) {
      ctx.addIssue({ code: 'custom', path: ['probe_port'], message: `must differ from server.port (both are ${server.port}): it is a second port for the probes` });
    }
    // It was documented as "not checked": a shorter one cut kept-alive connections, and clients reusing them got ECONNRESET.
    if (server.idle_timeout !== 0 && server.idle_timeout <= server.keep_alive_timeout) {
      ctx.addIssue({
        code: 'custom',
        path: ['idle_timeout'],
        message: `must be greater than server.keep_alive_timeout (${formatDurationMs(server.keep_alive_timeout)}) or 0 (none), got ${formatDurationMs(server.idle_timeout)}`,
      });
    }
  });

/** Cardinality and memory bounds: a client sending random names cannot grow the daemon without bound. */
const LimitsSchema = z
  .object({
    /** Distinct routes with live statistics; events for further new routes are rejected (cardinality guard). */
    max_routes: z.number().int().positive().default(10_000).describe('Distinct routes with live statistics; events for further new routes are rejected (cardinality guard).'),
    /** Distinct variants per route; events for further new variants are rejected. */
    max_variants_per_route: z.number().int().positive().default(100).describe('Distinct variants per route; events for further new variants are rejected.'),
    /** Live (route, variant) series across all routes: the global cap. The memory budget usually binds first (about 6,800 series at the defaults). */
    max_series: z.number().int().positive().default(100_000).describe('Live (route, variant) series across all routes: the global cap. The memory budget admits fewer at the defaults (about 6,800 series with full windows in 768 MiB); docs/reliability.md.'),
    /**
     * A new series is on probation until it has this many events: at a cap the oldest probationary
     * series is evicted for a new one, so a burst of junk names cannot lock real routes out.
     */
    probation_events: z.number().int().nonnegative().default(10).describe('A new series is on probation until it has this many events: at a cap the oldest probationary series is evicted for a new one, so a burst of junk names cannot lock real routes out (0 = no eviction).'),
    /**
     * Memory the daemon is sized to. New series are admitted while every live series, counted with a full window
     * (about 85 KB at the default time settings), fits it beside a 160 MiB reserve and the history's entry cap, and
     * while resident memory stays under 90 % of it; `promptpilot run` also derives V8's heap limit from it (5/8).
     */
    memory_budget_bytes: z
      .number()
      .int()
      .positive()
      .default(768 * 1024 * 1024)
      .describe(
        'Memory the daemon is sized to. A new series is admitted only while the live series, each counted with a full window (about 85 KB of resident memory at the default time settings), fit in it beside a 160 MiB reserve for the process and `monitoring.history.max_entries` × 480 bytes: the default admits about 6,800 series; past that, new series are refused (reason `route_limit`, `/readyz` degraded) and only a probationary series idle for a bucket gives way. Past 90 % of it in resident memory, a new series only takes an evicted one\'s place. `promptpilot run` gives V8 a heap limit of 5/8 of it unless NODE_OPTIONS sets `--max-old-space-size`.',
      ),
    /**
     * Events (and OTLP histogram data points) accepted into the pipeline and waiting for the engine; past it
     * ingest is refused as overloaded (HTTP/OTLP 503 with Retry-After, Kafka pauses) instead of queueing without bound.
     */
    max_queued_events: z.number().int().positive().default(100_000).describe('Events (and OTLP histogram data points) waiting for the engine; past it ingest is refused as overloaded (HTTP/OTLP 503 with Retry-After, Kafka pauses) instead of queueing without bound.'),
  })
  .strict();

/** The whole configuration. `config/default.yaml` spells out these defaults. */
export const ConfigSchema = z
  .object({
    server: ServerSchema.default(() => ServerSchema.parse({})),
    time: z
      .object({
        /** Width of one statistics bucket; windows are built from these. */
        bucket: duration.default(10_000).describe('Width of one statistics bucket; windows are built from these.'),
        /** Rolling window over which route statistics are computed. */
        window: duration.default(300_000).describe('Rolling window over which route statistics are computed.'),
        /** How long a bucket stays open after its end before the detectors evaluate it. */
        allowed_lateness: duration
          .default(30_000)
          .describe(
            "Default 30 s. How long after a bucket's end the detectors wait before they evaluate it, so events arriving that much out of order are in the bucket's first evaluation. Later events still count (see max_lateness), from the next evaluation on. A longer wait delays every alert by as much.",
          ),
        /** Events further behind their route's watermark than this are rejected as too late. */
        max_lateness: duration
          .default(300_000)
          .describe(
            "Events more than this behind their route's watermark (its newest event time) are rejected as too_late; so are events older than the rolling window. Default 5 min: OTLP exporters send batches concurrently and retry failed ones with backoff for tens of seconds (SDK exporters) up to 5 min (the OpenTelemetry Collector's retry_on_failure.max_elapsed_time is 300 s), and such a retry must still count. Never below allowed_lateness.",
          ),
        /** Events dated further ahead of the wall clock are rejected. */
        max_future_skew: duration.default(300_000).describe('Events dated further ahead of the wall clock are rejected.'),
        /** Wall-clock period at which idle routes' watermarks advance. */
        idle_tick: duration.default(1_000).describe('Wall-clock period at which idle routes\' watermarks advance.'),
      })
      .strict()
      .default({ bucket: 10_000, window: 300_000, allowed_lateness: 30_000, max_lateness: 300_000, max_future_skew: 300_000, idle_tick: 1_000 })
      .refine((t) => t.window >= t.bucket && t.window % t.bucket === 0, {
        message: 'window must be a whole multiple of bucket',
        path: ['window'],
      }),
    targets: TargetsSchema.default(TargetsSchema.parse({})),
    routes: z.record(z.string().min(1).max(200), RouteSchema).default({}),
    rules: z
      .array(z.looseObject({ name: z.string() }))
      .default([])
      .transform((entries, ctx) => {
        const { rules, issues } = mergeRulesByName(DEFAULT_RULES, entries);
        report(ctx, issues);
        const out: Rule[] = [];
        for (const merged of rules) {
          const index = entries.findIndex((e) => e.name === merged.name);
          const missing = (['metric', 'op', 'threshold'] as const).filter((key) => merged[key] === undefined);
          if (missing.length > 0) {
            report(ctx, [{ path: [index], message: `'${merged.name}' is not a default rule, so it needs ${missing.join(', ')} (a new rule names metric, op and threshold)` }]);
            continue;
          }
          const parsed = RuleSchema.safeParse(merged);
          if (parsed.success) out.push(parsed.data);
          else report(ctx, parsed.error.issues.map((issue) => plainIssue(issue, index >= 0 ? [index] : [])));
        }
        return out;
      })
      .describe('Merged with the default rules by name: an entry named like a default rule replaces the keys it sets, `enabled: false` switches it off, a new name adds a rule.'),
    baseline: z
      .object({
        /** Half-life of the exponentially weighted baseline for baseline-relative rules. */
        half_life: duration.default(3_600_000).describe('Half-life of the exponentially weighted baseline for baseline-relative rules.'),
        /** Samples the baseline must have seen before baseline-relative rules may fire. */
        min_samples: z.number().int().nonnegative().default(500).describe('Samples the baseline must have seen before baseline-relative rules may fire.'),
      })
      .strict()
      .default({ half_life: 3_600_000, min_samples: 500 }),
    actions: z
      .object({
        /** After an action is planned on a route, no new action on that route for this long (the experiment it starts is not held). */
        cooldown: duration
          .default(1_800_000)
          .describe('After an action is planned on a route, no new action on that route for this long, whichever rule asks (the experiment the action starts is not held by it). A route has one cooldown: an experiment that ends starts `abtest.cooldown` instead; whichever ends later holds. Event time.'),
        pattern_ladder: z.array(z.enum(PATTERNS)).min(2).default([...PATTERNS]),
        budget_tiers: z
          .record(z.string(), TierSchema)
          .default({})
          .transform((own): Record<string, z.output<typeof TierSchema>> => ({ ...DEFAULT_TIERS, ...own }))
          .describe('Merged with the built-in tiers (economy, standard, premium, research) by name.'),
        default_tier: z.string().default('standard'),
        /** Prompt compression for token_optimization candidates. */
        compression: z
          .object({
            /** Abbreviation library entries (full phrase → short form) added to the built-in one; an entry applies only where the tokenizer counts the short form as fewer tokens. */
            abbreviations: z
              .record(z.string().min(1).max(200), z.string().max(200))
              .default({})
              .describe('Abbreviation library entries (full phrase → short form) added to the built-in one; an entry applies only where the tokenizer counts the short form as fewer tokens.'),
          })
          .strict()
          .default({ abbreviations: {} })
          .describe('Prompt compression for token_optimization candidates.'),
      })
      .strict()
      .default({
        cooldown: 1_800_000,
        pattern_ladder: [...PATTERNS],
        budget_tiers: {
          economy: { max_tokens: 500, pattern: 'zero_shot' },
          standard: { max_tokens: 1500, pattern: 'few_shot' },
          premium: { max_tokens: 4000, pattern: 'chain_of_thought' },
          research: { max_tokens: 8000, pattern: 'tree_of_thought' },
        },
        default_tier: 'standard',
        compression: { abbreviations: {} },
      }),
    /** USD per million tokens by model, used when an event has no cost_usd. */
    prices: z
      .record(z.string(), PriceSchema)
      .default({})
      .transform((own): Record<string, z.output<typeof PriceSchema>> => ({ ...DEFAULT_PRICES, ...own }))
      .describe('USD per million tokens by model, used when an event has no cost_usd. Merged with the built-in table by model name.'),
    abtest: AbTestSchema.default(() => AbTestSchema.parse({})),
    kafka: KafkaSchema.default(() => KafkaSchema.parse({})),
    redis: RedisSchema.default(() => RedisSchema.parse({})),
    otlp: z
      .object({
        /** Attribute names tried in order for each event field; first present wins. */
        attributes: OtlpAttributesSchema.default(() => OtlpAttributesSchema.parse({})).describe('Attribute names tried in order for each event field; first present wins.'),
      })
      .strict()
      .default(() => ({ attributes: OtlpAttributesSchema.parse({}) })),
    simulator: z
      .object({
        enabled: z.boolean().default(false),
        seed: z.number().int().default(42),
        /** Event-time milliseconds that pass per wall-clock millisecond. */
        speedup: positive.default(10).describe('Event-time milliseconds that pass per wall-clock millisecond.'),
        /** Where simulated event time starts, relative to the wall clock at start (negative = past). */
        start_offset: z.string().default('-6h').describe('Where simulated event time starts, relative to the wall clock at start (negative = past).'),
        routes: z.array(SimulatedRouteSchema).default([]),
        degradations: z.array(DegradationSchema).default([]),
      })
      .strict()
      .default({ enabled: false, seed: 42, speedup: 10, start_offset: '-6h', routes: [], degradations: [] }),
    limits: LimitsSchema.default(() => LimitsSchema.parse({})),
    telemetry: TelemetrySchema.default(() => TelemetrySchema.parse({})),
    notify: NotifySchema.default(() => NotifySchema.parse({})).describe('Alert receivers: webhooks, Slack, Alertmanager (docs/operations.md, Alerts).'),
    monitoring: MonitoringSchema.default(() => MonitoringSchema.parse({})),
    budgets: BudgetsSchema.default(() => BudgetsSchema.parse({})),
    log: z
      .object({
        level: z.enum(LOG_LEVELS).default('info'),
        format: z
          .enum(['auto', 'json', 'pretty'])
          .default('auto')
          .describe('auto: one plain line per event on a terminal, JSON lines otherwise (files, pipes, log collectors); json or pretty force one.'),
      })
      .strict()
      .default({ level: 'info', format: 'auto' }),
  })
  .strict()
  .transform((config, ctx) => {
    const problems = crossCheck(config);
    const { byRoute, issues } = resolveRouteRules(config);
    const policies = resolveRoutePolicies(config.abtest, config.routes);
    report(ctx, [...problems, ...issues, ...policies.issues]);
    // Maps looked up by names from traffic and the API have no prototype: `routes['constructor']` is no route (core/records.ts).
    const routes = bareRecord<RouteSettings>();
    for (const [name, route] of Object.entries(config.routes)) routes[name] = { ...route, rules: ownEntry(byRoute, name) ?? bareRecord(), abtest: ownEntry(policies.byRoute, name) ?? config.abtest };
    const { response_time } = config.budgets;
    return {
      ...config,
      routes,
      prices: bareRecord(config.prices),
      actions: { ...config.actions, budget_tiers: bareRecord(config.actions.budget_tiers) },
      budgets: { ...config.budgets, response_time: { ...response_time, allocation: bareRecord(response_time.allocation) } },
    };
  });

/** The validated, defaulted configuration. */
export type Config = z.output<typeof ConfigSchema>;
/** A route's settings with its rule overrides resolved into whole rules and its `abtest` override into a whole policy. */
type RouteSettings = Omit<z.output<typeof RouteSchema>, 'rules' | 'abtest'> & { readonly rules: Readonly<Record<string, Rule>>; readonly abtest: AbTestConfig };
export type RouteConfig = RouteSettings;
export type VariantConfig = z.output<typeof VariantSchema>;
export type AbTestConfig = z.output<typeof AbTestSchema>;

/**
 * Each route's experiment policy: `routes.<route>.abtest` merged over the
 * global `abtest` (keys it sets replace the global ones; `gates` and
 * `rollback` key by key), validated like `abtest`.
 */
function resolveRoutePolicies(global: AbTestConfig, routes: Readonly<Record<string, { readonly abtest?: Readonly<Record<string, unknown>> | undefined }>>): { byRoute: Record<string, AbTestConfig>; issues: MergeIssue[] } {
  const byRoute: Record<string, AbTestConfig> = {};
  const issues: MergeIssue[] = [];
  const nested = (value: unknown, base: object): unknown => (value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...base, ...value } : value ?? base);
  for (const [route, settings] of Object.entries(routes)) {
    const patch = settings.abtest;
    if (patch === undefined) continue;
    const parsed = AbTestSchema.safeParse({ ...global, ...patch, gates: nested(patch['gates'], global.gates), rollback: nested(patch['rollback'], global.rollback) });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push(plainIssue(issue, ['routes', route, 'abtest']));
      continue;
    }
    parsed.data.ramp.forEach((share, i) => {
      const before = parsed.data.ramp[i - 1];
      if (before !== undefined && !(share > before)) issues.push({ path: ['routes', route, 'abtest', 'ramp', i], message: `ramp shares must increase step by step (${share} comes after ${before})` });
    });
    byRoute[route] = parsed.data;
  }
  return { byRoute, issues };
}

/** The experiment policy in force on a route: its `routes.<route>.abtest` merged over `abtest`. */
export function abtestFor(config: Config, route: string): AbTestConfig {
  return config.routes[route]?.abtest ?? config.abtest;
}

/** The targets in force for a route: the global targets with the route's overrides on top. */
export function targetsFor(config: Config, route: string): Targets {
  const overrides = config.routes[route]?.targets;
  if (!overrides) return config.targets;
  const merged: Targets = { ...config.targets };
  for (const key of TARGET_KEYS) {
    const value = overrides[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * The rules in force on a route: the config's rules with that route's
 * `routes.<route>.rules` settings applied (disabled ones included; callers
 * filter on `enabled`). The same array as `config.rules` for a route without
 * settings.
 */
export function rulesFor(config: Config, route: string): readonly Rule[] {
  const own = config.routes[route]?.rules;
  if (own === undefined || Object.keys(own).length === 0) return config.rules;
  return config.rules.map((rule) => own[rule.name] ?? rule);
}
