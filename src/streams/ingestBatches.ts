import { asyncScheduler, catchError, concat, concatMap, defer, EMPTY, from, ignoreElements, map, mergeMap, NEVER, of, race, retry, take, tap, timer, type Observable, type ObservableInput, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { PromptpilotError } from '../core/errors.js';
import type { EventRejection, TelemetryEvent } from '../core/event.js';
import type { IngestOutcome, SourceBatch } from '../ports/ports.js';

/** What became of one source batch. */
export type BatchResult =
  /** Ingested; its refused events dead-lettered; its offsets committed. */
  | { readonly kind: 'committed'; readonly batch: SourceBatch; readonly outcome: IngestOutcome }
  /** Failed in a way retrying cannot fix (a bug, poison the validators missed): committed past, so its partition goes on. */
  | { readonly kind: 'skipped'; readonly batch: SourceBatch; readonly error: unknown }
  /** The pipeline itself stopped, or its held effects could not be made durable: left uncommitted for the next owner. */
  | { readonly kind: 'halted'; readonly batch: SourceBatch; readonly error: unknown };

/** Options of {@link ingestBatches}. */
export interface IngestBatchesOptions {
  /** The ingest use case: the batch's events in, the outcome out. */
  readonly ingest: (events: readonly TelemetryEvent[]) => ObservableInput<IngestOutcome>;
  /** Wait before retry `attempt` (1, 2, …) of a batch that failed transiently, ms (default 500 ms doubling, at most 30 s). */
  readonly backoffMs?: (attempt: number) => number;
  /** True once the pipeline stopped for good: a failing batch is then neither retried nor committed. */
  readonly halted?: () => boolean;
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /**
   * Emits when what refused a batch can take one now (the pipeline queue
   * drained): a batch waiting for its retry tries at once instead of after the
   * rest of its backoff, and its backoff starts over.
   */
  readonly retryNow$?: Observable<unknown>;
  /** Commits a batch (default `batch.commit()`). */
  readonly commit?: (batch: SourceBatch) => ObservableInput<unknown>;
  /** Dead-letters a batch's refused events (default `batch.deadLetter`). */
  readonly deadLetter?: (batch: SourceBatch, rejections: readonly EventRejection[]) => ObservableInput<unknown>;
  /**
   * Asked once a batch is ingested: null when its effects are durable, else
   * what completes once the effects still held in memory (decisions, outbox
   * messages, route states kept while their store is away) are written. The
   * batch is committed only then, and the batches after it go on meanwhile
   * (their commits wait behind it: a source commits a partition in order).
   */
  readonly held?: () => ObservableInput<unknown> | null;
}

/** A batch ingested: its result now, or once its held effects are durable and it is committed. */
type Ingested = { readonly now: BatchResult } | { readonly later: Observable<BatchResult> };

/** The default backoff between retries of a batch: 500 ms, doubling, at most 30 s. */
export function batchBackoffMs(attempt: number): number {
  return Math.min(30_000, 250 * 2 ** attempt);
}

/**
 * Drives a source's batches through the ingest use case one at a time, in
 * order (`concatMap`): ingest → dead-letter what was refused → commit. A
 * batch is committed only after its events were taken, so a crash replays
 * it (at-least-once). A transient failure (retriable error: a store or broker
 * away, the queue full) retries the whole batch after `backoffMs` on the
 * injected scheduler (or at once when `retryNow$` emits), its offsets uncommitted meanwhile; anything else is
 * committed past (`skipped`) unless the pipeline stopped (`halted`). A batch
 * whose effects are `held` in memory is committed once they are written,
 * without holding up the next batches: a crash before then redelivers it and
 * its decisions are derived again. Never errors.
 */
export function ingestBatches(options: IngestBatchesOptions, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<SourceBatch, BatchResult> {
  const backoffMs = options.backoffMs ?? batchBackoffMs;
  const commit = options.commit ?? ((batch: SourceBatch) => batch.commit());
  const deadLetter = options.deadLetter ?? ((batch: SourceBatch, rejections: readonly EventRejection[]) => batch.deadLetter?.(rejections) ?? EMPTY);
  const quietly = (work: () => ObservableInput<unknown>) => defer(work).pipe(ignoreElements());
  const commitLater = (batch: SourceBatch, outcome: IngestOutcome, held: ObservableInput<unknown>): Observable<BatchResult> =>
    concat(
      from(held).pipe(ignoreElements()),
      quietly(() => commit(batch)).pipe(catchError(() => EMPTY)),
      of<BatchResult>({ kind: 'committed', batch, outcome }),
    ).pipe(catchError((error: unknown) => of<BatchResult>({ kind: 'halted', batch, error })));
  const settle = (batch: SourceBatch, outcome: IngestOutcome): Observable<Ingested> => {
    const held = options.held?.() ?? null;
    if (held !== null) return of<Ingested>({ later: commitLater(batch, outcome, held) });
    return concat(quietly(() => commit(batch)), of<Ingested>({ now: { kind: 'committed', batch, outcome } }));
  };
  const retryNow$ = options.retryNow$ ?? NEVER;
  const ingestOne = (batch: SourceBatch): Observable<Ingested> => {
    /** Failures since the batch's last retry woken by `retryNow$`: what its backoff grows with. */
    let failures = 0;
    return defer(() => options.ingest(batch.events)).pipe(
      concatMap((outcome) => concat(outcome.errors.length > 0 ? quietly(() => deadLetter(batch, outcome.errors)) : EMPTY, defer(() => settle(batch, outcome)))),
      retry({
        delay: (error: unknown, attempt) => {
          if (!(error instanceof PromptpilotError && error.retriable) || options.halted?.() === true) throw error;
          options.onRetry?.(error, attempt);
          failures++;
          const woken$ = retryNow$.pipe(map(() => true));
          return race(timer(backoffMs(failures), scheduler).pipe(map(() => false)), woken$).pipe(
            take(1),
            tap((woken) => {
              if (woken) failures = 0;
            }),
          );
        },
      }),
      catchError((error: unknown) => {
        if (options.halted?.() === true) return of<Ingested>({ now: { kind: 'halted', batch, error } });
        // In-order commits: a batch never committed would stall every later one of its partition.
        return concat(quietly(() => commit(batch)).pipe(catchError(() => EMPTY)), of<Ingested>({ now: { kind: 'skipped', batch, error } }));
      }),
    );
  };
  // Held commits wait side by side (mergeMap); their number is bounded by the source's uncommitted-events pause.
  return (batches$) => batches$.pipe(concatMap(ingestOne), mergeMap((step) => ('now' in step ? of(step.now) : step.later)));
}
