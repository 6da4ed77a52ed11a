import type { Attributes, Counter, Meter } from '@opentelemetry/api';
import type { DecisionRecord } from '../core/decision.js';
import type { EventRejection } from '../core/event.js';
import { INGEST_SOURCES, REJECTION_REASONS, TAKEOVER_REJECTION, rejectionReason, type IngestRecorder, type IngestSource } from './ingestRecorder.js';

/** Consumer lag of one Kafka partition, in messages. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly messages: number;
}

/** What the daemon's gauges read at collection time (cheap reads only). */
export interface DaemonGaugeSources {
  /** Routes with live statistics. */
  routes(): number;
  /** Inputs accepted by the pipeline queue but not yet durable (queue depth). */
  inFlight(): number;
  /** Events (and histogram data points) waiting for the engine step (bounded by `limits.max_queued_events`). */
  queuedEvents?(): number;
  /** Messages in the outbox: waiting for (or in) delivery, and dead-lettered. */
  outboxDepth?(): Promise<{ readonly pending: number; readonly deadLettered: number }>;
  /** Every known experiment's status. */
  experimentStatuses(): Iterable<string>;
  /** Entries of the bounded per-route structures, by kind. */
  stateSizes(): Readonly<Record<string, number>>;
  /** Events (and histogram calls) that arrived after their bucket had closed and still counted, since start. */
  lateEvents(): number;
  /** Kafka consumer lag per assigned partition; empty without Kafka. */
  kafkaLag(): readonly PartitionLag[];
  /** HTTP ingest admission: requests and declared bytes in flight, requests shed by the bound they hit. */
  /** Live (route, variant) series, those on probation, and probationary series evicted since start. */
  series?(): { readonly series: number; readonly probationary: number; readonly evicted: number; readonly capacity?: number };
  http?(): { readonly inFlightRequests: number; readonly inFlightBytes: number; readonly shed: Readonly<Record<string, number>> };
  /** Redis state: decisions and route states waiting for Redis, decisions lost to buffer overflow since start. Absent without Redis. */
  durableState?(): { readonly pendingDecisions: number; readonly pendingRoutes: number; readonly droppedDecisions: number; readonly pendingOutboxMessages?: number; readonly droppedOutboxMessages?: number; readonly heldInputs?: number };
}

/** `outcome` label of a decision: trigger state, action kind (or status), experiment status. */
export function decisionOutcome(record: DecisionRecord): string {
  if (record.type === 'trigger') return record.state;
  if (record.type === 'experiment' || record.type === 'config') return record.status;
  if (record.type === 'policy') return record.action;
  if (record.type === 'trend') return record.period;
  if (record.type === 'gap') return 'gap';
  const status = (record as { status?: unknown }).status;
  return typeof status === 'string' ? status : record.kind;
}

/**
 * The daemon's own instruments, created through the OpenTelemetry API
 * (`Meter`): event counters by source and reason, decisions by type and
 * outcome, and observable gauges over the pipeline's state. The SDK behind
 * the meter decides where they go (`/metrics`, OTLP).
 */
export class DaemonInstruments implements IngestRecorder {
  private readonly accepted: Counter;
  private readonly rejected: Counter;
  private readonly skipped: Counter;
  private readonly decisionCounter: Counter;
  private readonly sourceAttributes = new Map<IngestSource, Attributes>();

