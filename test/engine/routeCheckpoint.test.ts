import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { NdjsonEventDecoder, type LineRejection } from '../../src/codecs/ndjson.js';
import { parseConfig } from '../../src/config/load.js';
import { formatRecord, type DecisionRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PoisonMessageError } from '../../src/core/errors.js';
import { HELD_INPUTS_LIMIT, PipelineEngine } from '../../src/engine/engine.js';
import { ROUTE_CHECKPOINT_VERSION } from '../../src/engine/routeCheckpoint.js';

const config = parseConfig({});

function recordedEvents(): TelemetryEvent[] {
  const events: TelemetryEvent[] = [];
  const errors: LineRejection[] = [];
  const decoder = new NdjsonEventDecoder();
  decoder.push(gunzipSync(readFileSync('examples/recorded.ndjson.gz')).toString('utf8'), events, errors);
  decoder.end(events, errors);
  expect(errors).toEqual([]);
  return events;
}

const recorded = recordedEvents();

/** Feeds events in batches of `batch`, then (optionally) flushes; the decisions as NDJSON lines. */
function feed(engine: PipelineEngine, events: readonly TelemetryEvent[], options: { batch?: number; flush?: boolean; tooLate?: number[]; countedThrough?: (number | null)[] } = {}): string[] {
  const out: DecisionRecord[] = [];
  const batch = options.batch ?? 250;
  for (let at = 0; at < events.length; at += batch) {
    out.push(...engine.ingest(events.slice(at, at + batch), { onTooLate: (i, _oldest, countedThroughMs) => {
      options.tooLate?.push(at + i);
      options.countedThrough?.push(countedThroughMs);
    } }));
  }
  if (options.flush === true) out.push(...engine.flush());
  return out.map(formatRecord);
}

/** What the daemon does on a restart or takeover: the stored control state, then each route's checkpoint. */
function restoredCopy(from: PipelineEngine): PipelineEngine {
  const to = new PipelineEngine(from.config);
  const routes = [...new Set([...from.experiments.registry.routeNames(), ...from.routeNames()])].sort();
  for (const route of routes) to.experiments.importRoute(route, JSON.parse(JSON.stringify(from.experiments.exportRoute(route))));
  for (const route of from.routeNames()) to.restoreRoute(route, from.checkpointRoute(route)!);
  return to;
}

/** Everything a user can read about a route: live statistics and every rule's standing. */
function view(engine: PipelineEngine): string {
  return JSON.stringify(engine.routeNames().map((r) => [r, engine.liveStats(r), engine.ruleStatuses(r), engine.watermarkOf(r)]));
}

