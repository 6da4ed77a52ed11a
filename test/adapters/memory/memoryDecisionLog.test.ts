import { describe, expect, it } from 'vitest';
import { MemoryDecisionLog } from '../../../src/adapters/memory/memoryDecisionLog.js';
import { trigger } from '../../contracts/fixtures.js';

/** Beyond the DecisionLog contract: the memory log's bound. */
describe('MemoryDecisionLog', () => {
  it('past maxEntries drops the oldest entries while sequence numbers keep counting', async () => {
    const log = new MemoryDecisionLog(3, 0);
    await log.append([trigger('a', 0), trigger('a', 1), trigger('a', 2)]);
    const [last] = await log.append([trigger('a', 3)]);
    expect(await log.size()).toBe(3);
    expect((await log.query({})).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(last?.seq).toBe(4);
  });

  it('numbers from the wall time it started at, so a log started later numbers after an earlier one', async () => {
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const before = await new MemoryDecisionLog(100_000, T0).append(Array.from({ length: 500 }, (_, i) => trigger('a', i)));
    expect(before[0]?.seq).toBe(T0 * 1000 + 1);
    const [after] = await new MemoryDecisionLog(100_000, T0 + 1).append([trigger('a', 0)]);
    expect(after!.seq).toBeGreaterThan(before[499]!.seq);
    expect(Number.isSafeInteger(after!.seq)).toBe(true);
  });
});
