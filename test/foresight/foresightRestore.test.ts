import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_RULES, type Config } from '../../src/config/schema.js';
import { formatRecord, type DecisionRecord, type TriggerRecord } from '../../src/core/decision.js';
import { validateBatch, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { decodeRouteCheckpoint } from '../../src/engine/routeCheckpoint.js';
import { MemoryHistoryStore } from '../../src/foresight/memoryHistoryStore.js';
import { mulberry32 } from '../../src/sim/random.js';
import { gaussian } from '../helpers/scenario.js';
import { DAY, HOUR, SeasonalTraffic, START, type SeasonalRoute } from '../helpers/seasonalTraffic.js';

// Continuous-monitoring state in route checkpoints (issue 10): an engine restored from its routes'
// checkpoints (and the history its store kept) decides exactly as the original from then on — an
// anomaly, forecast or stage-budget episode open at the cut goes on (no second `firing`, and it
// resolves), and the weekly trend in progress and the hours not yet sealed come back whole.

/** What the daemon does on a restart or takeover: the history from the store, the control state, each route's checkpoint. */
function restoredCopy(from: PipelineEngine): PipelineEngine {
  const limits = { retentionMs: from.config.monitoring.history.retention, maxRoutes: from.config.monitoring.history.max_routes };
  const history = new MemoryHistoryStore(limits);
  for (const route of from.foresight.history.routes()) for (const hour of from.foresight.history.hours(route, -Infinity, Infinity)) history.append(route, hour);
  const to = new PipelineEngine(from.config, { history });
  for (const route of from.routeNames()) to.experiments.importRoute(route, JSON.parse(JSON.stringify(from.experiments.exportRoute(route))));
  for (const route of from.routeNames()) to.restoreRoute(route, from.checkpointRoute(route)!);
  return to;
}

const lines = (records: readonly DecisionRecord[]): string[] => records.map(formatRecord);
const triggers = (records: readonly DecisionRecord[], rule: string): TriggerRecord[] =>
  records.filter((r): r is TriggerRecord => r.type === 'trigger' && r.rule === rule);

/** Feeds `chunks` (one input each) from `from` on; the decisions, flushed at the end. */
function run(engine: PipelineEngine, chunks: readonly (readonly TelemetryEvent[])[], from: number): DecisionRecord[] {
  const out: DecisionRecord[] = [];
  for (let i = from; i < chunks.length; i++) out.push(...engine.ingest(chunks[i]!));
  out.push(...engine.flush());
  return out;
}

/**
 * Runs `chunks` through one engine and, at each cut, through a copy restored
 * from its checkpoints: every copy's decisions after its cut equal the
 * original's, record for record. Returns the original's decisions and, per
 * cut, the episodes open then.
 */
function restoreAtCuts(config: Config, chunks: readonly (readonly TelemetryEvent[])[], cuts: readonly number[]): { whole: DecisionRecord[]; openAtCut: string[][] } {
  const original = new PipelineEngine(config);
  const perChunk: DecisionRecord[][] = [];
  const openAtCut: string[][] = [];
  const copies: { readonly cut: number; readonly records: DecisionRecord[] }[] = [];
  let at = 0;
  for (const cut of cuts) {
    for (; at < cut; at++) perChunk.push(original.ingest(chunks[at]!));
    openAtCut.push(openEpisodes(perChunk.flat()));
    const copy = restoredCopy(original);
    for (const route of original.routeNames()) expect(copy.foresight.lastTrend(route)).toEqual(original.foresight.lastTrend(route));
    copies.push({ cut, records: run(copy, chunks, cut) });
  }
  for (; at < chunks.length; at++) perChunk.push(original.ingest(chunks[at]!));
  const flushed = original.flush();
  for (const { cut, records } of copies) {
    const expected = lines([...perChunk.slice(cut).flat(), ...flushed]);
    expect(lines(records).length).toBe(expected.length);
    expect(lines(records)).toEqual(expected);
  }
  return { whole: [...perChunk.flat(), ...flushed], openAtCut };
}

/** `route/rule/metric-or-stage` of each episode firing and not yet resolved at the end of `records`. */
function openEpisodes(records: readonly DecisionRecord[]): string[] {
  const open = new Set<string>();
  for (const r of records) {
    if (r.type !== 'trigger') continue;
    const key = `${r.route}/${r.rule}/${String((r.evidence as { stage?: string } | undefined)?.stage ?? r.metric)}`;
    if (r.state === 'firing') open.add(key);
    else open.delete(key);
  }
  return [...open].sort();
}

describe('foresight state in route checkpoints', () => {
  it('an anomaly and a forecast episode open at a restart go on: no second firing, they resolve, every later record as without the restart; the weekly trend survives', () => {
    const config = parseConfig({
      time: { bucket: '1m', window: '5m' },
      rules: DEFAULT_RULES.map((r) => ({ name: r.name, enabled: false })),
    });
    const jumpAt = 8 * DAY + 14 * HOUR;
    const routes: SeasonalRoute[] = [
      { route: 'flaky', ratePerSecond: 0.3, medianMs: 900, latencyCycle: 0.3, trafficCycle: 0.5, errorRate: 0.005, errorJump: { atMs: jumpAt, forMs: 3 * HOUR, rate: 0.05 }, costUsd: 0.01 },
      { route: 'drifting', ratePerSecond: 0.2, medianMs: 700, latencyCycle: 0.3, trafficCycle: 0.5, latencyDriftPctPerDay: 4 },
    ];
    const traffic = new SeasonalTraffic(routes, 1);
    const chunks: TelemetryEvent[][] = [];
    for (let t = START + HOUR; t <= START + 11 * DAY; t += HOUR) chunks.push(traffic.until(t));
    const hourIndex = (ms: number): number => Math.round(ms / HOUR) - 1;
    const cuts = [hourIndex(jumpAt + 2 * HOUR), hourIndex(10 * DAY + 12 * HOUR)];
    const { whole, openAtCut } = restoreAtCuts(config, chunks, cuts);
    console.log(`episodes open at the cuts: ${JSON.stringify(openAtCut)}`);
    expect(openAtCut[0]).toContain('flaky/anomaly/error_rate');
    expect(openAtCut.flat().some((k) => k.startsWith('drifting/predictive_degradation/'))).toBe(true);
    expect(triggers(whole, 'anomaly').filter((r) => r.route === 'flaky').map((r) => r.state)).toEqual(['firing', 'resolved']);
    expect(whole.some((r) => r.type === 'trend')).toBe(true);
  }, 300_000);

  it('a response_time_budget episode open at a restart goes on and resolves as without the restart', () => {
    const config = parseConfig({});
    const T0 = Date.parse('2026-01-05T08:00:00Z');
    const rng = mulberry32(7);
    const wire: Record<string, unknown>[] = [];
    for (let t = T0; t < T0 + 90 * 60_000; t += 500) {
      // Model inference over its 2.5 s share from minute 20 to minute 50.
      const slow = t >= T0 + 20 * 60_000 && t < T0 + 50 * 60_000 ? 2.2 : 1;
      const stage_ms = {
        prompt_processing: Math.round(400 * Math.exp(0.25 * gaussian(rng))),
        model_inference: Math.round(1500 * slow * Math.exp(0.25 * gaussian(rng))),
        post_processing: Math.round(80 * Math.exp(0.25 * gaussian(rng))),
      };
      wire.push({ ts: t, route: 'staged', variant: 'v1', latency_ms: Object.values(stage_ms).reduce((a, b) => a + b, 0), stage_ms });
    }
    const { events, errors } = validateBatch(wire);
    expect(errors).toEqual([]);
    const chunks: TelemetryEvent[][] = [];
    for (let i = 0; i < events.length; i += 120) chunks.push(events.slice(i, i + 120));
    const { whole, openAtCut } = restoreAtCuts(config, chunks, [Math.round(chunks.length * 0.45)]);
    expect(openAtCut[0]).toContain('staged/response_time_budget/model_inference');
    expect(triggers(whole, 'response_time_budget').map((r) => r.state)).toEqual(['firing', 'resolved']);
  }, 120_000);

  it('a checkpoint written before foresight state was kept is still read (the route\'s foresight state stays as it is); a malformed one is refused naming the field', () => {
    const config = parseConfig({});
    const engine = new PipelineEngine(config);
    const { events } = validateBatch(Array.from({ length: 50 }, (_, i) => ({ ts: START + i * 1000, route: 'r', variant: 'v1', latency_ms: 500 })));
    engine.ingest(events);
    const current = JSON.parse(engine.checkpointRoute('r')!) as Record<string, unknown>;
    expect(current['foresight']).toMatchObject({ openHours: [{ hourStartMs: START }] });
    const { foresight: _omitted, ...older } = current;
    const grid = { bucketMs: config.time.bucket, windowMs: config.time.window, latenessMs: config.time.allowed_lateness };
    expect(decodeRouteCheckpoint(JSON.stringify(older), 'r', grid).foresight).toBeUndefined();
    const copy = new PipelineEngine(config);
    copy.restoreRoute('r', JSON.stringify(older));
    expect(copy.liveStats('r')).toEqual(engine.liveStats('r'));
    const broken = { ...current, foresight: { ...(current['foresight'] as object), openHours: [{ hourStartMs: START, bucket: [[1], [2, 1, 5]], sole: null, variants: [], spendUsd: { production: 0, testing: 0, research: 0 } }] } };
    expect(() => decodeRouteCheckpoint(JSON.stringify(broken), 'r', grid)).toThrow(/^checkpoint of route r: foresight\.openHours\.0\.bucket: /);
  });
});
