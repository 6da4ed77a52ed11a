import { describe, expect, it } from 'vitest';
import { MemoryDecisionLog } from '../../../src/adapters/memory/memoryDecisionLog.js';
import { trigger } from '../../contracts/fixtures.js';

/** Beyond the DecisionLog contract: the memory log's bound. */
describe('MemoryDecisionLog', () => {
  it('past maxEntries drops the oldest entries while sequence numbers keep counting', async () => {
    const log = new MemoryDecisionLog(3);
    await log.append([trigger('a', 0), trigger('a', 1), trigger('a', 2)]);
    const [last] = await log.append([trigger('a', 3)]);
    expect(await log.size()).toBe(3);
    expect((await log.query({})).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(last?.seq).toBe(4);
  });
});
