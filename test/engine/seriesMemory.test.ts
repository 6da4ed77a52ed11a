import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { describeSeriesCapacity, seriesCapacity } from '../../src/engine/seriesMemory.js';

describe('describeSeriesCapacity (the start-up line on the memory budget)', () => {
  it('a budget under the reserve says why it admits nothing and what would admit 100 series (it said only "admits 0 series")', () => {
    const config = parseConfig({ limits: { memory_budget_bytes: 100_000_000 } });
    expect(seriesCapacity(config)).toBe(0);
    const text = describeSeriesCapacity(config);
    expect(text).toContain('memory budget admits 0 series');
    expect(text).toContain('limits.memory_budget_bytes (95 MiB) less the process\'s reserve (160 MiB) and the history cap (46 MiB');
    expect(text).toMatch(/100 series need (\d+) MiB/);
    const needed = Number(/100 series need (\d+) MiB/.exec(text)![1]) * 2 ** 20;
    expect(seriesCapacity(parseConfig({ limits: { memory_budget_bytes: needed } }))).toBeGreaterThanOrEqual(100);
    expect(text).toContain('Routes declared under routes: are admitted regardless');
  });

  it('the default budget: the count alone', () => {
    expect(describeSeriesCapacity(parseConfig({}))).toBe('memory budget admits 6813 series with full windows (about 85 KB each)');
  });
});