  constructor(meter: Meter, sources: DaemonGaugeSources) {
    this.accepted = meter.createCounter('promptpilot_events_accepted', { description: 'Events added to route statistics, by source (otlp_metrics: histogram data points).' });
    this.rejected = meter.createCounter('promptpilot_events_rejected', { description: 'Events refused, by source and reason (malformed, schema, future_skew, too_late, route_limit, variant_limit; source held, reason takeover: held events a route takeover refused as counted already).' });
    this.skipped = meter.createCounter('promptpilot_events_skipped', { description: 'Items that are not LLM calls for a route (spans without a route, metrics not read), by source.' });
    this.decisionCounter = meter.createCounter('promptpilot_decisions', { description: 'Decision records by type and outcome.' });
    for (const source of INGEST_SOURCES) {
      const attributes = { source };
      this.sourceAttributes.set(source, attributes);
      // Every known series exists from the start (at 0), so rate() and absence checks work.
      this.accepted.add(0, attributes);
      for (const reason of REJECTION_REASONS) this.rejected.add(0, { source, reason });
    }
    this.rejected.add(0, TAKEOVER_REJECTION);

    const late = meter.createObservableCounter('promptpilot_events_late', { description: 'Events (and histogram calls) that arrived after their time bucket had closed and still counted.' });
    const routes = meter.createObservableGauge('promptpilot_routes', { description: 'Routes with live statistics.' });
    const inFlight = meter.createObservableGauge('promptpilot_pipeline_in_flight', { description: 'Inputs queued or being processed, not yet durable (queue depth).' });
    const queued = meter.createObservableGauge('promptpilot_pipeline_queued_events', { description: 'Events (and histogram data points) waiting for the engine step; ingest is refused past limits.max_queued_events.' });
    const outboxPending = meter.createObservableGauge('promptpilot_outbox_pending_messages', { description: 'Messages (decisions per sink) waiting in the outbox for delivery or being delivered.' });
    const outboxDead = meter.createObservableGauge('promptpilot_outbox_dead_letter_messages', { description: 'Messages the outbox gave up delivering (kept for inspection).' });
    const experiments = meter.createObservableGauge('promptpilot_experiments', { description: 'Experiments by status.' });
    const running = meter.createObservableGauge('promptpilot_experiments_running', { description: 'Experiments running now.' });
    const state = meter.createObservableGauge('promptpilot_state_entries', { description: 'Entries of the per-route state structures (bounded), by kind.' });
    const kafkaLag = meter.createObservableGauge('promptpilot_kafka_consumer_lag_messages', { description: 'Messages between the last delivered offset and the partition high watermark.' });
    const httpInFlight = meter.createObservableGauge('promptpilot_http_in_flight_requests', { description: 'Ingest requests admitted and not yet answered.' });
    const httpInFlightBytes = meter.createObservableGauge('promptpilot_http_in_flight_bytes', { description: 'Declared body bytes of ingest requests in flight.', unit: 'By' });
    const httpShed = meter.createObservableCounter('promptpilot_http_shed', { description: 'Requests answered 503 + Retry-After by load shedding, by the bound they hit (requests, bytes, connections, event_loop, queue).' });
    const series = meter.createObservableGauge('promptpilot_series', { description: 'Live (route, variant) series (limits.max_series).' });
    const probationary = meter.createObservableGauge('promptpilot_series_probationary', { description: 'Series with fewer than limits.probation_events events: evictable at a cap.' });
    const capacity = meter.createObservableGauge('promptpilot_series_capacity', { description: 'Series admitted at most: those limits.memory_budget_bytes holds with full windows, or limits.max_series if lower. New series past it are refused (promptpilot_events_rejected_total{reason="route_limit"}).' });
    const evicted = meter.createObservableCounter('promptpilot_series_evicted', { description: 'Probationary series evicted to admit new ones at a cap (series, routes, memory budget).' });
    const pendingDecisions = meter.createObservableGauge('promptpilot_state_pending_decisions', { description: 'Decisions held while Redis is unreachable (bounded by redis.max_pending_decisions).' });
    const pendingRoutes = meter.createObservableGauge('promptpilot_state_pending_routes', { description: 'Route states waiting to be written to Redis.' });
    const droppedDecisions = meter.createObservableCounter('promptpilot_decisions_dropped', { description: 'Decisions lost because Redis stayed unreachable past the pending buffer; a gap record in the decision log says so.' });
    const pendingOutbox = meter.createObservableGauge('promptpilot_state_pending_outbox_messages', { description: 'Outbox messages (alerts, decisions for sinks) held in memory while Redis is unreachable (bounded by redis.max_pending_outbox_messages).' });
    const droppedOutbox = meter.createObservableCounter('promptpilot_outbox_dropped_messages', { description: 'Outbox messages lost because Redis stayed unreachable past the pending buffer; a gap record in the decision log names their destinations.' });
    const heldInputs = meter.createObservableGauge('promptpilot_state_held_inputs', { description: 'Events and OTLP data points of routes another instance owns, held here and counted if this instance takes the route over (bounded: 100,000).' });
    meter.addBatchObservableCallback(
      async (result) => {
        const outbox = await sources.outboxDepth?.().catch(() => undefined);
        if (outbox !== undefined) {
          result.observe(outboxPending, outbox.pending);
          result.observe(outboxDead, outbox.deadLettered);
        }
        const queuedEvents = sources.queuedEvents?.();
        if (queuedEvents !== undefined) result.observe(queued, queuedEvents);
        const sizes = sources.series?.();
        if (sizes !== undefined) {
          result.observe(series, sizes.series);
          result.observe(probationary, sizes.probationary);
          result.observe(evicted, sizes.evicted);
          if (sizes.capacity !== undefined) result.observe(capacity, sizes.capacity);
        }
        const durable = sources.durableState?.();
        if (durable !== undefined) {
          result.observe(pendingDecisions, durable.pendingDecisions);
          result.observe(pendingRoutes, durable.pendingRoutes);
          result.observe(droppedDecisions, durable.droppedDecisions);
          if (durable.pendingOutboxMessages !== undefined) result.observe(pendingOutbox, durable.pendingOutboxMessages);
          if (durable.droppedOutboxMessages !== undefined) result.observe(droppedOutbox, durable.droppedOutboxMessages);
          if (durable.heldInputs !== undefined) result.observe(heldInputs, durable.heldInputs);
        }
        const http = sources.http?.();
        if (http !== undefined) {
          result.observe(httpInFlight, http.inFlightRequests);
          result.observe(httpInFlightBytes, http.inFlightBytes);
          for (const [reason, value] of Object.entries(http.shed)) result.observe(httpShed, value, { reason });
        }
        result.observe(late, sources.lateEvents());
        result.observe(routes, sources.routes());
        result.observe(inFlight, sources.inFlight());
        const byStatus = new Map<string, number>();
        for (const status of sources.experimentStatuses()) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
        for (const [status, count] of byStatus) result.observe(experiments, count, { status });
        result.observe(running, byStatus.get('running') ?? 0);
        for (const [kind, value] of Object.entries(sources.stateSizes())) result.observe(state, value, { kind });
        for (const lag of sources.kafkaLag()) result.observe(kafkaLag, lag.messages, { topic: lag.topic, partition: String(lag.partition) });
      },
      [late, routes, inFlight, queued, outboxPending, outboxDead, experiments, running, state, kafkaLag, httpInFlight, httpInFlightBytes, httpShed, series, probationary, capacity, evicted, pendingDecisions, pendingRoutes, droppedDecisions, pendingOutbox, droppedOutbox, heldInputs],
    );
  }

  record(source: IngestSource, accepted: number, rejections: readonly EventRejection[], skipped = 0): void {
    const attributes = this.sourceAttributes.get(source) ?? { source };
    if (accepted > 0) this.accepted.add(accepted, attributes);
    if (skipped > 0) this.skipped.add(skipped, attributes);
    if (rejections.length === 0) return;
    const byReason = new Map<string, number>();
    for (const r of rejections) {
      const reason = rejectionReason(r);
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    }
    for (const [reason, count] of byReason) this.rejected.add(count, { source, reason });
  }

  /**
   * Counts held events a route takeover refused: the previous owner's
   * checkpoint had counted them already, or they fell behind the window.
   * Their source counted them as accepted when they arrived.
   */
  takeoverRefused(events: number): void {
    if (events > 0) this.rejected.add(events, TAKEOVER_REJECTION);
  }

  /** Counts decision records by type and outcome. */
  decisions(records: readonly DecisionRecord[]): void {
    for (const r of records) this.decisionCounter.add(1, { type: r.type, outcome: decisionOutcome(r) });
  }
}
