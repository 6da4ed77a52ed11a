import type { FastifyInstance } from 'fastify';
import { getHeapStatistics } from 'node:v8';
import { asyncScheduler, Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { describeError, PromptpilotError, TransientIoError } from './core/errors.js';
import { KafkaDecisionSink, KafkaEventForwarder, KafkaEventSource, kafkaErrorFields } from './adapters/kafka/index.js';
import { createOtlpTraceDecoder } from './codecs/index.js';
import { registerOtlpRoutes } from './adapters/http/otlpRoutes.js';
import type { Config } from './config/schema.js';
import type { ConfigRecord, DecisionRecord, GapRecord } from './core/decision.js';
import { MemoryDecisionLog } from './adapters/memory/memoryDecisionLog.js';
import { MemoryOutbox } from './adapters/memory/memoryOutbox.js';
import { openDurableState } from './runtime/durableState.js';
import { openDurableHistory } from './runtime/durableHistory.js';
import { admissionFor, buildHttpServer, listenBacklogFor, readinessAnswer, type Readiness, type RoutePlugin } from './adapters/http/server.js';
import { startProbePort, type ProbePort } from './adapters/http/probePort.js';
import { controlRoutes } from './adapters/http/controlRoutes.js';
import { PipelineEngine } from './engine/engine.js';
import { describeSeriesCapacity } from './engine/seriesMemory.js';
import { RouteQuery } from './app/routeQuery.js';
import { DecisionHistory } from './app/decisionHistory.js';
import { DeliveryQuery } from './app/deliveryQuery.js';
import { StatsSeries, type StatsSeriesOptions } from './windows/statsSeries.js';
import { idleTicks } from './streams/idleTicks.js';
import { ingestBatches } from './streams/ingestBatches.js';
import { type Clock, type DecisionLog, type DecisionSink, type EventForwarder, type EventSource, type Ingestor, type Outbox, type SourceHealth } from './ports/ports.js';
import { createLogger, type Logger } from './runtime/logger.js';
import { PIPELINE_SLICE_MS, PipelineRunner } from './runtime/pipelineRunner.js';
import { OutboxRelay } from './runtime/outboxRelay.js';
import { AlertNotifier } from './runtime/alertNotifier.js';
import { ConfigReloader } from './runtime/configReloader.js';
import { loadConfig } from './config/load.js';
import { sendToReceiver } from './adapters/notify/receiverClient.js';
import { decisionDeliverer, enqueueDecisions, type NamedDecisionSink } from './runtime/decisionOutbox.js';
import { describeDecision } from './notify/describeDecision.js';
import { bindHost, urlHost } from './runtime/bindHost.js';
import { LoopLag } from './runtime/loopLag.js';
import { sampledRss } from './runtime/residentMemory.js';
import { systemClock } from './runtime/systemClock.js';
import { listenError } from './runtime/listenError.js';
import { redactAddress, SecretRedactor, secretsOf } from './runtime/secrets.js';
import { startSimulation } from './runtime/simulationDriver.js';
import { IngestService } from './app/ingestService.js';
import { ExperimentService } from './app/experimentService.js';
import { VariantService } from './app/variantService.js';
import { startSelfTelemetry, type IngestRecorder } from './telemetry/index.js';

/**
 * The dashboard's time series: the newest hour of 10 s boundaries per (route,
 * variant), for the 100 most recently active routes (≈ 40 kB per route and variant).
 */
export const LIVE_SERIES: StatsSeriesOptions = { maxPoints: 360, maxRoutes: 100, mode: 'sliding' };

/** Share of `limits.memory_budget_bytes` past which resident memory counts as close to it. */
export const MEMORY_TIGHT_SHARE = 0.9;

/** Injection points for tests and embedding. */
export interface DaemonOptions {
  readonly clock?: Clock;
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  readonly decisionLog?: DecisionLog;
  /** Extra decision sinks; their outbox destinations are `sink:0`, `sink:1`, … in this order. */
  readonly sinks?: readonly DecisionSink[];
  /** Where decisions wait for their sinks and alerts for their receivers (default: Redis with `redis.url`, else a {@link MemoryOutbox}). */
  readonly outbox?: Outbox;
  readonly plugins?: readonly RoutePlugin[];
  /** Event-loop lag source for load shedding, ms (default: a {@link LoopLag} timer). */
  readonly loopLagMs?: () => number;
  /** The config file the daemon runs on: watched, and read again on {@link Daemon.reload} (SIGHUP). */
  readonly configFile?: string;
  /** How a reload reads the config (default: {@link loadConfig} with the process environment's overrides). */
  readonly loadConfig?: (file: string | undefined) => Promise<Config>;
  /**
   * What scrubs secrets from `logger`'s lines; a reload teaches it the new
   * config's secrets before that config runs. Give the one `logger` was made
   * with (default: a new one, used for the logger the daemon makes itself).
   */
  readonly redactor?: SecretRedactor;
}

/** A running daemon. */
export interface Daemon {
  readonly url: string;
  readonly port: number;
  /** The probe port's URL (`server.probe_port`), or undefined when probes are served on the main port only. */
  readonly probeUrl: string | undefined;
  readonly engine: PipelineEngine;
  readonly decisions: DecisionLog;
  /** Decisions (and later notifications) waiting for delivery. */
  readonly outbox: Outbox;
  readonly ingestor: Ingestor;
  readonly http: FastifyInstance;
  /**
   * Settles when the daemon cannot go on (its Kafka consumer crashed and could
   * not be restarted, or the pipeline stopped on an internal error); readiness is already false then. Never settles otherwise.
   * `promptpilot run` stops and exits 1 on it, so the process supervisor restarts it.
   */
  readonly failure: Promise<PromptpilotError>;
  /**
   * Reads and validates the config again (SIGHUP): applies it between two
   * pipeline steps, or refuses it and keeps the running one. Either way the
   * outcome is a `config` decision record (logged, and alerted to receivers
   * that match it), which this resolves with. `trigger` says why (`SIGHUP`).
   */
  reload(trigger: string): Promise<ConfigRecord>;
  /** Stops intake, drains the pipeline, closes every adapter. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The composition root: wires the pure engine to its adapters (HTTP, memory
 * log, simulator; Kafka and OTLP when configured) and owns every subscription.
 */
export async function startDaemon(config: Config, options: DaemonOptions = {}): Promise<Daemon> {
  const clock = options.clock ?? systemClock;
  const scheduler = options.scheduler ?? asyncScheduler;
  const redactor = options.redactor ?? new SecretRedactor(secretsOf(config));
  const log = options.logger ?? createLogger(config, process.stdout, redactor);
  const series = new StatsSeries(LIVE_SERIES);
  // Redis: the long-horizon history (hourly rollups) is loaded before the engine reads it.
  const history = config.redis.url !== undefined ? await openDurableHistory(config, log) : null;
  const engine = new PipelineEngine(config, { onEvaluated: (stats) => series.record(stats), ...(history !== null ? { history: history.store } : {}) });
  const routeQuery = new RouteQuery(engine, series);
  // A gap record (decisions or alerts lost while Redis was away) is alerted like a decision, by the notifier made below.
  let alertGap = async (_record: GapRecord): Promise<void> => {};
  // Held events a takeover refused are counted as rejected, by the instruments made below.
  let takeoverRefused = (_events: number): void => {};
  // Redis: load the stored routes (experiments, promotions) before anything can decide; unreachable → no start.
  const durableOptions = {
    onGap: (record: GapRecord) => alertGap(record),
    onTakeoverRefused: (events: number) => takeoverRefused(events),
    ...(history !== null ? { loadHistory: (route: string) => history.loadRoute(route), rewriteHistory: (routes: readonly string[]) => history.rewriteRoutes(routes) } : {}),
  };
  const durable = config.redis.url !== undefined ? await openDurableState(config, engine, log, durableOptions).catch(async (err: unknown) => {
    await history?.close();
    throw err;
  }) : null;
  const decisions = options.decisionLog ?? durable?.decisions ?? new MemoryDecisionLog();
  const decisionLog = log.child({ component: 'decisions' });
  const kafkaOn = config.kafka.brokers.length > 0;
  const gateway = kafkaOn && config.kafka.role === 'gateway';
  // The Kafka adapters tag their own lines with component "kafka"; they get the root logger.
  const kafkaLog = log.child({ component: 'kafka' });
  const sinks: NamedDecisionSink[] = (options.sinks ?? []).map((sink, i) => ({ destination: `sink:${i}`, sink }));
  if (kafkaOn && !gateway) sinks.push({ destination: `kafka:${config.kafka.topics.decisions}`, sink: new KafkaDecisionSink(config.kafka, { logger: log }) });
  // With Redis the outbox is durable and shared by every instance: alerts pending for a receiver that is down survive a restart.
  const outbox = options.outbox ?? durable?.outbox ?? new MemoryOutbox();
  // Sinks leave the critical path: the runner enqueues, the relay delivers with retries.
  // What a relay delivers makes room in the outbox: a step waiting for room retries at once (set once the runner exists).
  let outboxHasRoom = (): void => {};
  // The pipeline queue drained: a Kafka batch it refused retries at once (ingestBatches' retryNow$).
  const queueDrained$ = new Subject<void>();
  const relay = new OutboxRelay(outbox, new Map(sinks.map(({ destination, sink }) => [destination, decisionDeliverer(sink)])), {
    clock,
    onReleased: () => outboxHasRoom(),
    onFailure: ({ destination, error, items, retryAtMs }) => {
      // Kafka away is expected: its message, not a stack trace (the client logged each attempt already).
      const why = kafkaErrorFields(error);
      if (retryAtMs === null) decisionLog.error({ ...why, destination, messages: items.length }, 'delivering decisions failed for good; dead-lettered in the outbox (they stay in the decision log)');
      else decisionLog.warn({ ...why, destination, messages: items.length, retryAt: new Date(retryAtMs).toISOString() }, 'delivering decisions failed; will retry (they stay in the decision log)');
    },
  }).start();
  // Alerts wait in the same outbox, under notify:<receiver>, with a relay of their own (receiver retry policy).
  const notifier = new AlertNotifier(config.notify, outbox, {
    clock,
    send: sendToReceiver,
    logger: log.child({ component: 'notify' }),
    onReleased: () => outboxHasRoom(),
    sharedOutbox: options.outbox === undefined && durable !== null,
  }).start();
  alertGap = (record) => notifier.notify([{ record }]);
  const forwarder: EventForwarder | null = gateway ? new KafkaEventForwarder(config.kafka, { logger: log }) : null;
  let kafkaLag: KafkaEventSource | null = null;
  let source: EventSource | null = null;
  const loopLag = options.loopLagMs === undefined ? new LoopLag().start() : null;
  const admission = admissionFor(config, options.loopLagMs ?? (() => loopLag?.currentMs() ?? 0), () => runner.full);
  const telemetry = startSelfTelemetry(
    config.telemetry,
    {
      gauges: {
        routes: () => engine.stateSizes().routes,
        inFlight: () => runner.inFlight,
        queuedEvents: () => runner.queued,
        outboxDepth: () => outbox.depth(),
        experimentStatuses: () => engine.experiments.list().map((e) => e.status),
        stateSizes: () => engine.stateSizes(),
        lateEvents: () => engine.counters.late,
        kafkaLag: () => kafkaLag?.consumerLag() ?? [],
        http: () => admission.stats(),
        series: () => ({ ...engine.seriesSizes(), evicted: engine.counters.evicted, capacity: engine.memoryAdmission().capacity }),
        ...(durable !== null ? { durableState: () => durable.status() } : {}),
      },
      routes: engine,
    },
    { nowMs: () => clock.now(), logger: log.child({ component: 'telemetry' }) },
  );
  const recorder: IngestRecorder = telemetry.instruments;
  takeoverRefused = (events) => telemetry.instruments.takeoverRefused(events);
  const runner = new PipelineRunner(engine, decisions, {
    afterLog: async (logged) => {
      await enqueueDecisions(outbox, sinks, () => clock.now())(logged);
      await notifier.notify(logged);
      relay.kick();
    },
    onDecisions: (records, stepStartedAtMs) => {
      // One span per decision, from the engine step that produced it until it was durable.
      telemetry.onDecisions(records, stepStartedAtMs);
      for (const record of records) decisionLog.info({ decision: record }, describeDecision(record));
    },
    onStoreFailure: (err, attempt) => decisionLog.warn({ err, attempt }, 'recording decisions failed; retrying'),
    maxQueuedEvents: config.limits.max_queued_events,
    // The Kafka source stops fetching while the queue is full (HTTP and OTLP answer 503 meanwhile).
    onSaturation: (full) => {
      if (!full) queueDrained$.next();
      if (source === null) return;
      source.setPaused(full);
      kafkaLog.info({ paused: full }, full ? 'pipeline queue full: Kafka consumer paused' : 'pipeline queue drained: Kafka consumer resumed');
    },
    onFatal: (err) => {
      log.error({ err }, 'pipeline failed; not ready, stopping');
      reportFailure(err);
    },
    ...(durable !== null ? { hooks: durable.hooks } : {}),
    sliceMs: PIPELINE_SLICE_MS,
  });
  outboxHasRoom = () => runner.retryNow();
  let ready = false;
  let sourceHealth: SourceHealth | null = null;
  let reportFailure: (err: PromptpilotError) => void = () => {};
  const failure = new Promise<PromptpilotError>((resolve) => {
    reportFailure = resolve;
  });
  const readiness = (): Readiness => {
    if (!ready) return { ready: false, reason: 'starting' };
    if (runner.failed !== null) return { ready: false, reason: runner.failed.message };
    if (sourceHealth !== null && sourceHealth.state !== 'consuming') {
      return { ready: false, reason: `kafka consumer ${sourceHealth.state}${sourceHealth.reason === undefined ? '' : `: ${sourceHealth.reason}`}` };
    }
    const degraded = durable?.degraded() ?? history?.degraded() ?? memoryDegraded();
    return degraded === null ? { ready: true } : { ready: true, degraded };
  };

  const rssBytes = sampledRss();
  // Resident memory "approaches" the budget past 90 %: new series then only take an evicted one's place.
  const memoryTight = (): boolean => rssBytes() > MEMORY_TIGHT_SHARE * config.limits.memory_budget_bytes;
  const memoryDegraded = (): string | null => {
    const { capacity, series, refused } = engine.memoryAdmission();
    if (series < capacity && !memoryTight()) return null;
    const why = series >= capacity ? `${series} series fill what limits.memory_budget_bytes holds (${capacity})` : `resident memory ${Math.round(rssBytes() / 2 ** 20)} MiB is past 90 % of limits.memory_budget_bytes`;
    return `memory budget: ${why}; new series are refused (${refused} events so far), routes declared in the config still admitted`;
  };
  const ingestor = new IngestService({
    config,
    clock,
    pipeline: runner,
    forwarder,
    memoryTight,
  });

  const experimentService = new ExperimentService(engine, runner, () => clock.now());
  const http = await buildHttpServer(
    config,
    {
      ingestor,
      admission,
      decisions: new DecisionHistory(decisions),
      routes: routeQuery,
      deliveries: new DeliveryQuery(outbox, () => [...sinks.map((s) => s.destination), ...engine.config.notify.receivers.map((r) => `notify:${r.name}`)]),
      readiness,
      metricsText: () => telemetry.metricsText(),
      ingestRecorder: recorder,
    },
    [
      controlRoutes(config, { experiments: experimentService, variants: new VariantService(engine, runner) }),
      (app) => registerOtlpRoutes(app, { ingestor, config, log: log.child({ component: 'otlp' }), recorder }),
      ...(options.plugins ?? []),
    ],
    { onInternalError: (err) => log.error({ err }, 'request failed') },
  );

  const subscriptions: Subscription[] = [];
  subscriptions.push(
    idleTicks(config.time.idle_tick, scheduler).subscribe((tick) => {
      runner.submit(tick).catch((err: unknown) => log.error({ err }, 'idle tick failed'));
    }),
  );

  if (durable !== null) subscriptions.push(durable.follow(config.redis.refresh_interval, scheduler, (run) => runner.submit({ kind: 'command', run })));
  if (durable !== null) subscriptions.push(durable.checkpoints(scheduler, (run) => runner.submit({ kind: 'command', run })));

  if (config.simulator.enabled) subscriptions.push(startSimulation(config, clock, scheduler, ingestor, log, experimentService, recorder));

  let sourceSubscription: Subscription | null = null;
  if (kafkaOn && !gateway) {
    const kafkaSource = new KafkaEventSource(config.kafka, {
      logger: log,
      otlpDecoder: createOtlpTraceDecoder(config.otlp.attributes),
      // A rebalance without a crash: checkpoint the routes that moved and release them, so their new owner resumes them at once.
      ...(durable !== null ? { onRevoked: (routes: readonly string[]) => void durable.handOver(routes, (run) => runner.submit({ kind: 'command', run })) } : {}),
    });
    source = kafkaSource;
    kafkaLag = kafkaSource;
    subscriptions.push(
      kafkaSource.health$.subscribe((health) => {
        sourceHealth = health;
        if (health.state === 'recovering') kafkaLog.warn({ reason: health.reason, restarts: health.restarts }, 'not ready: Kafka consumer recovering');
        else if (health.state === 'consuming' && health.restarts > 0) kafkaLog.info({ restarts: health.restarts }, 'Kafka consumer back in its group; ready');
        else if (health.state === 'failed') {
          kafkaLog.error({ reason: health.reason }, 'Kafka consumer failed for good; not ready, stopping');
          reportFailure(new TransientIoError(`the Kafka consumer failed: ${health.reason ?? 'unknown reason'}`));
        }
      }),
    );
    // Offsets are committed only after the batch's decisions are recorded (log and outbox).
    sourceSubscription = kafkaSource.batches$
      .pipe(
        ingestBatches(
          {
            ingest: (events) => ingestor.submit(events),
            halted: () => runner.failed !== null,
            // Redis away: the batch's decisions are held in memory, so its offsets wait until they are written.
            ...(durable !== null ? { held: () => durable.held() } : {}),
            onRetry: (err, attempt) => kafkaLog.warn({ err, attempt }, 'batch failed, retrying'),
            retryNow$: queueDrained$,
          },
          scheduler,
        ),
      )
      .subscribe((result) => {
        if (result.kind === 'committed') {
          const { batch, outcome } = result;
          recorder.record('kafka', outcome.accepted, [...batch.rejected, ...outcome.errors]);
          // Refused after decoding (too late, future-dated, over a limit): dead-lettered with the reason.
          if (outcome.errors.length > 0) kafkaLog.warn({ rejected: outcome.errors.length, first: outcome.errors[0] }, 'events rejected after decoding');
        } else if (result.kind === 'skipped') kafkaLog.error({ err: result.error, events: result.batch.events.length }, 'batch failed and was skipped');
        else kafkaLog.error({ err: result.error, events: result.batch.events.length }, 'batch left uncommitted: the pipeline stopped');
      });
    try {
      await kafkaSource.start();
    } catch (cause) {
      sourceSubscription.unsubscribe();
      for (const sub of subscriptions) sub.unsubscribe();
      await http.close();
      await telemetry.shutdown();
      throw new TransientIoError(`cannot start the Kafka source (brokers ${config.kafka.brokers.map(redactAddress).join(',')}): ${describeError(cause)}`, { cause });
    }
  }

  let finalSize: number | null = null;
  /** Graceful-shutdown order: stop input, let the HTTP server finish, drain the source and the pipeline, then outputs. */
  // Hot reload: the swap is a pipeline command, so it happens between two steps and no event is dropped or split.
  const reloader = new ConfigReloader(config, {
    file: options.configFile,
    ...(durable !== null ? { instance: durable.instanceId } : {}),
    load: options.loadConfig ?? ((file) => loadConfig(file)),
    apply: async (next, record) => {
      // Before anything runs on the new config: a new webhook secret or Slack URL is never logged in clear.
      redactor.learn(next);
      await runner.submit({
        kind: 'command',
        run: (swapped) => {
          swapped.reconfigure(next);
          notifier.reconfigure(next.notify);
          log.level = next.log.level;
          return [record];
        },
      });
    },
    refuse: async (record) => {
      await runner.submit({ kind: 'command', run: () => [record] });
    },
    clock,
    logger: log.child({ component: 'config' }),
  });
  await reloader.watch();

  let probes: ProbePort | null = null;
  const teardown = async (): Promise<void> => {
    ready = false;
    await probes?.close();
    await reloader.close();
    for (const s of subscriptions) s.unsubscribe();
    await http.close();
    loopLag?.stop();
    // The source drains while its pipeline is still subscribed, so delivered batches get committed.
    if (source !== null) await source.stop();
    sourceSubscription?.unsubscribe();
    await runner.drain();
    await relay.stop();
    await notifier.close();
    // Counted before the Redis connection closes (an unreachable log: unknown).
    finalSize = await decisions.size().catch(() => null);
    await durable?.close();
    await history?.close();
    if (forwarder !== null) await forwarder.close();
    for (const { sink } of sinks) await sink.close();
    await outbox.close();
    await telemetry.shutdown();
  };

  const host = bindHost(config);
  let address: string;
  try {
    address = await http.listen({ port: config.server.port, host, backlog: listenBacklogFor(config.server) });
  } catch (cause) {
    // Without its HTTP server the daemon is no use (and a simulator left running would keep
    // deciding unseen): stop everything started so far and exit with one line.
    await teardown();
    throw listenError(cause, host, config.server.port);
  }
  const port = Number(new URL(address).port);
  const url = `http://${urlHost(host)}:${port}`;
  if (config.server.probe_port !== undefined) {
    try {
      probes = await startProbePort({
        host,
        port: config.server.probe_port,
        stallMs: config.server.probe_stall,
        maxConnections: Math.max(8, config.server.probe_connections),
        answer: () => readinessAnswer(readiness(), admission, config.server.retry_after),
        now: Date.now,
      });
    } catch (cause) {
      await teardown();
      throw listenError(cause, host, config.server.probe_port, { key: 'server.probe_port', env: 'PROMPTPILOT_PROBE_PORT' });
    }
  }
  ready = true;
  probes?.refresh();
  const probeUrl = probes === null ? undefined : `http://${urlHost(host)}:${probes.port}`;
  log.info({ url, host, ...(probeUrl !== undefined ? { probe_url: probeUrl } : {}), simulator: config.simulator.enabled, kafka: kafkaOn ? config.kafka.role : 'off' }, 'promptpilot listening');
  const memory = engine.memoryAdmission();
  const heapLimitMiB = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  // What the budget admits, said once at start: a small budget (or a long window) admitting few series is no surprise later.
  (memory.capacity < 100 ? log.warn.bind(log) : log.info.bind(log))(
    { memory_budget_bytes: config.limits.memory_budget_bytes, series_capacity: memory.capacity, series_bytes: memory.seriesBytes, heap_limit_mib: heapLimitMiB },
    `${describeSeriesCapacity(config)}; V8 heap limit ${heapLimitMiB} MiB`,
  );

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    probeUrl,
    engine,
    decisions,
    outbox,
    ingestor,
    http,
    failure,
    reload: (trigger) => reloader.reload(trigger),
    stop() {
      stopping ??= (async () => {
        await teardown();
        log.info({ decisions: finalSize }, 'promptpilot stopped');
      })();
      return stopping;
    },
  };
}

export type { DecisionRecord };