describe('route checkpoints', () => {
  it('restore(checkpoint(x)) decides exactly as x on the rest of a recorded run, wherever it is cut', () => {
    const whole = feed(new PipelineEngine(config), recorded, { flush: true });
    expect(whole.length).toBeGreaterThan(20); // the recording has triggers, actions and experiments to reproduce
    let pendingAtACut = 0;
    for (const share of [0.1, 0.25, 0.4, 0.55, 0.7, 0.85]) {
      const cut = Math.round(recorded.length * share);
      const original = new PipelineEngine(config);
      const before = feed(original, recorded.slice(0, cut));
      const copy = restoredCopy(original);
      expect(view(copy)).toBe(view(original));
      pendingAtACut += original.routeNames().flatMap((r) => original.ruleStatuses(r)!.flatMap((v) => v.rules)).filter((s) => s.state !== 'inactive').length;
      const rest = recorded.slice(cut);
      const expected = feed(original, rest, { flush: true });
      const actual = feed(copy, rest, { flush: true });
      expect(actual.join('\n')).toBe(expected.join('\n'));
      expect([...before, ...expected].join('\n')).toBe(whole.join('\n'));
      expect(view(copy)).toBe(view(original));
      for (const route of original.routeNames()) expect(copy.checkpointRoute(route)).toBe(original.checkpointRoute(route));
    }
    // Some cut caught a rule mid-episode (pending or firing): it continued rather than restarting.
    expect(pendingAtACut).toBeGreaterThan(0);
  });

  it('continues a pending rule: it fires when the original fires, not `for` after the restore', () => {
    const cfg = parseConfig({ rules: [{ name: 'slow', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, for: '2m', severity: 'warning', min_samples: 20 }] });
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const slow = (from: number, to: number): TelemetryEvent[] => {
      const out: TelemetryEvent[] = [];
      for (let t = from; t < to; t += 500) out.push(makeEvent(t, 'support', 'v1', 3000 + (t % 7)));
      return out;
    };
    const original = new PipelineEngine(cfg);
    feed(original, slow(T0, T0 + 120_000));
    const slowRule = (engine: PipelineEngine) => engine.ruleStatuses('support')![0]!.rules.find((r) => r.rule === 'slow');
    expect(slowRule(original)).toMatchObject({ state: 'pending' });
    const copy = restoredCopy(original);
    expect(slowRule(copy)).toEqual(slowRule(original));
    const next = slow(T0 + 120_000, T0 + 240_000);
    const expected = feed(original, next);
    const actual = feed(copy, next);
    expect(expected.some((line) => line.includes('"state":"firing"'))).toBe(true);
    expect(actual).toEqual(expected);
  });

  it('a version-1 checkpoint (planner state inside) is read: its last action holds the route cooldown', () => {
    const engine = new PipelineEngine(config);
    feed(engine, recorded.slice(0, 2000));
    const route = engine.routeNames()[0]!;
    const current = JSON.parse(engine.checkpointRoute(route)!) as { v: number; detector: Record<string, unknown> | null };
    expect(current.v).toBe(ROUTE_CHECKPOINT_VERSION);
    expect(current.detector).not.toHaveProperty('planner'); // the cooldown is in the control state, stored once
    const lastActionMs = engine.watermarkOf(route)! - 60_000;
    const v1 = JSON.stringify({ ...current, v: 1, detector: { variants: current.detector?.['variants'] ?? [], planner: { lastActionMs, lastActionId: 'a-old' } } });
    const restored = new PipelineEngine(config);
    restored.restoreRoute(route, v1);
    expect(restored.liveStats(route)).toEqual(engine.liveStats(route));
    expect(restored.experiments.cooldowns.get(route)).toEqual({ untilMs: lastActionMs + config.actions.cooldown, after: 'action', id: 'a-old', sinceMs: lastActionMs });
    expect(restored.experiments.blockFor(route, lastActionMs + 60_000)?.detail).toBe(
      `cooldown until ${new Date(lastActionMs + config.actions.cooldown).toISOString()}: route ${route} had an action 1m ago (actions.cooldown 30m)`,
    );
    expect(restored.experiments.takeChangedRoutes()).toContain(route); // written to the control state from then on
  });

  it('refuses events at or before what the checkpoint counted (a redelivered batch), counts newer ones', () => {
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const original = new PipelineEngine(config);
    const first = Array.from({ length: 100 }, (_, i) => makeEvent(T0 + i * 100, 'support', 'v1', 800));
    feed(original, first);
    const copy = restoredCopy(original);
    const counted = copy.liveStats('support')![0]!.count;
    const tooLate: number[] = [];
    const countedThrough: (number | null)[] = [];
    // Kafka redelivers the uncommitted tail of what was already checkpointed, then new events follow.
    const redelivered = first.slice(60);
    const newer = Array.from({ length: 10 }, (_, i) => makeEvent(T0 + 10_000 + i * 100, 'support', 'v1', 800));
    feed(copy, [...redelivered, ...newer], { tooLate, countedThrough });
    expect(tooLate).toEqual(redelivered.map((_, i) => i));
    // The refusal says why: the checkpoint counted through the newest event it had seen.
    expect(new Set(countedThrough)).toEqual(new Set([T0 + 99 * 100]));
    expect(copy.liveStats('support')![0]!.count).toBe(counted + newer.length);
    expect(copy.tooLateEventsOf('support')).toBe(redelivered.length);
  });

  it('reads a version 2 checkpoint, which carried the watch after promotion, as the same state', () => {
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const original = new PipelineEngine(config);
    feed(original, Array.from({ length: 80 }, (_, i) => makeEvent(T0 + i * 1000, 'support', 'v1', 700 + i)));
    const current = original.checkpointRoute('support')!;
    expect(JSON.parse(current)).not.toHaveProperty('watch');
    const watch = { experiment: 'e1', kind: 'pattern_simplification', baseline: { variant: 'v0' }, promoted: { variant: 'v1' }, promotedAtMs: T0, untilMs: T0 + 3_600_000, dirty: false,
      state: { startedAtMs: T0, baseline: { n: 0 }, candidate: { n: 0 }, expectedCandidate: 0.5, tail: {} } };
    const v2 = JSON.stringify({ ...JSON.parse(current), v: 2, watch });
    const copy = new PipelineEngine(config);
    copy.restoreRoute('support', v2);
    expect(view(copy)).toBe(view(original));
    expect(copy.checkpointRoute('support')).toBe(current);
  });

  it('is compact: sketch bins, not events — 100x the traffic does not make it 2x larger', () => {
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const sizes: number[] = [];
    for (const perSecond of [10, 1000]) {
      const engine = new PipelineEngine(config);
      const events: TelemetryEvent[] = [];
      // 10 minutes, two variants, lognormal-ish latencies and every optional field.
      for (let i = 0; i < 600 * perSecond; i++) {
        const e = makeEvent(T0 + Math.floor(i / perSecond) * 1000 + (i % perSecond), 'support', i % 2 === 0 ? 'v1' : 'v2', 400 * Math.exp(Math.sin(i * 12.9898) * 1.2));
        events.push({ ...e, inputTokens: 500 + (i % 300), outputTokens: 200 + (i % 50), costUsd: 0.002, quality: 0.8, correct: i % 10 !== 0 });
      }
      feed(engine, events, { batch: 5000 });
      sizes.push(Buffer.byteLength(engine.checkpointRoute('support')!));
    }
    // 100x the traffic: the checkpoint grows by the sketches' wider spread only, not by the events.
    expect(sizes[1]!).toBeLessThan(sizes[0]! * 2);
    expect(sizes[1]!).toBeLessThan(120_000);
    console.log(`checkpoint bytes per route (2 variants, 5 min window of 10 s buckets): ${sizes.join(' at 10/s, ')} at 1000/s`);
  });

  describe('bad checkpoints are refused with the problem named, changing nothing', () => {
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const engine = (): PipelineEngine => {
      const e = new PipelineEngine(config);
      feed(e, Array.from({ length: 50 }, (_, i) => makeEvent(T0 + i * 1000, 'support', 'v1', 900)));
      return e;
    };
    const good = engine().checkpointRoute('support')!;
    const cases: [string, string, RegExp][] = [
      ['not JSON', '{"v":1,', /checkpoint of route support: not JSON/],
      ['a newer format', good.replace(`"v":${ROUTE_CHECKPOINT_VERSION}`, `"v":${ROUTE_CHECKPOINT_VERSION + 1}`), new RegExp(`format version ${ROUTE_CHECKPOINT_VERSION + 1} is newer than this daemon's ${ROUTE_CHECKPOINT_VERSION}`)],
      ['another route', good.replace('"route":"support"', '"route":"billing"'), /it is route billing's/],
      ['another time grid', good.replace('"bucketMs":10000', '"bucketMs":5000'), /time\.bucket 5000 ms.*this daemon runs 10000/],
      ['a field of the wrong type', good.replace(/"watermarkMs":\d+/, '"watermarkMs":"soon"'), /watermarkMs: /],
      ['a broken sketch', good.replace(/"total":\[\[[^\]]*\],\[/, '"total":[[1,2],['), /variant v1: bucket state/],
    ];
    it.each(cases)('%s', (_name, data, message) => {
      const target = engine();
      feed(target, [makeEvent(T0 + 60_000, 'support', 'v1', 5000)]);
      const before = view(target);
      expect(() => target.restoreRoute('support', data)).toThrow(PoisonMessageError);
      expect(() => target.restoreRoute('support', data)).toThrow(message);
      expect(view(target)).toBe(before);
    });
  });
});

/** Lines of decision records grouped by route, each route's in the order produced: what one route's owner decides does not depend on other routes' order. */
function byRoute(lines: readonly string[]): string[] {
  const route = (line: string): string => (JSON.parse(line) as { route?: string }).route ?? '';
  return lines.map((line, i) => [route(line), i, line] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1])).map((x) => x[2]);
}

