import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import type { TelemetryEvent } from '../../core/event.js';
import { InvariantError } from '../../core/errors.js';
import { waitUntilIdle } from '../waitUntilIdle.js';
import type { EventSource, SourceBatch, SourceHealth, SourceRejection } from '../../ports/ports.js';

/** Options of {@link MemoryEventSource}. */
export interface MemoryEventSourceOptions {
  /** How long `stop()` waits for delivered batches to be committed, in ms. Default 10 000. */
  readonly drainTimeoutMs?: number;
}

interface PendingBatch {
  readonly events: readonly TelemetryEvent[];
  readonly rejected: readonly SourceRejection[];
}

/**
 * A programmatic event source: the embedded default. Each `push` becomes one
 * {@link SourceBatch}, delivered in push order; the batch counts as committed
 * only once the consumer calls its `commit()` (idempotent).
 *
 * Pushes made before `start()` or while paused are buffered and released, in
 * order, on start / resume. `stop()` releases what is buffered, waits (at most
 * `drainTimeoutMs`) until every delivered batch is committed, then completes
 * `batches$`; pushes after `stop()` are refused (`push` returns false).
 *
 * @remarks Like the Kafka source, subscribe to `batches$` before `start()`:
 * batches are not replayed to late subscribers. Unlike Kafka, an upstream that
 * outlives the process does not exist here, so buffered pushes are delivered
 * on stop rather than left for the next consumer (a stop before `start()`
 * drops them: nobody could take them). Arrays handed to `push` are
 * delivered as given (no copy): do not mutate them afterwards.
 */
export class MemoryEventSource implements EventSource {
  private readonly subject = new Subject<SourceBatch>();
  /** Batches; completes when the source is stopped and drained. */
  readonly batches$: Observable<SourceBatch> = this.subject.asObservable();
  private readonly health = new BehaviorSubject<SourceHealth>({ state: 'starting', restarts: 0 });
  /** `starting`, then `consuming` from `start()`, `stopped` once stopped; an in-process source never crashes. */
  readonly health$: Observable<SourceHealth> = this.health.asObservable();
  private readonly buffered: PendingBatch[] = [];
  private started = false;
  private manualPause = false;
  private flushing = false;
  private stopping: Promise<void> | null = null;
  private uncommitted = 0;
  private inFlight = 0;
  private readonly committed = { batches: 0, events: 0, rejections: 0 };
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: MemoryEventSourceOptions = {}) {}

  /** Delivered batches whose `commit()` has not been called yet. */
  get uncommittedBatches(): number {
    return this.uncommitted;
  }

  /** Delivered batches whose `commit()` was called. */
  get committedBatches(): number {
    return this.committed.batches;
  }

  /** Events delivered and not yet committed. */
  get inFlightEvents(): number {
    return this.inFlight;
  }

  /** Events in committed batches. */
  get committedEvents(): number {
    return this.committed.events;
  }

  /** Rejections in committed batches. */
  get committedRejections(): number {
    return this.committed.rejections;
  }

  /** Events pushed but not delivered yet (before start or while paused). */
  get bufferedEvents(): number {
    let n = 0;
    for (const b of this.buffered) n += b.events.length;
    return n;
  }

  /** True while `setPaused(true)` holds deliveries back. */
  get paused(): boolean {
    return this.manualPause;
  }

  /**
   * Hands one batch to the source: delivered now when started and not paused,
   * else buffered. An empty push (no events, no rejections) is a no-op.
   * Returns false, taking nothing, once `stop()` was called.
   */
  push(events: readonly TelemetryEvent[], rejected: readonly SourceRejection[] = []): boolean {
    if (this.stopping !== null) return false;
    if (events.length === 0 && rejected.length === 0) return true;
    this.buffered.push({ events, rejected });
    this.flush();
    return true;
  }

  /** Starts delivering (buffered pushes first). Rejects if nobody subscribed to `batches$`. Idempotent. */
  async start(): Promise<void> {
    if (this.stopping !== null || this.started) return;
    if (!this.subject.observed) throw new InvariantError('subscribe to batches$ before starting the memory source');
    this.started = true;
    this.health.next({ state: 'consuming', restarts: 0 });
    this.flush();
  }

  /** Holds (true) or releases (false) deliveries; ignored once stopping. */
  setPaused(paused: boolean): void {
    if (this.stopping !== null) return;
    this.manualPause = paused;
    this.flush();
  }

  /** Releases buffered pushes, waits (bounded) for every delivered batch to be committed, completes `batches$`. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.started) {
        this.manualPause = false;
        this.flush();
      }
      this.buffered.length = 0;
      await this.drain(this.options.drainTimeoutMs ?? 10_000);
      this.subject.complete();
      this.health.next({ state: 'stopped', restarts: 0 });
      this.health.complete();
    })();
    return this.stopping;
  }

  private flush(): void {
    // Re-entrant pushes (from a subscriber) join the queue, so push order is delivery order.
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.started && !this.manualPause) {
        const next = this.buffered.shift();
        if (next === undefined) break;
        this.deliver(next);
      }
    } finally {
      this.flushing = false;
    }
  }

  private deliver({ events, rejected }: PendingBatch): void {
    let done = false;
    this.uncommitted++;
    this.inFlight += events.length;
    const commit = async (): Promise<void> => {
      if (done) return;
      done = true;
      this.uncommitted--;
      this.inFlight -= events.length;
      this.committed.batches++;
      this.committed.events += events.length;
      this.committed.rejections += rejected.length;
      if (this.uncommitted === 0) this.wakeIdle();
    };
    this.subject.next({ events, rejected, commit });
  }

  private async drain(timeoutMs: number): Promise<void> {
    if (this.uncommitted === 0) return;
    await waitUntilIdle(this.idleWaiters, timeoutMs);
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
