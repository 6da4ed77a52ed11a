import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { makeEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { runEngine, type PipelineInput } from '../../src/streams/index.js';
import { action } from '../contracts/fixtures.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');

describe('runEngine (marbles)', () => {
  it('one array of decision records per input, in input order, at the input\'s time; errors of the engine step travel as stream errors', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const engine = new PipelineEngine(parseConfig({}));
    const manual = action('support', 0);
    const inputs: Record<string, PipelineInput> = {
      e: { kind: 'events', events: [makeEvent(T0, 'support', 'v1', 900)] },
      c: { kind: 'command', run: () => [manual] },
      t: { kind: 'tick', elapsedMs: 1000 },
      x: { kind: 'command', run: () => { throw new Error('bug in a command'); } },
    };
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-e-c--t|', inputs).pipe(runEngine(engine))).toBe('-a-b--a|', { a: [], b: [manual] });
      expectObservable(cold('-e-x-t|', inputs).pipe(runEngine(engine))).toBe('-a-#', { a: [] }, new Error('bug in a command'));
    });
    expect(engine.counters.accepted).toBe(2);
  });
});