describe('takeover: traffic held while another instance owned the route, counted on top of its checkpoint', () => {
  it('restore + held traffic decides exactly as one engine that counted every event once, wherever the owner died', () => {
    let decidedInGaps = 0;
    for (const [share, gapShare] of [[0.2, 0.1], [0.45, 0.15], [0.7, 0.2]] as const) {
      const cut = Math.round(recorded.length * share);
      const gapEnd = Math.round(recorded.length * (share + gapShare));
      const owner = new PipelineEngine(config);
      feed(owner, recorded.slice(0, cut));
      // The owner's last writes before it dies: its control state and its checkpoints.
      const control = new Map(owner.experiments.registry.routeNames().map((r) => [r, JSON.stringify(owner.experiments.exportRoute(r))]));
      const checkpoints = new Map(owner.routeNames().map((r) => [r, owner.checkpointRoute(r)!]));

      // The survivor gets the partitions: the uncommitted tail the owner had counted comes again, then new traffic.
      const redelivered = recorded.slice(cut - 300, cut);
      const gap = recorded.slice(cut, gapEnd);
      const survivor = new PipelineEngine(config);
      for (const route of new Set([...redelivered, ...gap].map((e) => e.route))) survivor.holdRoute(route);
      expect(feed(survivor, [...redelivered, ...gap])).toEqual([]);
      expect(survivor.routeNames()).toEqual([]);
      expect(survivor.heldSizes()).toMatchObject({ inputs: redelivered.length + gap.length, overflowed: 0 });

      // The claim: the stored control state, the checkpoint, then what was held.
      for (const [route, text] of control) survivor.experiments.importRoute(route, JSON.parse(text));
      for (const route of [...new Set([...checkpoints.keys(), ...gap.map((e) => e.route), ...redelivered.map((e) => e.route)])].sort()) {
        const checkpoint = checkpoints.get(route);
        if (checkpoint !== undefined) survivor.restoreRoute(route, checkpoint);
        survivor.releaseRoute(route);
      }
      const decided = survivor.ingest([]).map(formatRecord);
      expect(survivor.heldSizes()).toEqual({ routes: 0, inputs: 0, overflowed: 0 });

      // One engine that saw the checkpointed traffic and the gap's, each event once.
      const expected = feed(owner, gap);
      expect(byRoute(decided).join('\n')).toBe(byRoute(expected).join('\n'));
      expect(view(survivor)).toBe(view(owner));
      let refused = 0;
      for (const route of survivor.routeNames()) refused += survivor.tooLateEventsOf(route) - owner.tooLateEventsOf(route);
      expect(refused).toBe(redelivered.length);
      decidedInGaps += expected.length;
    }
    // The gaps had decisions to reproduce (triggers, actions, experiment ends).
    expect(decidedInGaps).toBeGreaterThan(5);
  });

  it('a trigger crossed in the gap is decided once, with its evidence, when the survivor claims the route', () => {
    const cfg = parseConfig({ rules: [{ name: 'slow', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, for: '0s', severity: 'warning', min_samples: 20 }] });
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const calls = (from: number, n: number, latencyMs: number): TelemetryEvent[] => Array.from({ length: n }, (_, i) => makeEvent(from + i * 500, 'support', 'v1', latencyMs + (i % 5)));
    const counted = calls(T0, 200, 300);
    const gap = calls(T0 + 100_000, 200, 2500);
    const owner = new PipelineEngine(cfg);
    expect(feed(owner, counted)).toEqual([]);
    const checkpoint = owner.checkpointRoute('support')!;

    const survivor = new PipelineEngine(cfg);
    survivor.holdRoute('support');
    expect(feed(survivor, gap)).toEqual([]);
    survivor.restoreRoute('support', checkpoint);
    expect(survivor.releaseRoute('support')).toBe(gap.length);
    const decided = [...survivor.ingest([]), ...survivor.flush()].map(formatRecord);
    const expected = [...feed(owner, gap), ...owner.flush().map(formatRecord)];
    expect(decided.filter((l) => l.includes('"state":"firing"'))).toHaveLength(1);
    expect(decided).toEqual(expected);
    expect(survivor.liveStats('support')![0]!.count).toBe(counted.length + gap.length);
  });

  it('without a hold the survivor counts as before; a released route is counted as it comes', () => {
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const engine = new PipelineEngine(config);
    engine.holdRoute('support');
    feed(engine, [makeEvent(T0, 'support', 'v1', 500), makeEvent(T0, 'billing', 'v1', 500)]);
    expect(engine.routeNames()).toEqual(['billing']);
    expect(engine.releaseRoute('support')).toBe(1);
    expect(engine.releaseRoute('support')).toBe(0);
    feed(engine, [makeEvent(T0 + 1000, 'support', 'v1', 500)]);
    expect(engine.liveStats('support')![0]!.count).toBe(2);
  });

  it('OTLP latency histograms are held and counted in arrival order with the events', () => {
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const histogram = (ts: number) => ({ ts, route: 'support', variant: 'v1', metric: 'latency_ms' as const, bounds: [100, 1000], bucketCounts: [0, 30, 0], count: 30, sum: null });
    const held = new PipelineEngine(config);
    held.holdRoute('support');
    held.ingest([makeEvent(T0, 'support', 'v1', 500)]);
    held.ingestHistograms([histogram(T0 + 1000)]);
    held.ingest([makeEvent(T0 + 2000, 'support', 'v1', 700)]);
    expect(held.heldSizes().inputs).toBe(3);
    expect(held.releaseRoute('support')).toBe(3);
    const direct = new PipelineEngine(config);
    direct.ingest([makeEvent(T0, 'support', 'v1', 500)]);
    direct.ingestHistograms([histogram(T0 + 1000)]);
    direct.ingest([makeEvent(T0 + 2000, 'support', 'v1', 700)]);
    expect(view(held)).toBe(view(direct));
    expect(held.liveStats('support')![0]!.count).toBe(32);
  });

  it('holding is bounded: the input past the limit releases its route, which is counted as it comes until the next release', () => {
    const T0 = Date.parse('2026-03-02T09:00:00Z');
    const engine = new PipelineEngine(config);
    engine.holdRoute('support');
    const events = Array.from({ length: HELD_INPUTS_LIMIT + 10 }, (_, i) => makeEvent(T0 + Math.floor(i / 1000), 'support', 'v1', 500));
    feed(engine, events, { batch: 10_000 });
    expect(engine.heldSizes()).toEqual({ routes: 0, inputs: 0, overflowed: 1 });
    expect(engine.liveStats('support')![0]!.count).toBe(events.length);
    engine.holdRoute('support');
    feed(engine, [makeEvent(T0 + 1000, 'support', 'v1', 500)]);
    expect(engine.liveStats('support')![0]!.count).toBe(events.length + 1);
    engine.releaseRoute('support');
    engine.holdRoute('support');
    expect(engine.heldSizes()).toEqual({ routes: 1, inputs: 0, overflowed: 0 });
  });
});
