import { Subject, concatMap, defer, type Subscription } from 'rxjs';
import type { DecisionRecord } from '../core/decision.js';
import { describeError, InvariantError, OverloadedError, PromptpilotError } from '../core/errors.js';
import type { PipelineEngine } from '../engine/engine.js';
import { stepEngine, type PipelineInput } from '../streams/pipelineInput.js';
import type { DecisionLog, LoggedDecision } from '../ports/ports.js';

/** Hooks around every engine step (the Redis state: route ownership, state writes). */
export interface StepHooks {
  /** Before the step: claims the input's routes. Never throws. */
  before(input: PipelineInput): Promise<void>;
  /** After the step: the records to log (another instance decides for the routes it owns). */
  after(records: readonly DecisionRecord[]): DecisionRecord[];
  /** After the records are logged: writes the changed route states. Never throws. */
  persist(): Promise<void>;
}

interface Job {
  readonly input: PipelineInput;
  /** Events (or histogram data points) it carries: what counts against the queue bound. */
  readonly size: number;
  readonly resolve: (records: DecisionRecord[]) => void;
  readonly reject: (err: unknown) => void;
}

/** Options of {@link PipelineRunner}. */
export interface PipelineRunnerOptions {
  /** Hands the logged decisions on (to the outbox); retried like the log append until it succeeds. */
  readonly afterLog?: (logged: readonly LoggedDecision[]) => Promise<void>;
  /** Called with each step's records once durable, and when the step started (epoch ms). */
  readonly onDecisions?: (records: readonly DecisionRecord[], stepStartedAtMs: number) => void;
  /**
   * A retriable failure of the log append or `afterLog` (a {@link PromptpilotError}
   * with `retriable`, e.g. the outbox full), before its retry. Any other error
   * stops the pipeline (`onFatal`).
   */
  readonly onStoreFailure?: (err: unknown, attempt: number) => void;
  /** Events and histogram data points queued before `submit` refuses (default: no bound). */
  readonly maxQueuedEvents?: number;
  /** `true` when a submit was refused for load, `false` once the queue drained to half its bound. */
  readonly onSaturation?: (full: boolean) => void;
  /** The pipeline stopped on an internal error (once). */
  readonly onFatal?: (err: PromptpilotError) => void;
  /** Waits between two attempts at recording decisions (default: a timer); {@link PipelineRunner.retryNow} cuts a wait short. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Route ownership and route-state writes around each step (Redis); none in memory. */
  readonly hooks?: StepHooks;
  /**
   * Longest the runner works before it gives the event loop a turn, ms (default: never yields).
   * A step that would start later than this after the last turn first waits for one.
   */
  readonly sliceMs?: number;
  /** Gives the event loop a turn (default: `setImmediate`, after the I/O callbacks already due). */
  readonly yieldToLoop?: () => Promise<void>;
}

/** Longest wait between two attempts at recording a step's decisions, ms (reached after 9 failures in a row). */
export const MAX_RETRY_BACKOFF_MS = 30_000;

/** The wait before attempt `failures + 1` at recording decisions: 200 ms doubling, at most {@link MAX_RETRY_BACKOFF_MS}. */
export function retryBackoffMs(failures: number): number {
  return Math.min(MAX_RETRY_BACKOFF_MS, 100 * 2 ** failures);
}

/**
 * The daemon's slice: 20 ms of engine steps, then the loop gets a turn. Short
 * against the 1 s a probe may take, long against a step (a 20-event batch takes
 * well under a millisecond), so yielding costs no throughput.
 */
export const PIPELINE_SLICE_MS = 20;

const setImmediateTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Serializes every input to the engine and makes its decisions durable before
 * the caller's promise resolves: engine step → decision log append →
 * `afterLog` (enqueueing them in the outbox for the sinks).
 *
 * @remarks Concurrency 1 on purpose (`concatMap`): the engine is a single
 * event-time state machine and the log must see decisions in order. A source
 * commits its offsets only after `submit` resolved. Sinks are not on this
 * path: an {@link OutboxRelay} delivers what `afterLog` enqueued, so a slow
 * sink never stalls ingest.
 *
 * With `sliceMs` the runner works in bounded slices: steps run back to back
 * for at most that long, then the loop gets a turn (I/O callbacks, timers)
 * before the next step. Probes and reads are answered between two slices, and
 * requests that arrive meanwhile wait for their step holding their admission
 * slot, so admission sheds the surplus instead of every ready socket's work
 * running in one turn. The order of steps never changes.
 *
 * Recording a step's decisions is retried while it fails retriably (the
 * outbox full, a store away), waiting {@link retryBackoffMs} between attempts;
 * {@link retryNow} (the outbox released messages) ends the wait at once and
 * starts the backoff over, so ingest resumes as soon as there is room rather
 * than up to 30 s later. An error that is not a retriable
 * {@link PromptpilotError} stops the pipeline: a bug is not retried forever.
 */
export class PipelineRunner {
  private readonly jobs$ = new Subject<Job>();
  private readonly subscription: Subscription;
  private readonly afterLog: (logged: readonly LoggedDecision[]) => Promise<void>;
  private readonly maxQueuedEvents: number;
  /** Ends the current retry wait early (set while a step waits to retry). */
  private wake: (() => void) | null = null;
  private readonly sliceMs: number;
  private readonly yieldToLoop: () => Promise<void>;
  /** When the loop last had a turn (performance.now()). */
  private sliceStartedMs = Number.NEGATIVE_INFINITY;
  private pending = 0;
  private queuedEvents = 0;
  private saturated = false;
  private failure: PromptpilotError | null = null;

  constructor(
    private readonly engine: PipelineEngine,
    private readonly log: DecisionLog,
    private readonly options: PipelineRunnerOptions = {},
  ) {
    this.afterLog = options.afterLog ?? (async () => {});
    this.maxQueuedEvents = options.maxQueuedEvents ?? Infinity;
    this.sliceMs = options.sliceMs ?? Number.POSITIVE_INFINITY;
    this.yieldToLoop = options.yieldToLoop ?? setImmediateTurn;
    this.subscription = this.jobs$
      .pipe(concatMap((job) => defer(() => this.process(job))))
      .subscribe();
  }

  /** Inputs accepted but not yet durable. */
  get inFlight(): number {
    return this.pending;
  }

  /** Events (and histogram data points) accepted but not yet through the engine step. */
  get queued(): number {
    return this.queuedEvents;
  }

  /** True from a refused submit until the queue has drained to half its bound. */
  get full(): boolean {
    return this.saturated;
  }

  /** The internal error that stopped the pipeline, or null while it runs. */
  get failed(): PromptpilotError | null {
    return this.failure;
  }

