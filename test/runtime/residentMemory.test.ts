import { describe, expect, it } from 'vitest';
import { listenBacklog } from '../../src/runtime/connectionLimit.js';
import { sampledRss } from '../../src/runtime/residentMemory.js';

describe('sampledRss', () => {
  it('reads RSS at most once per maxAgeMs and returns the last reading in between', () => {
    let nowMs = 0;
    let reads = 0;
    const rss = sampledRss(100, () => ++reads * 1_000, () => nowMs);
    expect(rss()).toBe(1_000);
    nowMs = 99;
    expect(rss()).toBe(1_000);
    nowMs = 100;
    expect(rss()).toBe(2_000);
    expect(reads).toBe(2);
  });

  it('reads the real RSS by default', () => {
    expect(sampledRss()()).toBeGreaterThan(1024 * 1024);
  });
});

describe('listenBacklog', () => {
  it('has room for every connection the daemon serves, probes included, and never less than Node’s 511', () => {
    expect(listenBacklog(10_000, 64)).toBe(10_064);
    expect(listenBacklog(100, 4)).toBe(511);
  });
});
