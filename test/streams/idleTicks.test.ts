import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { idleTicks } from '../../src/streams/index.js';

describe('idleTicks (marbles)', () => {
  it('ticks every period of scheduler time, each carrying the time elapsed since the previous one', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ expectObservable }) => {
      const tick = { kind: 'tick', elapsedMs: 1000 };
      expectObservable(idleTicks(1000, scheduler), '^ 3500ms !').toBe('1000ms a 999ms a 999ms a', { a: tick });
    });
  });

  it('a subscriber that starts late still gets the elapsed time of each period, never the time before it subscribed', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ expectObservable }) => {
      expectObservable(idleTicks(250, scheduler), '500ms ^ 600ms !').toBe('500ms 250ms a 249ms a', { a: { kind: 'tick', elapsedMs: 250 } });
    });
  });
});
