import type { Observable } from 'rxjs';
import type { DecisionRecord } from '../core/decision.js';
import type { EventRejection, TelemetryEvent } from '../core/event.js';

/**
 * Ports: the narrow, domain-level interfaces between the pure core and IO.
 * No client-library type appears here. Every port has an in-memory adapter
 * (the embedded default) and a real one, checked by one contract suite.
 */

/** A source-specific rejection: an event that could not be taken, with where it came from. */
export interface SourceRejection extends EventRejection {
  /** Where the bad input came from, e.g. `kafka:promptpilot.events/2@1234` or `http`. */
  readonly origin: string;
}

/**
 * One batch delivered by an event source. The consumer calls `commit` once the
 * batch's effects (statistics updated, decisions appended to the log) are
 * durable; a source must not consider the batch done before that.
 */
export interface SourceBatch {
  readonly events: readonly TelemetryEvent[];
  readonly rejected: readonly SourceRejection[];
  commit(): Promise<void>;
  /**
   * Hands events the pipeline refused after decoding (too late, future-dated,
   * over a limit; `index` into `events`) to the source's dead-letter
   * destination with their reasons. Call before `commit`. Sources without one omit it.
   */
  deadLetter?(rejections: readonly EventRejection[]): Promise<void>;
}

/** States of an event source's consumer; see {@link SourceHealth}. */
export const SourceStates = ['starting', 'consuming', 'recovering', 'failed', 'stopped'] as const;
/** One of {@link SourceStates}. */
export type SourceState = (typeof SourceStates)[number];

/**
 * How an event source is doing. `recovering`: its consumer crashed and is
 * being restarted; `failed`: it gave up, the process should exit so its
 * supervisor restarts it. Only `consuming` counts as ready.
 */
export interface SourceHealth {
  readonly state: SourceState;
  /** Restarts after crashes since the source started. */
  readonly restarts: number;
  /** Why the source is not consuming (absent while `consuming`). */
  readonly reason?: string;
}

/** Something that produces telemetry in batches: Kafka, an HTTP receiver, a simulator, a file. */
export interface EventSource {
  /** Batches; completes when the source is stopped and drained. */
  readonly batches$: Observable<SourceBatch>;
  /** Health, replayed to new subscribers; completes when the source stops. */
  readonly health$: Observable<SourceHealth>;
  start(): Promise<void>;
  /** Stop fetching, let in-flight batches finish, commit, leave cleanly. */
  stop(): Promise<void>;
  /** Ask the source to pause/resume fetching (backpressure). Sources that cannot pause ignore it. */
  setPaused(paused: boolean): void;
}

/** Query for the decision log. `since` is event time (epoch ms, inclusive); `after` is a log sequence id. */
export interface DecisionQuery {
  readonly since?: number;
  readonly after?: number;
  readonly limit?: number;
  readonly route?: string;
  readonly type?: DecisionRecord['type'];
}

/** A decision with its position in the log. */
export interface LoggedDecision {
  /** Strictly increasing in append order, and never lower than one given out before a restart of the daemon. */
  readonly seq: number;
  readonly record: DecisionRecord;
}

/**
 * Durable, append-only log of every decision (memory, or a Redis Stream).
 * Appends are idempotent per decision: a record byte-identical to one already
 * logged (same idempotency key, a hash of its canonical line) is not logged
 * again, and its entry carries the seq it was first logged under — so a batch
 * redelivered after a crash, or a retried append, never records a decision twice.
 */
export interface DecisionLog {
  append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]>;
  query(query: DecisionQuery): Promise<readonly LoggedDecision[]>;
  size(): Promise<number>;
}

/**
 * Publishes decisions outward (Kafka decisions topic). At-least-once: a
 * publish retried after a failure may deliver a record twice; consumers
 * deduplicate by the record's identity (type, route, ts, id/rule).
 */