  /**
   * Applies an input; resolves with its decision records once they are logged
   * and queued for the sinks. Rejects at once with {@link OverloadedError}
   * (nothing taken) when its events would pass `maxQueuedEvents` — one batch
   * larger than the bound is still taken when the queue is empty — and with
   * the pipeline's failure once an internal error stopped it. Ticks and
   * commands are never refused for load.
   */
  submit(input: PipelineInput): Promise<DecisionRecord[]> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const size = input.kind === 'events' ? input.events.length : input.kind === 'histograms' ? input.observations.length : 0;
    if (size > 0 && this.queuedEvents > 0 && this.queuedEvents + size > this.maxQueuedEvents) {
      if (!this.saturated) {
        this.saturated = true;
        this.options.onSaturation?.(true);
      }
      return Promise.reject(new OverloadedError(`the pipeline queue is full: ${this.queuedEvents} events waiting, ${size} more would pass limits.max_queued_events (${this.maxQueuedEvents})`));
    }
    this.pending++;
    this.queuedEvents += size;
    return new Promise((resolve, reject) => this.jobs$.next({ input, size, resolve, reject }));
  }

  /** Waits for every submitted input, then stops accepting new ones. */
  async drain(): Promise<void> {
    // After a failure the queued inputs were already refused with it: nothing is left to wait for.
    await this.submit({ kind: 'tick', elapsedMs: 0 }).catch(() => []);
    this.jobs$.complete();
    this.subscription.unsubscribe();
  }

  /**
   * Whatever refused to record a step's decisions has room again (the outbox
   * delivered or dead-lettered messages): a step waiting to retry tries now,
   * and its backoff starts over from the shortest wait. Never throws.
   */
  retryNow(): void {
    this.wake?.();
  }

  /** Runs `action` until it succeeds; a retriable {@link PromptpilotError} is retried, anything else thrown. */
  private async withRetry<T>(action: () => Promise<T>): Promise<T> {
    let failures = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await action();
      } catch (err) {
        if (!(err instanceof PromptpilotError) || !err.retriable) throw err;
        this.options.onStoreFailure?.(err, attempt);
        failures++;
        if (await this.waitToRetry(retryBackoffMs(failures))) failures = 0;
      }
    }
  }

  /** Waits `ms` before a retry; true when {@link retryNow} ended the wait early. */
  private waitToRetry(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (woken: boolean): void => {
        if (this.wake !== wake) return;
        this.wake = null;
        if (timer !== undefined) clearTimeout(timer);
        resolve(woken);
      };
      const wake = (): void => settle(true);
      this.wake = wake;
      if (this.options.sleep !== undefined) void this.options.sleep(ms).then(() => settle(false), () => settle(false));
      else timer = setTimeout(() => settle(false), ms);
    });
  }

  private async process(job: Job): Promise<void> {
    if (this.failure !== null) {
      this.done(job);
      this.pending--;
      job.reject(this.failure);
      return;
    }
    if (this.sliceMs !== Number.POSITIVE_INFINITY && performance.now() - this.sliceStartedMs >= this.sliceMs) {
      await this.yieldToLoop();
      this.sliceStartedMs = performance.now();
    }
    const hooks = this.options.hooks;
    if (hooks !== undefined) await hooks.before(job.input);
    const stepStartedAtMs = Date.now();
    let records: DecisionRecord[];
    try {
      records = stepEngine(this.engine, job.input);
      if (hooks !== undefined) records = hooks.after(records);
    } catch (err) {
      this.done(job);
      this.pending--;
      // A command refused on purpose (unknown experiment, not allowed now) leaves the engine as it was.
      if (err instanceof PromptpilotError && !(err instanceof InvariantError)) job.reject(err);
      else job.reject(this.fail('the engine step failed', err));
      return;
    }
    this.done(job);
    try {
      if (records.length > 0) {
        // The engine has moved on: from here the records exist only in memory, so the log
        // append and the outbox enqueue are retried (transient errors) until they succeed —
        // a decision is never dropped.
        const logged = await this.withRetry(() => this.log.append(records));
        await this.withRetry(() => this.afterLog(logged));
        this.options.onDecisions?.(records, stepStartedAtMs);
      }
      // Route states after their decisions: a crash between the two re-produces decisions (logged once), never loses them.
      if (hooks !== undefined) await hooks.persist();
      job.resolve(records);
    } catch (err) {
      job.reject(this.fail('recording decisions failed for good', err));
    } finally {
      this.pending--;
    }
  }

  /** The job left the queue (its engine step ran or was skipped). */
  private done(job: Job): void {
    this.queuedEvents -= job.size;
    if (this.saturated && this.queuedEvents <= this.maxQueuedEvents / 2) {
      this.saturated = false;
      this.options.onSaturation?.(false);
    }
  }

  /**
   * An error nobody anticipated: the engine's state can no longer be trusted,
   * so the pipeline stops for good (every later submit is refused with the
   * same error) and says so once through `onFatal`, instead of retrying.
   */
  private fail(what: string, cause: unknown): PromptpilotError {
    if (this.failure === null) {
      this.failure = new InvariantError(`pipeline stopped: ${what}: ${describeError(cause)}`, { cause });
      this.options.onFatal?.(this.failure);
    }
    return this.failure;
  }
}
