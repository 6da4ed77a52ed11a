import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine, type PendingCardinality } from '../../src/engine/engine.js';

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
