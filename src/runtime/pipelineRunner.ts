import { Subject, concatMap, defer, type Subscription } from 'rxjs';
import type { DecisionRecord } from '../core/decision.js';
import { PromptpilotError } from '../core/errors.js';
import type { PipelineEngine } from '../engine/engine.js';
import { stepEngine, type PipelineInput } from '../streams/pipelineOperator.js';
import type { DecisionLog, LoggedDecision } from '../ports/ports.js';

interface Job {
  readonly input: PipelineInput;
  readonly resolve: (records: DecisionRecord[]) => void;
  readonly reject: (err: unknown) => void;
}

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
 */
export class PipelineRunner {
  private readonly jobs$ = new Subject<Job>();
  private readonly subscription: Subscription;
  private pending = 0;

  constructor(
    private readonly engine: PipelineEngine,
    private readonly log: DecisionLog,
    /** Hands the logged decisions on (to the outbox); retried like the log append until it succeeds. */
    private readonly afterLog: (logged: readonly LoggedDecision[]) => Promise<void> = async () => {},
    /** Called with each step's records once durable, and when the step started (epoch ms). */
    private readonly onDecisions: (records: readonly DecisionRecord[], stepStartedAtMs: number) => void = () => {},
    private readonly onStoreFailure: (err: unknown, attempt: number) => void = () => {},
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.subscription = this.jobs$
      .pipe(concatMap((job) => defer(() => this.process(job))))
      .subscribe();
  }

  /** Inputs accepted but not yet durable. */
  get inFlight(): number {
    return this.pending;
  }

  /** Applies an input; resolves with its decision records once they are logged and published. */
  submit(input: PipelineInput): Promise<DecisionRecord[]> {
    this.pending++;
    return new Promise((resolve, reject) => this.jobs$.next({ input, resolve, reject }));
  }

  /** Waits for every submitted input, then stops accepting new ones. */
  async drain(): Promise<void> {
    await this.submit({ kind: 'tick', elapsedMs: 0 });
    this.jobs$.complete();
    this.subscription.unsubscribe();
  }

  private async withRetry<T>(action: () => Promise<T>, attempts: number): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await action();
      } catch (err) {
        const retriable = err instanceof PromptpilotError ? err.retriable : true;
        if (!retriable || attempt >= attempts) throw err;
        this.onStoreFailure(err, attempt);
        await this.sleep(Math.min(30_000, 100 * 2 ** attempt));
      }
    }
  }

  private async process(job: Job): Promise<void> {
    try {
      const stepStartedAtMs = Date.now();
      const records = stepEngine(this.engine, job.input);
      if (records.length > 0) {
        // The engine has moved on: from here the records exist only in memory, so the log
        // append and the outbox enqueue are retried (transient errors) until they succeed —
        // a decision is never dropped.
        const logged = await this.withRetry(() => this.log.append(records), Infinity);
        await this.withRetry(() => this.afterLog(logged), Infinity);
        this.onDecisions(records, stepStartedAtMs);
      }
      job.resolve(records);
    } catch (err) {
      job.reject(err);
    } finally {
      this.pending--;
    }
  }
}
