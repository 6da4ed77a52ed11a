import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/adapters/memory/memoryStateStore.js';
import { parseConfig } from '../../src/config/load.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import type { StoredCheckpoint } from '../../src/ports/stateStore.js';
import { Checkpointer, type SubmitCommand } from '../../src/runtime/checkpointer.js';
import { createLogger } from '../../src/runtime/logger.js';
import { StateMirror } from '../../src/runtime/stateMirror.js';

const config = parseConfig({ log: { level: 'silent' } });
const T0 = Date.parse('2026-03-02T09:00:00Z');

/** A memory store with a knob: while `down`, checkpoint writes fail as a lost connection would. */
class FlakyStore extends MemoryStateStore {
  down = false;
  writes = 0;
  override async saveCheckpoint(checkpoint: StoredCheckpoint, ttlMs: number): Promise<boolean> {
    if (this.down) throw new Error('connection lost');
    this.writes++;
    return super.saveCheckpoint(checkpoint, ttlMs);
  }
}

interface Instance {
  readonly engine: PipelineEngine;
  readonly mirror: StateMirror;
  readonly checkpointer: Checkpointer;
  /** What the runner does with one batch: claim, engine step, route-state write. Returns the indices refused as too late. */
  ingest(events: readonly TelemetryEvent[]): Promise<number[]>;
}

async function start(store: MemoryStateStore, owner: string, now: () => number, cfg = config): Promise<Instance> {
  const engine = new PipelineEngine(cfg);
  const logger = createLogger(config);
  const mirror = new StateMirror(store, engine, { owner, leaseMs: 10_000, routeTtlMs: 60_000, nowMs: now, logger });
  await mirror.restore();
  const checkpointer = new Checkpointer(store, engine, () => mirror.ownedRoutes(), { ttlMs: 60_000, logger, routesPerStep: 1 });
  return {
    engine,
    mirror,
    checkpointer,
    async ingest(events) {
      const tooLate: number[] = [];
      await mirror.beforeStep({ kind: 'events', events });
      mirror.afterStep(engine.ingest(events, { onTooLate: (i) => tooLate.push(i) }));
      await mirror.flush();
      return tooLate;
    },
  };
}

const inline = (engine: PipelineEngine): SubmitCommand => async (run) => run(engine);

function calls(from: number, count: number, route = 'support'): TelemetryEvent[] {
  return Array.from({ length: count }, (_, i) => makeEvent(T0 + (from + i) * 100, route, 'v1', 500 + ((from + i) % 40) * 25));
}

const stats = (engine: PipelineEngine, route = 'support'): string => JSON.stringify(engine.liveStats(route));

