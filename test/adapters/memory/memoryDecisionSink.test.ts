import { describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../../src/adapters/memory/memoryDecisionSink.js';
import type { DecisionRecord } from '../../../src/core/decision.js';
import { InvariantError } from '../../../src/core/errors.js';
import { mixedRecords, trigger } from '../../contracts/fixtures.js';

/** Beyond the DecisionSink contract: what the memory sink promises on its own. */
describe('MemoryDecisionSink', () => {
  it('keeps records in publish order across routes and hands each batch to the subscriber', async () => {
    const seen: (readonly DecisionRecord[])[] = [];
    const sink = new MemoryDecisionSink({ onPublish: (records) => void seen.push(records) });
    await sink.publish(mixedRecords().slice(0, 4));
    await sink.publish([]);
    await sink.publish(mixedRecords().slice(4));
    expect(sink.records).toEqual(mixedRecords());
    expect(seen.map((b) => b.length)).toEqual([4, 2]);
  });

  it('a failing subscriber fails publish and keeps nothing, so a retry neither loses nor duplicates', async () => {
    let failNext = true;
    const sink = new MemoryDecisionSink({
      onPublish: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('webhook down');
        }
      },
    });
    const batch = [trigger('support', 0), trigger('billing', 1)];
    await expect(sink.publish(batch)).rejects.toThrow('webhook down');
    expect(sink.records).toEqual([]);
    await sink.publish(batch);
    expect(sink.records).toEqual(batch);
  });

  it('rejects publish after close; what was published stays readable', async () => {
    const sink = new MemoryDecisionSink();
    await sink.publish([trigger('support', 0)]);
    await sink.close();
    expect(sink.isClosed).toBe(true);
    await expect(sink.publish([trigger('support', 1)])).rejects.toBeInstanceOf(InvariantError);
    expect(sink.records).toEqual([trigger('support', 0)]);
  });
});