export interface DecisionSink {
  publish(records: readonly DecisionRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Forwards validated events elsewhere (gateway role: Kafka events topic keyed by route). */
export interface EventForwarder {
  forward(events: readonly TelemetryEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** A message to people: alert webhooks, Alertmanager (later issue). */
export interface Notification {
  readonly record: DecisionRecord;
}

/** Tells people what happened. Delivery is at-least-once through an outbox. */
export interface Notifier {
  notify(notifications: readonly Notification[]): Promise<void>;
  close(): Promise<void>;
}

/** Wall clock, injected so that stream code never reads `Date.now()` directly. */
export interface Clock {
  now(): number;
}

/** What the daemon's pipeline answers when handed validated events. */
export interface IngestOutcome {
  readonly accepted: number;
  /** Events refused after validation (e.g. dated too far in the future); `index` is into the submitted array. */
  readonly errors: readonly EventRejection[];
}

/**
 * Entry point of every receiver (HTTP events, OTLP, Kafka, simulator) into the
 * pipeline, or — in the gateway role — into the forwarder.
 */
export interface Ingestor {
  submit(events: readonly TelemetryEvent[]): Promise<IngestOutcome>;
  /**
   * Pre-aggregated histograms (OTLP metrics). Optional: a pipeline without it
   * makes the OTLP receiver answer with a partial-success warning instead.
   * `errors[].index` is into the submitted array.
   */
  submitHistograms?(observations: readonly HistogramObservation[]): Promise<IngestOutcome>;
}

/**
 * One explicit-bucket histogram observation from OTLP metrics
 * (`gen_ai.client.operation.duration`, `gen_ai.client.token.usage`), already
 * converted to delta temporality and to promptpilot units.
 *
 * @remarks `bounds` are upper bucket bounds in the metric's unit (milliseconds
 * for `latency_ms`, tokens otherwise); `bucketCounts.length === bounds.length + 1`
 * (the last bucket is `(bounds[last], +Inf)`); `count` is the sum of
 * `bucketCounts`; `sum` is null when the producer did not send one.
 */
export interface HistogramObservation {
  /** End of the observation interval, epoch ms (event time). */
  readonly ts: number;
  readonly route: string;
  readonly variant: string;
  readonly metric: 'latency_ms' | 'input_tokens' | 'output_tokens';
  readonly bounds: readonly number[];
  readonly bucketCounts: readonly number[];
  readonly count: number;
  readonly sum: number | null;
}

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged: what an outbox can carry. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A message handed to the {@link Outbox} for later delivery. */
export interface OutboxMessage {
  /** The named sink, topic or receiver it goes to, e.g. `kafka:promptpilot.decisions`, `webhook:oncall`. */
  readonly destination: string;
  /**
   * Idempotency key, stable for the same logical message (e.g. a decision's
   * log sequence): enqueueing a key that is still in the outbox for the same
   * destination (pending, leased or dead-lettered) adds nothing.
   */
  readonly key: string;
  readonly payload: JsonValue;
}

/** A message inside the {@link Outbox}, as {@link Outbox.lease} hands it out. */
export interface OutboxItem extends OutboxMessage {
  /** Opaque, unique within the outbox; what `ack`/`nack`/`deadLetter` take. */
  readonly id: string;
  /** Deliveries started so far, this lease included (1 on the first lease). */
  readonly attempts: number;
  /** When it was enqueued, epoch ms. */
  readonly enqueuedAtMs: number;
  /** Why the previous attempt failed (absent before any failure). */
  readonly lastError?: string;
}

/** How many messages an outbox holds: waiting or being delivered, and given up on. */
export interface OutboxDepth {
  readonly pending: number;
  readonly deadLettered: number;
}

/**
 * Transactional outbox: messages to slow or unreliable destinations (decision
 * sinks, alert receivers) are enqueued on the critical path — fast, local —
 * and delivered later by a relay that leases them, acks what arrived and
 * nacks what failed with the time of the next attempt.
 *
 * @remarks Per destination, delivery is strictly in enqueue order: `lease`
 * returns the due messages at the head of the destination's queue and stops at
 * the first one that is leased or not yet due, so a message waiting for its
 * retry holds back the ones behind it (consumers see each destination's
 * messages in order); `deadLetter` releases the queue behind it. A lease
 * expires after `leaseMs`: a relay that died mid-delivery does not lose the
 * message, another lease hands it out again (at-least-once). Times are epoch
 * ms passed in by the caller, so the contract holds under a virtual clock;
 * an adapter shared by several instances (Redis) measures a lease on one clock
 * of its own instead, so their clocks' skew cannot shorten it. A durable
 * adapter (Redis) keeps every message across restarts.
 */
export interface Outbox {
  /** Adds messages; resolves with how many were new (the rest were duplicates by key). */
  enqueue(messages: readonly OutboxMessage[], nowMs: number): Promise<number>;
  /** Up to `limit` due messages from the head of `destination`, leased until `nowMs + leaseMs`. */
  lease(destination: string, limit: number, nowMs: number, leaseMs: number): Promise<readonly OutboxItem[]>;
  /** Delivered: removes them. Unknown ids are ignored (a lease that expired and was delivered by another relay). */
  ack(ids: readonly string[]): Promise<void>;
  /** Not delivered: due again at `retryAtMs`, keeping its place at the head of its destination. */
  nack(ids: readonly string[], retryAtMs: number, error: string): Promise<void>;
  /** Given up: moved aside (kept for inspection), no longer holding back its destination. */
  deadLetter(ids: readonly string[], error: string): Promise<void>;
  /** The dead-lettered messages of `destination`, oldest first. */
  deadLetters(destination: string, limit: number): Promise<readonly OutboxItem[]>;
  /** Destinations that hold messages, pending or dead-lettered (a destination whose messages all died is still listed). */
  destinations(): Promise<readonly string[]>;
  /** How many messages `destination` holds (every destination when omitted). */
  depth(destination?: string): Promise<OutboxDepth>;
  /** Earliest time a pending message of `destination` becomes due, or null when it has none. */
  nextDueAtMs(destination: string): Promise<number | null>;
  close(): Promise<void>;
}