describe('Checkpointer', () => {
  it('writes only routes that changed, fenced by the lease generation; a restart with the same id resumes them before any traffic', async () => {
    let now = 1_000_000;
    const store = new FlakyStore({ now: () => now });
    const a = await start(store, 'a', () => now);
    await a.ingest([...calls(0, 300), ...calls(0, 50, 'billing')]);
    expect(await a.checkpointer.round(inline(a.engine))).toBe(2);
    expect(await a.checkpointer.round(inline(a.engine))).toBe(0); // nothing changed
    await a.ingest(calls(300, 10));
    expect(await a.checkpointer.round(inline(a.engine))).toBe(1); // only support changed
    expect((await store.loadCheckpoint('support'))?.generation).toBe(1);

    // kill -9 (no final checkpoint), start again with the same id while the lease is live.
    now += 2_000;
    const restarted = await start(store, 'a', () => now);
    expect(stats(restarted.engine)).toBe(stats(a.engine));
    expect(stats(restarted.engine, 'billing')).toBe(stats(a.engine, 'billing'));
    expect(restarted.engine.ruleStatuses('support')).toEqual(a.engine.ruleStatuses('support'));
    expect(restarted.mirror.ownedRoutes()).toEqual([['billing', 1], ['support', 1]]);
  });

  it('a takeover resumes the dead owner\'s statistics; its redelivered, already checkpointed events are not counted twice', async () => {
    let now = 1_000_000;
    const store = new FlakyStore({ now: () => now });
    const a = await start(store, 'a', () => now);
    await a.ingest(calls(0, 400));
    await a.checkpointer.round(inline(a.engine));
    const checkpointed = stats(a.engine);
    const counted = a.engine.liveStats('support')![0]!.count;
    // Counted after the checkpoint, then a stops (a long pause, or dead): these are what a crash loses.
    await a.ingest(calls(400, 5));

    // a dies; after its lease lapses b gets the partition, from the last committed offset: 100 events a had counted, then new ones.
    now += 11_000;
    const b = await start(store, 'b', () => now);
    expect(b.engine.liveStats('support')).toBeNull(); // not b's route until its traffic comes
    const tooLate = await b.ingest([...calls(300, 100), ...calls(400, 20)]);
    expect(tooLate).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(b.engine.liveStats('support')![0]!.count).toBe(counted + 20);
    expect(b.mirror.ownedRoutes()).toEqual([['support', 2]]);
    expect(checkpointed).not.toBe(stats(b.engine));

    // a comes back from its pause still believing it owns the route: its newer checkpoint, of generation 1, is fenced.
    const before = await store.loadCheckpoint('support');
    expect(a.mirror.ownedRoutes()).toEqual([['support', 1]]);
    expect(await a.checkpointer.round(inline(a.engine))).toBe(0);
    expect(await store.loadCheckpoint('support')).toEqual(before);
    expect(await b.checkpointer.round(inline(b.engine))).toBe(1);
    expect((await store.loadCheckpoint('support'))?.generation).toBe(2);
  });

  it('during a state-store outage a round is skipped, nothing is buffered; the next round after it writes the current state', async () => {
    const now = 1_000_000;
    const store = new FlakyStore({ now: () => now });
    const a = await start(store, 'a', () => now);
    await a.ingest([...calls(0, 100), ...calls(0, 100, 'billing'), ...calls(0, 100, 'search')]);
    store.down = true;
    expect(await a.checkpointer.round(inline(a.engine))).toBe(0);
    expect(a.checkpointer.failure).toMatch(/connection lost/);
    await a.ingest(calls(100, 10));
    store.down = false;
    expect(await a.checkpointer.round(inline(a.engine))).toBe(3);
    expect(a.checkpointer.failure).toBeNull();
    expect(store.writes).toBe(3);
    const resumed = await start(store, 'a', () => now);
    expect(stats(resumed.engine)).toBe(stats(a.engine));
  });

  it('a configured route that never needed a stored state is resumed at start too (its lease says whose it was)', async () => {
    const configured = parseConfig({ routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } }, log: { level: 'silent' } });
    let now = 1_000_000;
    const store = new FlakyStore({ now: () => now });
    const a = await start(store, 'a', () => now, configured);
    await a.ingest(calls(0, 200));
    expect(await store.loadRoutes(['support'])).toEqual([]);
    expect(await a.checkpointer.round(inline(a.engine))).toBe(1);
    now += 1_000;
    const restarted = await start(store, 'a', () => now, configured);
    expect(stats(restarted.engine)).toBe(stats(a.engine));
    const other = await start(store, 'b', () => now, configured);
    expect(other.engine.liveStats('support')).toBeNull(); // a's route: b resumes it only when it takes it over
  });

  it('a checkpoint that cannot be restored is logged and the route starts cold; the rest of the start goes on', async () => {
    const now = 1_000_000;
    const store = new FlakyStore({ now: () => now });
    const a = await start(store, 'a', () => now);
    await a.ingest([...calls(0, 100), ...calls(0, 100, 'billing')]);
    await a.checkpointer.round(inline(a.engine));
    await store.saveCheckpoint({ route: 'support', generation: 1, data: '{"v":1,"route":"support"}' }, 60_000);
    const restarted = await start(store, 'a', () => now);
    expect(restarted.engine.liveStats('support')).toBeNull();
    expect(stats(restarted.engine, 'billing')).toBe(stats(a.engine, 'billing'));
  });

  it('a trigger is checkpointed as soon as it is logged: the next owner does not fire it again', async () => {
    const cfg = parseConfig({ rules: [{ name: 'slow', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, for: '0s', severity: 'warning', min_samples: 20 }], log: { level: 'silent' } });
    const slow = (from: number, count: number): TelemetryEvent[] => Array.from({ length: count }, (_, i) => makeEvent(T0 + (from + i) * 500, 'support', 'v1', 1500 + (i % 9)));
    /** Owner a fires the trigger and dies before a round; b takes the route over and gets the next calls. Firing records of both. */
    const takeover = async (checkpointTransitions: boolean): Promise<number> => {
      let now = 1_000_000;
      const store = new FlakyStore({ now: () => now });
      const a = await start(store, 'a', () => now, cfg);
      let fired = 0;
      const step = async (node: Instance, events: TelemetryEvent[]): Promise<void> => {
        await node.mirror.beforeStep({ kind: 'events', events });
        const records = node.mirror.afterStep(node.engine.ingest(events));
        fired += records.filter((r) => r.type === 'trigger' && r.rule === 'slow' && r.state === 'firing').length;
        await node.mirror.flush();
        if (checkpointTransitions && records.some((r) => r.type === 'trigger')) await node.checkpointer.now(new Set(['support']));
      };
      await step(a, slow(0, 300));
      now += 11_000;
      const b = await start(store, 'b', () => now, cfg);
      await step(b, slow(300, 300));
      return fired;
    };
    expect(await takeover(false)).toBe(2);
    expect(await takeover(true)).toBe(1);
  });

  it('a round\'s checkpoint taken before a newer one was written is not written over it', async () => {
    const now = 1_000_000;
    const store = new FlakyStore({ now: () => now });
    const a = await start(store, 'a', () => now);
    await a.ingest(calls(0, 100));
    let resume: () => void = () => {};
    const gate = new Promise<void>((resolve) => (resume = resolve));
    // The round serializes the route, then its write waits while the pipeline goes on.
    const round = a.checkpointer.round(async (run) => {
      run(a.engine);
      await gate;
    });
    await a.ingest(calls(100, 10));
    expect(await a.checkpointer.now(new Set(['support']))).toBe(1);
    const newer = await store.loadCheckpoint('support');
    resume();
    expect(await round).toBe(0);
    expect(await store.loadCheckpoint('support')).toEqual(newer);
    expect(JSON.parse(newer!.data).lastDataMs).toBe(calls(100, 10)[9]!.ts);
  });
});
