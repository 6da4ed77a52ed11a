import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine, type PendingCardinality } from '../../src/engine/engine.js';
import { fullSeriesBytes, PROCESS_RESERVE_BYTES, seriesCapacity } from '../../src/engine/seriesMemory.js';

const T0 = 1_700_000_000_000;

function ev(route: string, variant = 'v', ts = T0): TelemetryEvent {
  return { ts, route, variant, latencyMs: 100, isError: false } as TelemetryEvent;
}

/** Admission as the ingest service does it: check every event, ingest the admitted ones. */
function post(engine: PipelineEngine, events: TelemetryEvent[], memoryTight = false): { accepted: number; problems: string[] } {
  const pending: PendingCardinality = { newRoutes: 0, variants: new Map(), memoryTight };
  const kept: TelemetryEvent[] = [];
  const problems: string[] = [];
  for (const e of events) {
    const problem = engine.cardinalityProblem(e.route, e.variant, pending);
    if (problem === null) kept.push(e);
    else problems.push(problem.message);
  }
  engine.ingest(kept);
  return { accepted: kept.length, problems };
}

const repeat = (n: number, f: (i: number) => TelemetryEvent) => Array.from({ length: n }, (_, i) => f(i));

describe('global series cap, probation and eviction', () => {
  it('limits.max_series caps (route, variant) pairs across routes once nothing is on probation', () => {
    const engine = new PipelineEngine(parseConfig({ limits: { max_series: 5, probation_events: 3 } }));
    for (let r = 0; r < 5; r++) expect(post(engine, repeat(3, () => ev(`real-${r}`))).accepted).toBe(3);
    const refused = post(engine, [ev('one-more')]);
    expect(refused.accepted).toBe(0);
    expect(refused.problems[0]).toContain('limits.max_series');
    expect(engine.seriesSizes()).toEqual({ series: 5, probationary: 0 });
  });

  it('a burst of junk routes cannot lock a real new route out, nor evict routes with traffic', () => {
    const engine = new PipelineEngine(parseConfig({ limits: { max_series: 100, probation_events: 5 } }));
    expect(post(engine, repeat(20, (i) => ev(`real-${i % 2}`))).accepted).toBe(20);
    // 10,000 junk names, one event each, from many clients (batches of 50; a single batch never
    // exceeds the cap on its own): the cap is hit at once, then junk evicts older junk
    let accepted = 0;
    for (let b = 0; b < 200; b++) accepted += post(engine, repeat(50, (i) => ev(`junk-${b * 50 + i}`))).accepted;
    expect(accepted).toBe(10_000);
    expect(engine.seriesSizes().series).toBeLessThanOrEqual(100);
    expect(engine.hasRoute('real-0') && engine.hasRoute('real-1')).toBe(true);
    // a real new route right after the burst gets in and stays through the next burst once it has traffic
    expect(post(engine, repeat(5, () => ev('real-new'))).accepted).toBe(5);
    for (let b = 0; b < 200; b++) post(engine, repeat(50, (i) => ev(`junk2-${b * 50 + i}`)));
    expect(engine.hasRoute('real-new')).toBe(true);
    expect(engine.counters.evicted).toBeGreaterThanOrEqual(19_900);
    expect(engine.stateSizes().routes).toBeLessThanOrEqual(100);
  });

  it('limits.max_routes evicts probationary routes the same way', () => {
    const engine = new PipelineEngine(parseConfig({ limits: { max_routes: 10, probation_events: 2 } }));
    post(engine, repeat(100, (i) => ev(`junk-${i}`)));
    expect(engine.stateSizes().routes).toBe(10);
    expect(post(engine, [ev('real'), ev('real')]).accepted).toBe(2);
    expect(engine.hasRoute('real')).toBe(true);
  });

  it('routes declared in the config are always admitted, even at every cap', () => {
    const engine = new PipelineEngine(parseConfig({ limits: { max_series: 2, max_routes: 2, probation_events: 1 }, routes: { checkout: { variants: [{ name: 'v' }] } } }));
    post(engine, [ev('a'), ev('b')]);
    expect(post(engine, [ev('c')]).accepted).toBe(0);
    expect(post(engine, [ev('checkout')], true).accepted).toBe(1);
    expect(engine.hasRoute('checkout')).toBe(true);
  });

  it('over the memory budget a new series only takes an evicted one\'s place', () => {
    const engine = new PipelineEngine(parseConfig({ limits: { probation_events: 3 } }));
    post(engine, [ev('junk')]);
    post(engine, repeat(3, () => ev('real')));
    expect(post(engine, [ev('new-1')], true).accepted).toBe(1); // evicts 'junk'
    expect(engine.hasRoute('junk')).toBe(false);
    expect(post(engine, [ev('new-2')], true).accepted).toBe(1); // evicts 'new-1'
    const refused = post(engine, [ev('new-3'), ev('new-4')], true);
    expect(refused.accepted).toBe(1); // new-2 goes for new-3; nothing left for new-4
    expect(refused.problems[0]).toContain('memory budget');
    expect(engine.seriesSizes().series).toBe(2);
  });
});

