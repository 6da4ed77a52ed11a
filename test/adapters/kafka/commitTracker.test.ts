import { describe, expect, it } from 'vitest';
import { CommitTracker, type OffsetToCommit } from '../../../src/adapters/kafka/commitTracker.js';

function tracker(failNext = { count: 0 }) {
  const commits: OffsetToCommit[][] = [];
  const errors: unknown[] = [];
  const t = new CommitTracker(
    async (offsets) => {
      if (failNext.count > 0) {
        failNext.count--;
        throw new Error('broker down');
      }
      commits.push([...offsets]);
    },
    (err) => errors.push(err),
  );
  return { t, commits, errors };
}

describe('CommitTracker', () => {
  it('commits a partition past a batch only when every earlier batch of it is done', async () => {
    const { t, commits } = tracker();
    const first = t.deliver('events', 0, 9, 10);
    const second = t.deliver('events', 0, 19, 10);
    expect(t.inFlightEvents).toBe(20);
    await second();
    expect(commits).toEqual([]);
    expect(t.inFlightEvents).toBe(10);
    await first();
    expect(commits).toEqual([[{ topic: 'events', partition: 0, nextOffset: 20 }]]);
    expect(t.inFlightEvents).toBe(0);
  });

  it('keeps a failed commit and sends it with the next one', async () => {
    const fail = { count: 1 };
    const { t, commits, errors } = tracker(fail);
    await t.deliver('events', 1, 4, 5)();
    expect(errors).toHaveLength(1);
    await t.deliver('otlp', 2, 7, 1)();
    expect(commits).toEqual([[{ topic: 'events', partition: 1, nextOffset: 5 }, { topic: 'otlp', partition: 2, nextOffset: 8 }]]);
  });

  it('remembers the highest delivered offset per partition, for skipping re-fetched messages', () => {
    const { t } = tracker();
    expect(t.deliveredThrough('events', 0)).toBe(-1);
    t.deliver('events', 0, 41, 3);
    expect(t.deliveredThrough('events', 0)).toBe(41);
    expect(t.deliveredThrough('events', 1)).toBe(-1);
  });

  it('forgets revoked partitions: their events stop counting as in flight and their commits become no-ops', async () => {
    const { t, commits } = tracker();
    const revoked = t.deliver('events', 3, 9, 10);
    const kept = t.deliver('events', 0, 4, 5);
    t.retain({ events: [0, 1] });
    expect(t.inFlightEvents).toBe(5);
    await revoked();
    await kept();
    expect(commits).toEqual([[{ topic: 'events', partition: 0, nextOffset: 5 }]]);
    expect(t.deliveredThrough('events', 3)).toBe(-1);
  });

  it('drain resolves once every batch is committed, and commits each batch once however often commit is called', async () => {
    const { t, commits } = tracker();
    const commit = t.deliver('events', 0, 0, 1);
    const drained = t.drain(60_000);
    await commit();
    await commit();
    await drained;
    expect(commits).toEqual([[{ topic: 'events', partition: 0, nextOffset: 1 }]]);
  });
});
