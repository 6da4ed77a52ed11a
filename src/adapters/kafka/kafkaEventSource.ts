import type { Consumer, ConsumerRunConfig, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { Subject, type Observable } from 'rxjs';
import type { EventRejection, TelemetryEvent } from '../../core/event.js';
import { InvariantError, TransientIoError } from '../../core/errors.js';
import type { EventSource, SourceBatch, SourceHealth, SourceRejection } from '../../ports/ports.js';
import { createKafkaClient, kafkaErrorFields, silentLogger, type AdapterLogger, type KafkaClientOptions, type KafkaSettings } from './kafkaClient.js';
import { decodeEventsMessage, decodeOtlpMessage, type DecodedMessage, type OtlpTraceDecoder } from '../../codecs/messageDecoder.js';
import { CommitTracker } from './commitTracker.js';
import { connectProducer } from './kafkaDecisionSink.js';
import { createOtlpTraceDecoder } from '../../codecs/otlpTraceDecoder.js';
import { toWireEvent } from '../../codecs/wireEvent.js';
import { ConsumerSupervisor, type RestartPolicy } from './consumerSupervisor.js';
import { syncGraceAssigner } from './syncGraceAssigner.js';

/** Dead-letter headers (DESIGN §6): the reason names the field. */
export const DeadLetterHeaders = {
  error: 'promptpilot-error',
  field: 'promptpilot-error-field',
  topic: 'promptpilot-original-topic',
  partition: 'promptpilot-original-partition',
  offset: 'promptpilot-original-offset',
  element: 'promptpilot-original-element',
} as const;

/** Headers of one dead letter: the reason (naming the field) and where the message came from. */
function deadLetterHeaders(problem: { field: string; message: string }, topic: string, partition: number, offset: string): Record<string, string> {
  return {
    [DeadLetterHeaders.error]: `${problem.field}: ${problem.message}`,
    [DeadLetterHeaders.field]: problem.field,
    [DeadLetterHeaders.topic]: topic,
    [DeadLetterHeaders.partition]: String(partition),
    [DeadLetterHeaders.offset]: offset,
  };
}

/** Options of {@link KafkaEventSource} beyond the `kafka` config section. */
export interface KafkaEventSourceOptions {
  readonly logger?: AdapterLogger;
  readonly client?: KafkaClientOptions;
  /** Decoder for the OTLP spans topic; default: {@link createOtlpTraceDecoder} with the default attribute names. */
  readonly otlpDecoder?: OtlpTraceDecoder;
  /** Read a new group's partitions from the beginning (default true: no event is skipped). */
  readonly fromBeginning?: boolean;
  /** How long `stop()` waits for delivered batches to be committed, in ms. Default 10 000. */
  readonly drainTimeoutMs?: number;
  /** Consumer session timeout in ms (default: the `session_timeout` setting). */
  readonly sessionTimeoutMs?: number;
  /** Restart policy of a crashed consumer (default: the `restart` setting). */
  readonly restart?: RestartPolicy;
  /**
   * A rebalance took partitions away from this instance: the routes it had
   * received on them and on no partition it keeps. Called on the group join
   * that ends the rebalance, so the new owner can be handed their state.
   */
  readonly onRevoked?: (routes: readonly string[]) => void;
  /** How long a group leader holds its SyncGroup back so followers sync first, in ms (default 500; see {@link syncGraceAssigner}). */
  readonly syncGraceMs?: number;
  /** Longest a fetch waits on the broker for new data, in ms (default 500; also bounds how long `stop()` waits for a fetch). */
  readonly maxWaitTimeMs?: number;
}

/** Counters a caller may export as metrics. */
export interface KafkaSourceCounters {
  /** Events delivered in batches. */
  delivered: number;
  /** Messages (or array elements) sent to the dead-letter topic. */
  deadLettered: number;
  /** OTLP spans without a route, skipped. */
  skippedSpans: number;
  /** Messages skipped because they were already delivered (redelivery after a reconnect or retry). */
  duplicatesSkipped: number;
  /** Offset commits that failed and were retried later. */
  commitFailures: number;
  /** Consumer crashes (each followed by a restart, by kafkajs or by this source, until the restart policy gives up). */
  crashes: number;
}

/**
 * Kafka event source: a consumer group on the events topic (v1 JSON) and the
 * OTLP spans topic (protobuf or JSON, as the Collector's Kafka exporter writes).
 *
 * Guarantees: a batch's bad messages are in the dead-letter topic before the
 * batch is emitted; its offsets are committed only after the consumer calls
 * `commit()` (effects durable), in offset order per partition. Delivery is
 * at-least-once across processes; within one process a message is delivered
 * once even when kafkajs re-fetches after a reconnect, because offsets at or
 * below the highest one already delivered on a partition are skipped.
 * Fetching pauses while more than `max_in_flight_events` events await commit,
 * and on `setPaused(true)`.
 *
 * @remarks Subscribe to `batches$` before `start()`; batches are not buffered.
 */
export class KafkaEventSource implements EventSource {
  readonly counters: KafkaSourceCounters = { delivered: 0, deadLettered: 0, skippedSpans: 0, duplicatesSkipped: 0, commitFailures: 0, crashes: 0 };
  private readonly subject = new Subject<SourceBatch>();
  readonly batches$: Observable<SourceBatch> = this.subject.asObservable();
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private producer: Producer | null = null;
  private readonly log: AdapterLogger;
  private readonly topics: readonly string[];
  private readonly tracker: CommitTracker;
  private manualPause = false;
  private autoPause = false;
  private appliedPause = false;
  private running = false;
  private stopping: Promise<void> | null = null;
  private readonly otlpDecoder: OtlpTraceDecoder;
  /** Offset commits the broker acknowledged (kafkajs COMMIT_OFFSETS events; with autoCommit off, only ours). */
  private acknowledgedCommits = 0;
  /** Messages behind the high watermark per `topic/partition`, as of the last batch fetched from it. */
  private readonly lagByPartition = new Map<string, { readonly topic: string; readonly partition: number; readonly messages: number }>();
  /** Per `topic/partition` this instance is assigned, the routes of the events it received there. */
  private readonly routesByPartition = new Map<string, Set<string>>();
  private readonly supervisor: ConsumerSupervisor;
  /** Health of the consumer: `consuming` once in the group; `recovering` after a crash; `failed` when restarts gave up. */
  readonly health$: Observable<SourceHealth>;
  private readonly runConfig: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: (payload) => this.onBatch(payload),
  };

  constructor(
    private readonly settings: KafkaSettings,
    private readonly options: KafkaEventSourceOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
    this.kafka = createKafkaClient(settings, this.log, options.client);
    this.consumer = this.kafka.consumer({
      groupId: settings.group_id,
      sessionTimeout: options.sessionTimeoutMs ?? settings.session_timeout,
      heartbeatInterval: Math.min(3_000, Math.max(100, Math.floor((options.sessionTimeoutMs ?? settings.session_timeout) / 10))),
      partitionAssigners: [syncGraceAssigner(options.syncGraceMs ?? 500)],
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
      allowAutoTopicCreation: true,
      // The consumer's own retrier (joins, batch retries, kafkajs' restarts after a crash). Its connections go
      // through its cluster, which kafkajs builds with the client's retry (KAFKA_CLIENT_RETRIES), so the log
      // bridge's `still retrying` / `giving up after 9 attempts` lines hold for the consumer as for the producer.
      retry: { retries: 5, initialRetryTime: options.client?.initialRetryTimeMs ?? 300, maxRetryTime: options.client?.maxRetryTimeMs ?? 30_000 },
    });
    this.topics = [settings.topics.events, settings.topics.otlp_spans];
    this.otlpDecoder = options.otlpDecoder ?? createOtlpTraceDecoder();
    // kafkajs' commitOffsets resolves WITHOUT committing when its runner is not running (crashed, restarting,
    // or it stopped during the commit's retries). COMMIT_OFFSETS is emitted synchronously after the broker
    // acknowledged an OffsetCommit, before commitOffsets resolves, so a commit with no such event was dropped.
    this.consumer.on(this.consumer.events.COMMIT_OFFSETS, () => {
      this.acknowledgedCommits++;
    });
    const policy: RestartPolicy = options.restart ?? {
      maxAttempts: settings.restart.max_attempts,
      initialBackoffMs: settings.restart.initial_backoff,
      maxBackoffMs: settings.restart.max_backoff,
    };
    this.supervisor = new ConsumerSupervisor(policy, () => this.consumer.run(this.runConfig), this.log);
    this.health$ = this.supervisor.health$;
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.tracker.retain(event.payload.memberAssignment);
      this.noteAssignment(event.payload.memberAssignment);
      this.appliedPause = false;
      this.applyPause();
      this.supervisor.joined();
    });
    // kafkajs restarts a consumer after a retriable crash by itself (`restart: true`) and leaves it dead
    // after any other (e.g. a coordinator's INVALID_REQUEST on SyncGroup): the supervisor restarts those.
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.counters.crashes++;
      this.log.error({ component: 'kafka', ...kafkaErrorFields(event.payload.error), restart: event.payload.restart }, 'Kafka consumer crashed');
      if (this.running) this.supervisor.crashed(event.payload.error, event.payload.restart);
    });
    this.tracker = new CommitTracker(
      async (offsets) => {
        const acknowledgedBefore = this.acknowledgedCommits;
        await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.nextOffset) })));
        if (this.acknowledgedCommits === acknowledgedBefore) {
          throw new TransientIoError('offset commit dropped by kafkajs: the consumer was not running (crashed or restarting)');
        }
      },
      (err) => {
        this.counters.commitFailures++;
        this.log.warn({ component: 'kafka', err }, 'offset commit failed; retried with the next commit');
      },
    );
  }

  /** Consumer lag per partition this consumer fetched from: messages after the last one fetched. */
  consumerLag(): { readonly topic: string; readonly partition: number; readonly messages: number }[] {
    return [...this.lagByPartition.values()];
  }

  /** Events delivered but not yet committed. */
  get inFlightEvents(): number {
    return this.tracker.inFlightEvents;
  }

  /** True while fetching is paused (by `setPaused(true)` or because too many events await commit). */
  get paused(): boolean {
    return this.manualPause || this.autoPause;
  }

  /** Connects, joins the group and starts fetching. */
  async start(): Promise<void> {
    if (!this.subject.observed) throw new InvariantError('subscribe to batches$ before starting the Kafka source');
    this.producer = await connectProducer(this.kafka, this.log);
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.topics], fromBeginning: this.options.fromBeginning ?? true });
    this.running = true;
    // Resolves once the first join is done, or after a crash during it (then reported through CRASH).
    await this.consumer.run(this.runConfig);
  }

  /** The latest health (see {@link health$}). */
  get health(): SourceHealth {
    return this.supervisor.health;
  }

  /** Pauses (true) or resumes (false) fetching; automatic lag pausing still applies on top. */
  setPaused(paused: boolean): void {
    if (this.stopping !== null) return;
    this.manualPause = paused;
    this.applyPause();
  }

  /** Stops fetching, waits (bounded) for delivered batches to be committed, commits, leaves the group. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      this.supervisor.stop();
      this.manualPause = true;
      this.applyPause();
      await this.tracker.drain(this.options.drainTimeoutMs ?? 10_000);
      await this.consumer.disconnect().catch((err: unknown) => this.log.warn({ component: 'kafka', err }, 'consumer disconnect failed'));
      await this.producer?.disconnect().catch((err: unknown) => this.log.warn({ component: 'kafka', err }, 'producer disconnect failed'));
      this.subject.complete();
    })();
    return this.stopping;
  }

  private routesOf(topic: string, partition: number): Set<string> {
    const key = `${topic}/${partition}`;
    let routes = this.routesByPartition.get(key);
    if (routes === undefined) this.routesByPartition.set(key, (routes = new Set()));
    return routes;
  }

  /** A group join's assignment: the routes of the partitions it no longer has (and of none it keeps) were revoked. */
  private noteAssignment(assignment: Readonly<Record<string, readonly number[]>>): void {
    const kept = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`)));
    const lost = new Set<string>();
    const staying = new Set<string>();
    for (const [key, routes] of [...this.routesByPartition]) {
      for (const route of routes) (kept.has(key) ? staying : lost).add(route);
      if (!kept.has(key)) this.routesByPartition.delete(key);
    }
    const revoked = [...lost].filter((route) => !staying.has(route)).sort();
    if (revoked.length === 0) return;
    this.log.info({ component: 'kafka', routes: revoked.length }, 'partitions revoked by a rebalance: handing their routes over');
    this.options.onRevoked?.(revoked);
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    if (!this.running || isStale()) return;
    const kind = topic === this.settings.topics.otlp_spans ? 'otlp_spans' : 'events';
    const lag = Number(batch.offsetLag());
    if (Number.isFinite(lag)) this.lagByPartition.set(`${topic}/${partition}`, { topic, partition, messages: Math.max(0, lag) });
    const delivered = this.tracker.deliveredThrough(topic, partition);
    const events: TelemetryEvent[] = [];
    /** The message each event came from, by position. */
    const sources: KafkaMessage[] = [];
    const rejected: SourceRejection[] = [];
    const deadLetters: Message[] = [];
    let lastOffset = -1;
    const seen = this.routesOf(topic, partition);
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      if (offset <= delivered) {
        this.counters.duplicatesSkipped++;
        continue;
      }
      lastOffset = offset;
      const decoded: DecodedMessage = kind === 'events' ? decodeEventsMessage(message.value) : decodeOtlpMessage(message.value, this.otlpDecoder);
      for (const event of decoded.events) {
        events.push(event);
        sources.push(message);
        seen.add(event.route);
      }
      this.counters.skippedSpans += decoded.skipped;
      for (const problem of decoded.problems) {
        const origin = `kafka:${topic}/${partition}@${message.offset}`;
        rejected.push({ index: rejected.length, field: problem.field, message: problem.message, origin });
        const headers = deadLetterHeaders(problem, topic, partition, message.offset);
        if (problem.element !== undefined) headers[DeadLetterHeaders.element] = String(problem.element);
        deadLetters.push({ key: message.key, value: problem.value ?? message.value, headers });
      }
    }
    if (lastOffset < 0) {
      resolveOffset(batch.lastOffset());
      return;
    }
    if (deadLetters.length > 0) {
      // Throws on failure: kafkajs retries the batch, which was not resolved, so nothing is lost.
      if (this.producer === null) throw new InvariantError('dead-letter producer not connected');
      await this.producer.send({ topic: this.settings.topics.dead_letter, messages: deadLetters });
      this.counters.deadLettered += deadLetters.length;
    }
    const commit = this.tracker.deliver(topic, partition, lastOffset, events.length);
    this.counters.delivered += events.length;
    resolveOffset(String(lastOffset));
    const deadLetter = async (refused: readonly EventRejection[]): Promise<void> => {
      const messages: Message[] = [];
      for (const problem of refused) {
        const event = events[problem.index];
        const source = sources[problem.index];
        if (event === undefined || source === undefined) continue;
        messages.push({ key: source.key ?? null, value: JSON.stringify(toWireEvent(event)), headers: deadLetterHeaders(problem, topic, partition, source.offset) });
      }
      if (messages.length === 0) return;
      if (this.producer === null) throw new InvariantError('dead-letter producer not connected');
      try {
        await this.producer.send({ topic: this.settings.topics.dead_letter, messages });
      } catch (cause) {
        throw new TransientIoError(`cannot write to the dead-letter topic: ${(cause as Error).message}`, { cause });
      }
      this.counters.deadLettered += messages.length;
    };
    this.subject.next({ events, rejected, commit: () => commit().finally(() => this.onCommitted()), deadLetter });
    if (this.tracker.inFlightEvents > this.settings.max_in_flight_events && !this.autoPause) {
      this.autoPause = true;
      this.applyPause();
    }
    await heartbeat();
  }

  private onCommitted(): void {
    if (this.autoPause && this.tracker.inFlightEvents <= this.settings.max_in_flight_events / 2) {
      this.autoPause = false;
      this.applyPause();
    }
  }

  private applyPause(): void {
    const wanted = this.manualPause || this.autoPause;
    if (wanted === this.appliedPause) return;
    try {
      const topics = this.topics.map((topic) => ({ topic }));
      if (wanted) this.consumer.pause(topics);
      else this.consumer.resume(topics);
      this.appliedPause = wanted;
    } catch {
      // Not running yet (or restarting after a crash): applied again on the next group join.
    }
  }
}
