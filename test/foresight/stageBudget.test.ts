import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord, TriggerRecord } from '../../src/core/decision.js';
import { formatRecord } from '../../src/core/decision.js';
import { validateBatch } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { mulberry32 } from '../../src/sim/random.js';
import { describeDecision } from '../../src/notify/describeDecision.js';
import { gaussian } from '../helpers/scenario.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const config = parseConfig({});

/** Lognormal stage time with the given median, log-sd 0.25. */
const lognormal = (rng: () => number, medianMs: number): number => Math.round(medianMs * Math.exp(0.25 * gaussian(rng)));

interface RouteSpec {
  readonly route: string;
  /** Median time per stage, ms; null: the calls carry no stage timings. */
  readonly stages: Readonly<Record<string, number>> | null;
  /** Median end-to-end latency when there are no stage timings, ms. */
  readonly latencyMs?: number;
  /** From this minute on, model inference takes this much longer (a slower model). */
  readonly slowdown?: { readonly fromMinute: number; readonly factor: number };
}

/** Wire events (what an app sends): 2 calls/s per route for `minutes`. */
function wireEvents(specs: readonly RouteSpec[], minutes: number, seed = 3): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  specs.forEach((spec, i) => {
    const rng = mulberry32(seed * 100 + i);
    for (let t = T0; t < T0 + minutes * 60_000; t += 500) {
      if (spec.stages === null) {
        out.push({ ts: t, route: spec.route, variant: 'v1', latency_ms: lognormal(rng, spec.latencyMs ?? 1000) });
        continue;
      }
      const slow = spec.slowdown !== undefined && t >= T0 + spec.slowdown.fromMinute * 60_000 ? spec.slowdown.factor : 1;
      const stage_ms: Record<string, number> = {};
      for (const [stage, median] of Object.entries(spec.stages)) stage_ms[stage] = lognormal(rng, stage === 'model_inference' ? median * slow : median);
      const latency_ms = Object.values(stage_ms).reduce((a, b) => a + b, 0);
      out.push({ ts: t, route: spec.route, variant: 'v1', latency_ms, stage_ms });
    }
  });
  return out.sort((a, b) => (a['ts'] as number) - (b['ts'] as number));
}

function replay(events: readonly Record<string, unknown>[], cfg = config): DecisionRecord[] {
  const engine = new PipelineEngine(cfg);
  const { events: valid, errors } = validateBatch(events);
  expect(errors).toEqual([]);
  const records: DecisionRecord[] = [];
  for (let i = 0; i < valid.length; i += 1000) records.push(...engine.ingest(valid.slice(i, i + 1000)));
  records.push(...engine.flush());
  return records;
}

const budgetTriggers = (records: readonly DecisionRecord[], route?: string): TriggerRecord[] =>
  (records as TriggerRecord[]).filter((r) => r.type === 'trigger' && r.rule === 'response_time_budget' && (route === undefined || r.route === route));

const HEALTHY = { prompt_processing: 400, model_inference: 1500, post_processing: 80 };

describe('response_time_budget by stage', () => {
  it('names the stage over its share: model inference slowing past its 2.5 s of the 5 s budget fires, the other stages and a healthy route stay quiet', () => {
    const records = replay(wireEvents([
      { route: 'slowing', stages: HEALTHY, slowdown: { fromMinute: 60, factor: 1.8 } },
      { route: 'healthy', stages: HEALTHY },
    ], 120));
    expect(budgetTriggers(records, 'healthy')).toEqual([]);
    const fired = budgetTriggers(records, 'slowing');
    expect(fired.map((r) => [(r.evidence as Record<string, unknown>).stage, r.state])).toEqual([['model_inference', 'firing']]);
    const record = fired[0]!;
    const evidence = record.evidence as Record<string, any>;
    console.log(`model_inference over its share ${((record.ts - T0) / 60_000 - 60).toFixed(1)} min after the slowdown; p95 ${record.value} ms vs ${record.threshold} ms; ${(evidence.share_over_budget * 100).toFixed(1)} % of ${evidence.samples} calls over`);
    expect(record.threshold).toBe(2500);
    expect(record.value).toBeGreaterThan(2500);
    expect(evidence.threshold_from).toEqual({ kind: 'budget', budget: 'budgets.response_time.allocation.model_inference', reference: 2500, margin_pct: 0 });
    expect(evidence.share_ci[0]).toBeGreaterThan(0.05);
    expect(describeDecision(record)).toMatch(/^slowing\/v1: p95 latency of stage model inference \S+ s is above 2\.50 s for 5 min \(\d+ calls\) — response_time_budget fires, warning$/);
    expect(record.ts).toBeGreaterThan(T0 + 60 * 60_000);
    expect(record.ts).toBeLessThan(T0 + 80 * 60_000);
    // End to end the route stays under its 5 s: the stage is named, never the end-to-end fallback.
    expect(budgetTriggers(records).some((r) => (r.evidence as Record<string, unknown>).stage === 'end_to_end')).toBe(false);
  });

  it('without stage timings judges the end-to-end p95 against total_ms (end_to_end: true; off by default)', () => {
    const events = wireEvents([
      { route: 'slow', stages: null, latencyMs: 4500 },
      { route: 'fast', stages: null, latencyMs: 1200 },
    ], 30);
    expect(budgetTriggers(replay(events))).toEqual([]);
    const records = replay(events, parseConfig({ budgets: { response_time: { end_to_end: true } } }));
    expect(budgetTriggers(records, 'fast')).toEqual([]);
    const fired = budgetTriggers(records, 'slow');
    expect(fired.map((r) => [(r.evidence as Record<string, unknown>).stage, r.state, r.threshold])).toEqual([['end_to_end', 'firing', 5000]]);
  });

  it('resolves when the stage is back within its share, and replays byte-identically', () => {
    const events = wireEvents([{ route: 'blip', stages: HEALTHY, slowdown: { fromMinute: 20, factor: 1.8 } }], 90)
      .map((e) => ((e['ts'] as number) >= T0 + 40 * 60_000 ? { ...e, stage_ms: { prompt_processing: 400, model_inference: 1500, post_processing: 80 }, latency_ms: 1980 } : e));
    const first = replay(events);
    expect(budgetTriggers(first).map((r) => r.state)).toEqual(['firing', 'resolved']);
    expect(replay(events).map(formatRecord)).toEqual(first.map(formatRecord));
  });

  it('a bad stage_ms is rejected naming the field; the rest of the batch goes on', () => {
    const { events, errors } = validateBatch([
      { ts: T0, route: 'r', variant: 'v', latency_ms: 100, stage_ms: { model_inference: -1 } },
      { ts: T0, route: 'r', variant: 'v', latency_ms: 100, stage_ms: 'fast' },
      { ts: T0, route: 'r', variant: 'v', latency_ms: 100, stage_ms: { model_inference: 90 } },
    ]);
    expect(errors.map((e) => [e.index, e.field])).toEqual([[0, 'stage_ms.model_inference'], [1, 'stage_ms']]);
    expect(events.map((e) => e.stageMs)).toEqual([{ model_inference: 90 }]);
  });
});
