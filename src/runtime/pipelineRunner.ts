import { Subject, concatMap, defer, type Subscription } from 'rxjs';
import type { DecisionRecord } from '../core/decision.js';
import type { PipelineEngine } from '../pipeline/engine.js';
import { stepEngine, type PipelineInput } from '../pipeline/pipelineOperator.js';
import type { DecisionLog, DecisionSink } from '../ports/ports.js';

interface Job {
  readonly input: PipelineInput;
  readonly resolve: (records: DecisionRecord[]) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Serializes every input to the engine and makes its decisions durable before
 * the caller's promise resolves: engine step → decision log append → sinks.
 *
 * @remarks Concurrency 1 on purpose (`concatMap`): the engine is a single
 * event-time state machine and the log must see decisions in order. A source
 * commits its offsets only after `submit` resolved.
 */
export class PipelineRunner {
  private readonly jobs$ = new Subject<Job>();
  private readonly subscription: Subscription;
  private pending = 0;

  constructor(
    private readonly engine: PipelineEngine,
    private readonly log: DecisionLog,
    private readonly sinks: readonly DecisionSink[],
    private readonly onDecisions: (records: readonly DecisionRecord[]) => void = () => {},
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

  private async process(job: Job): Promise<void> {
    try {
      const records = stepEngine(this.engine, job.input);
      if (records.length > 0) {
        await this.log.append(records);
        for (const sink of this.sinks) await sink.publish(records);
        this.onDecisions(records);
      }
      job.resolve(records);
    } catch (err) {
      job.reject(err);
    } finally {
      this.pending--;
    }
  }
}