describe('admission by the memory a series takes once its window is full', () => {
  /** A budget that holds exactly `n` series with full windows beside the process's reserve and a 1-entry history. */
  const budgetFor = (n: number) => ({ limits: { memory_budget_bytes: PROCESS_RESERVE_BYTES + 480 + n * fullSeriesBytes(parseConfig({}).time), probation_events: 2 }, monitoring: { history: { max_entries: 1 } } });

  it('the budget holds a number of full series, fewer with a longer window', () => {
    const defaults = parseConfig({});
    // 34 buckets of ~2.3 KB plus 8 KB: about 85 KB a series; the default 768 MiB holds about 6,800 of them
    expect(fullSeriesBytes(defaults.time)).toBeGreaterThan(80 * 1024);
    expect(seriesCapacity(defaults)).toBeGreaterThan(6_000);
    expect(seriesCapacity(defaults)).toBeLessThan(8_000);
    expect(seriesCapacity(parseConfig({ time: { window: '15m' } }))).toBeLessThan(seriesCapacity(defaults) / 2);
    expect(seriesCapacity(parseConfig(budgetFor(5)))).toBe(5);
    expect(seriesCapacity(parseConfig({ limits: { memory_budget_bytes: 64 * 1024 * 1024 } }))).toBe(0);
    expect(seriesCapacity(parseConfig({ limits: { max_series: 10 } }))).toBe(10);
  });

  it('refuses new series once the live ones would fill the budget with full windows, whatever memory they take now', () => {
    const engine = new PipelineEngine(parseConfig(budgetFor(5)));
    for (let r = 0; r < 5; r++) expect(post(engine, repeat(2, () => ev(`busy-${r}`))).accepted).toBe(2);
    const refused = post(engine, [ev('sixth'), ev('sixth')]);
    expect(refused.accepted).toBe(0);
    expect(refused.problems[0]).toMatch(/^memory budget full: 5 series with full windows \(about \d+ KB each\) fill limits\.memory_budget_bytes/);
    expect(engine.memoryAdmission()).toMatchObject({ capacity: 5, series: 5, refused: 2 });
    // events of the admitted series still count
    expect(post(engine, repeat(3, () => ev('busy-0'))).accepted).toBe(3);
  });

  it('a budget that admits no series says so, not "until one retires" (none ever will)', () => {
    const engine = new PipelineEngine(parseConfig({ limits: { memory_budget_bytes: 100_000_000 } }));
    const refused = post(engine, [ev('first')]);
    expect(refused.accepted).toBe(0);
    expect(refused.problems[0]).toMatch(/^memory budget admits no series: limits\.memory_budget_bytes 100000000 is under what the process reserves/);
    expect(refused.problems[0]).not.toContain('until one retires');
  });

  it('junk on probation gives way to a new series once its route has been idle a bucket, and declared routes are admitted past the budget', () => {
    const engine = new PipelineEngine(parseConfig({ ...budgetFor(3), routes: { checkout: { variants: [{ name: 'v' }] } } }));
    for (let r = 0; r < 2; r++) post(engine, repeat(2, () => ev(`busy-${r}`)));
    post(engine, [ev('junk')]);
    expect(post(engine, [ev('real')]).accepted).toBe(0);
    engine.advanceIdle(1); // the first tick only notes that every route was just touched
    engine.advanceIdle(10_000);
    expect(post(engine, repeat(2, () => ev('real'))).accepted).toBe(2);
    expect(engine.hasRoute('junk')).toBe(false);
    expect(post(engine, [ev('checkout')]).accepted).toBe(1);
    expect(engine.memoryAdmission()).toMatchObject({ capacity: 3, series: 4 });
  });

  it('more busy series than the budget holds: the newcomers are refused, the admitted ones are never evicted for them', () => {
    const engine = new PipelineEngine(parseConfig({ ...budgetFor(50), limits: { ...budgetFor(50).limits, probation_events: 10 } }));
    // 200 series, one call each per 5 s round, round after round (none idle a 10 s bucket): the first 50 stay
    let accepted = 0;
    for (let round = 0; round < 12; round++) accepted += post(engine, repeat(200, (i) => ev(`busy-${i}`, 'v', T0 + round * 5_000))).accepted;
    expect(accepted).toBe(50 * 12);
    expect(engine.counters.evicted).toBe(0);
    expect(engine.memoryAdmission()).toMatchObject({ capacity: 50, series: 50, refused: 150 * 12 });
    expect(engine.seriesSizes().probationary).toBe(0);
  });

  it('at the memory capacity a new series arriving with probation_events calls in one batch evicts junk at once (real traffic never waits for it to idle)', () => {
    const engine = new PipelineEngine(parseConfig(budgetFor(3)));
    const limits = { memoryTight: false, onRefused: () => {} };
    for (let r = 0; r < 3; r++) engine.ingest([ev(`junk-${r}`)], { limits });
    // one call of a new name waits; two (probation_events) in one batch get in, evicting the oldest junk
    engine.ingest([ev('one-call')], { limits });
    expect(engine.hasRoute('one-call')).toBe(false);
    engine.ingest([ev('real'), ev('other'), ev('real')], { limits });
    expect(engine.hasRoute('real') && !engine.hasRoute('junk-0')).toBe(true);
    expect(engine.hasRoute('other')).toBe(false);
  });
});
