import { map, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { InvariantError, OverloadedError, TransientIoError } from '../../src/core/errors.js';
import type { EventRejection } from '../../src/core/event.js';
import type { IngestOutcome, SourceBatch } from '../../src/ports/ports.js';
import { ingestBatches, type BatchResult } from '../../src/streams/ingestBatches.js';
import { event } from '../contracts/fixtures.js';

/** A batch whose commit and dead-letter calls are noted (with the virtual time) instead of done. */
function batch(name: string): SourceBatch & { readonly name: string } {
  return { name, events: [event(name.charCodeAt(0), name)], rejected: [], commit: async () => {} };
}

const ok: IngestOutcome = { accepted: 1, errors: [] };
const refused: EventRejection = { index: 0, field: 'ts', message: 'too_late: …' };

function setup(): { scheduler: TestScheduler; log: string[] } {
  return { scheduler: new TestScheduler((actual, expected) => expect(actual).toEqual(expected)), log: [] };
}

/** Results as letters for marble comparison: c(ommitted) / s(kipped) / h(alted) + the batch name. */
const label = (r: BatchResult): string => `${r.kind[0]}${(r.batch as ReturnType<typeof batch>).name}`;

describe('ingestBatches (marbles)', () => {
  it('one batch at a time, in order: the next ingest starts only once the previous batch is committed', () => {
    const { scheduler, log } = setup();
    scheduler.run(({ cold, hot, expectObservable }) => {
      const a = batch('a');
      const b = batch('b');
      const source = hot('-a-b|', { a, b });
      const results = source.pipe(
        ingestBatches({
          ingest: (events) => {
            log.push(`ingest ${events[0]!.route} @${scheduler.now()}`);
            return cold('---x|', { x: ok });
          },
          commit: (done) => (log.push(`commit ${(done as typeof a).name} @${scheduler.now()}`), cold('|')),
        }, scheduler),
      );
      expectObservable(results.pipe(mapLabel())).toBe('----a---b|', { a: 'ca', b: 'cb' });
    });
    expect(log).toEqual(['ingest a @1', 'commit a @4', 'ingest b @5', 'commit b @8']);
  });

  it('dead-letters refused events before committing', () => {
    const { scheduler, log } = setup();
    scheduler.run(({ cold, expectObservable }) => {
      const results = cold('a|', { a: batch('a') }).pipe(
        ingestBatches({
          ingest: () => cold('x|', { x: { accepted: 0, errors: [refused] } }),
          deadLetter: (_b, rejections) => (log.push(`dead-letter ${rejections.length} @${scheduler.now()}`), cold('--|')),
          commit: () => (log.push(`commit @${scheduler.now()}`), cold('|')),
        }, scheduler),
      );
      expectObservable(results.pipe(mapLabel())).toBe('--(a|)', { a: 'ca' });
    });
    expect(log).toEqual(['dead-letter 1 @0', 'commit @2']);
  });

  it('retries a transiently failing batch after the backoff (virtual time), uncommitted meanwhile', () => {
    const { scheduler, log } = setup();
    scheduler.run(({ cold, expectObservable }) => {
      let attempts = 0;
      const results = cold('a|', { a: batch('a') }).pipe(
        ingestBatches({
          ingest: () => (++attempts < 3 ? cold('-#', undefined, attempts === 1 ? new TransientIoError('store away') : new OverloadedError('queue full')) : cold('x|', { x: ok })),
          backoffMs: (attempt) => attempt * 10,
          onRetry: (err, attempt) => log.push(`retry ${attempt} @${scheduler.now()}: ${(err as Error).message}`),
          commit: () => (log.push(`commit @${scheduler.now()}`), cold('|')),
        }, scheduler),
      );
      // fails at 1, waits 10, fails at 12, waits 20, succeeds at 32
      expectObservable(results.pipe(mapLabel())).toBe('32ms a|', { a: 'ca' });
    });
    expect(log).toEqual(['retry 1 @1: store away', 'retry 2 @12: queue full', 'commit @32']);
  });

  it('retryNow$ (the queue drained) ends a retry wait at once and starts the backoff over', () => {
    const { scheduler, log } = setup();
    scheduler.run(({ cold, hot, expectObservable }) => {
      let attempts = 0;
      const results = cold('a|', { a: batch('a') }).pipe(
        ingestBatches({
          ingest: () => (log.push(`ingest @${scheduler.now()}`), ++attempts < 3 ? cold('-#', undefined, new OverloadedError('queue full')) : cold('x|', { x: ok })),
          backoffMs: (failures) => failures * 100,
          // the queue drains at 50, while the batch waits for its retry at 101
          retryNow$: hot('50ms d', { d: undefined }),
          commit: () => (log.push(`commit @${scheduler.now()}`), cold('|')),
        }, scheduler),
      );
      // fails at 1 (wait 100), woken at 50, fails at 51 (wait 100 again, not 200), succeeds at 151
      expectObservable(results.pipe(mapLabel())).toBe('151ms a|', { a: 'ca' });
    });
    expect(log).toEqual(['ingest @0', 'ingest @50', 'ingest @151', 'commit @151']);
  });

  it('a batch failing for good is committed past and the stream goes on; nothing errors', () => {
    const { scheduler, log } = setup();
    scheduler.run(({ cold, expectObservable }) => {
      const results = cold('ab|', { a: batch('a'), b: batch('b') }).pipe(
        ingestBatches({
          ingest: (events) => (events[0]!.route === 'a' ? cold('#', undefined, new TypeError('bug')) : cold('x|', { x: ok })),
          commit: (b) => (log.push(`commit ${(b as ReturnType<typeof batch>).name}`), cold('|')),
        }, scheduler),
      );
      expectObservable(results.pipe(mapLabel())).toBe('ab|', { a: 'sa', b: 'cb' });
    });
    expect(log).toEqual(['commit a', 'commit b']);
  });

  it('once the pipeline has stopped, a failing batch is neither retried nor committed', () => {
    const { scheduler, log } = setup();
    scheduler.run(({ cold, expectObservable }) => {
      const results = cold('a|', { a: batch('a') }).pipe(
        ingestBatches({
          ingest: () => cold('#', undefined, new InvariantError('pipeline stopped')),
          halted: () => true,
          onRetry: () => log.push('retry'),
          commit: () => (log.push('commit'), cold('|')),
        }, scheduler),
      );
      expectObservable(results.pipe(mapLabel())).toBe('a|', { a: 'ha' });
    });
    expect(log).toEqual([]);
  });

  it('a batch whose effects are held is committed once they are written; the next batch goes on meanwhile', () => {
    const { scheduler, log } = setup();
    scheduler.run(({ cold, hot, expectObservable }) => {
      const a = batch('a');
      const b = batch('b');
      const source = hot('-a-b|', { a, b });
      let asked = 0;
      const results = source.pipe(
        ingestBatches({
          ingest: (events) => {
            log.push(`ingest ${events[0]!.route} @${scheduler.now()}`);
            return cold('---x|', { x: ok });
          },
          // a's decisions are held (the store is away) until frame 10; b's were written at once.
          held: () => (asked++ === 0 ? cold('------|') : null),
          commit: (done) => (log.push(`commit ${(done as typeof a).name} @${scheduler.now()}`), cold('|')),
        }, scheduler),
      );
      expectObservable(results.pipe(mapLabel())).toBe('--------b-(a|)', { a: 'ca', b: 'cb' });
    });
    expect(log).toEqual(['ingest a @1', 'ingest b @5', 'commit b @8', 'commit a @10']);
  });

  it('a batch whose held effects cannot be written is left uncommitted (halted), for a redelivery to derive them again', () => {
    const { scheduler, log } = setup();
    scheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('-a|', { a: batch('a') });
      const results = source.pipe(
        ingestBatches({
          ingest: () => cold('x|', { x: ok }),
          held: () => cold('--#', {}, new TransientIoError('redis away')),
          commit: () => (log.push('commit'), cold('|')),
        }, scheduler),
      );
      expectObservable(results.pipe(mapLabel())).toBe('---(a|)', { a: 'ha' });
    });
    expect(log).toEqual([]);
  });
});

function mapLabel(): OperatorFunction<BatchResult, string> {
  return map(label);
}
