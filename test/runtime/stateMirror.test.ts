import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/adapters/memory/memoryStateStore.js';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { HELD_INPUTS_LIMIT, PipelineEngine } from '../../src/engine/engine.js';
import { stepEngine, type PipelineInput } from '../../src/streams/pipelineInput.js';
import { createLogger } from '../../src/runtime/logger.js';
import { StateMirror } from '../../src/runtime/stateMirror.js';
import { trigger } from '../contracts/fixtures.js';

const config = parseConfig({ routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } }, log: { level: 'silent' } });

function mirrorOf(store: MemoryStateStore, owner: string, nowMs: () => number, cfg = config): { engine: PipelineEngine; mirror: StateMirror } {
  const engine = new PipelineEngine(cfg);
  const mirror = new StateMirror(store, engine, { owner, leaseMs: 10_000, routeTtlMs: 60_000, nowMs, logger: createLogger(cfg) });
  return { engine, mirror };
}

const register = (engine: PipelineEngine, name: string): void =>
  engine.experiments.registry.register('support', { variant: name, pattern: 'zero_shot', tier: null, maxTokens: null, template: `T ${name}`, compression: null, source: 'api' });

/** One rule that a slow `support` route crosses at once. */
const slowConfig = parseConfig({
  routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } },
  rules: [{ name: 'slow', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, for: '0s', severity: 'warning', min_samples: 20 }],
  log: { level: 'silent' },
});

/** `n` calls of `support`, 500 ms apart from `from`, about `latencyMs` each. */
const calls = (from: number, n: number, latencyMs: number): TelemetryEvent[] => Array.from({ length: n }, (_, i) => makeEvent(from + i * 500, 'support', 'v1', latencyMs + (i % 5)));

/** One pipeline step as the runner runs it: the mirror's claims, the engine, the records it lets through, the writes. */
async function step(node: { engine: PipelineEngine; mirror: StateMirror }, input: PipelineInput): Promise<string[]> {
  await node.mirror.beforeStep(input);
  const records = node.mirror.afterStep(stepEngine(node.engine, input));
  await node.mirror.flush();
  return records.map((r) => `${r.type}:${r.type === 'trigger' ? `${r.rule}:${r.state}` : ''}`);
}

describe('StateMirror', () => {
  it('after an outage the first successful claim with nothing pending clears the failure (readiness), without a route state to write', async () => {
    let now = 1_000_000;
    let down = false;
    class FlakyStore extends MemoryStateStore {
      override async claim(route: string, owner: string, leaseMs: number, force = false) {
        if (down) throw new Error('Connection is closed.');
        return super.claim(route, owner, leaseMs, force);
      }
    }
    const store = new FlakyStore({ now: () => now });
    const { mirror } = mirrorOf(store, 'i1', () => now);
    await mirror.restore();
    const events = (ts: number): PipelineInput => ({ kind: 'events', events: [makeEvent(ts, 'plain', 'v1', 100)] });
    await mirror.beforeStep(events(now));
    expect(mirror.status().failing).toBeNull();
    down = true;
    now += 20_000; // past the lease's renewal time: the next step claims again
    await mirror.beforeStep(events(now));
    expect(mirror.status().failing).toMatch(/Connection is closed/);
    down = false;
    now += 20_000;
    await mirror.beforeStep(events(now));
    expect(mirror.status()).toMatchObject({ failing: null, pendingRoutes: 0 });
  });

  it('a change without traffic (an API call) after a restart is claimed and written, not fenced by its own earlier lease', async () => {
    let now = 1_000_000;
    const store = new MemoryStateStore({ now: () => now });
    const first = mirrorOf(store, 'i1', () => now);
    await first.mirror.restore();
    register(first.engine, 'api-1');
    first.mirror.afterStep([]);
    await first.mirror.flush();
    expect((await store.lease('support'))?.owner).toBe('i1');

    // kill -9 and start again with the same id: the lease is still live.
    now += 1_000;
    const second = mirrorOf(store, 'i1', () => now);
    await second.mirror.restore();
    expect(second.engine.experiments.registry.variant('support', 'api-1')?.template).toBe('T api-1');
    register(second.engine, 'api-2');
    second.mirror.afterStep([]);
    await second.mirror.flush();
    const [stored] = await store.loadRoutes(['support']);
    expect(stored?.control.registry?.variants.map((v) => v.variant)).toEqual(['v1', 'api-1', 'api-2']);
    expect(second.mirror.status()).toMatchObject({ pendingRoutes: 0, followed: 0, failing: null });
  });

  it('a route another instance holds is followed: its state is theirs, this instance\'s decisions for it are dropped', async () => {
    const now = 1_000_000;
    const store = new MemoryStateStore({ now: () => now });
    const owner = mirrorOf(store, 'a', () => now);
    await owner.mirror.restore();
    register(owner.engine, 'from-a');
    owner.mirror.afterStep([]);
    await owner.mirror.flush();

    const other = mirrorOf(store, 'b', () => now);
    await other.mirror.restore();
    register(other.engine, 'from-b');
    other.mirror.afterStep([]);
    await other.mirror.flush();
    expect(other.mirror.status().followed).toBe(1);
    expect(other.engine.experiments.registry.variant('support', 'from-b')).toBeNull();
    expect(other.engine.experiments.registry.variant('support', 'from-a')).not.toBeNull();
    const records: DecisionRecord[] = [trigger('support', 0), trigger('billing', 0)];
    expect(other.mirror.afterStep(records).map((r) => r.route)).toEqual(['billing']);
    const [stored] = await store.loadRoutes(['support']);
    expect(stored?.owner).toBe('a');
  });

  it('takeover gap: traffic a survivor gets while the dead owner\'s lease runs is held, then counted on the checkpoint, and its trigger recorded once', async () => {
    const cfg = slowConfig;
    let now = Date.parse('2026-03-02T09:10:00Z');
    const store = new MemoryStateStore({ now: () => now });
    const events = (list: TelemetryEvent[]): PipelineInput => ({ kind: 'events', events: list, options: { nowMs: now } });

    const a = mirrorOf(store, 'a', () => now, cfg);
    await a.mirror.restore();
    const counted = calls(now - 200_000, 200, 300);
    expect(await step(a, events(counted))).toEqual([]);
    await store.saveCheckpoint({ route: 'support', generation: (await store.lease('support'))!.generation, data: a.engine.checkpointRoute('support')! }, 60_000);
    // a is killed: its lease runs on. b gets the route's slow traffic meanwhile.
    const b = mirrorOf(store, 'b', () => now, cfg);
    await b.mirror.restore();
    now += 2_000;
    const gap = calls(now - 99_000, 200, 2500);
    expect(await step(b, events(gap))).toEqual([]);
    expect(b.engine.liveStats('support')).toBeNull();
    expect(b.mirror.status()).toMatchObject({ heldRoutes: 1, heldInputs: gap.length, owned: 0 });
    // A Kafka source commits the held batch only once it is counted: if b died now, the next owner would get it again.
    let released = false;
    void b.mirror.released().then(() => (released = true));
    now += 5_000;
    expect(await step(b, { kind: 'tick', elapsedMs: 5_000 })).toEqual([]);
    expect(released).toBe(false);

    // The lease lapses: b's next tick claims the route, resumes a's checkpoint and counts what it held on top.
    now += 5_000;
    const decided = await step(b, { kind: 'tick', elapsedMs: 5_000 });
    expect(decided.filter((r) => r === 'trigger:slow:firing')).toHaveLength(1);
    expect((await store.lease('support'))?.owner).toBe('b');
    expect(b.engine.liveStats('support')![0]!.count).toBe(counted.length + gap.length);
    expect(b.mirror.status()).toMatchObject({ heldRoutes: 0, heldInputs: 0, owned: 1 });
    expect(released).toBe(true);
    expect(await step(b, { kind: 'tick', elapsedMs: 1_000 })).not.toContain('trigger:slow:firing');
  });

  it('a takeover that a store failure interrupts is taken up again in full: checkpoint resumed, held traffic counted, its trigger recorded once', async () => {
    const cfg = slowConfig;
    let now = Date.parse('2026-03-02T09:10:00Z');
    /** Fails the reads of a takeover (the route's state, its hourly history, its checkpoint) while `failing` names one. */
    let failing: 'loadRoutes' | 'loadHistory' | 'loadCheckpoint' | null = null;
    class FlakyStore extends MemoryStateStore {
      override async loadRoutes(routes: readonly string[]) {
        if (failing === 'loadRoutes') throw new Error('Connection is closed.');
        return super.loadRoutes(routes);
      }
      override async loadCheckpoint(route: string) {
        if (failing === 'loadCheckpoint') throw new Error('Connection is closed.');
        return super.loadCheckpoint(route);
      }
    }
    const historyReads: string[] = [];
    const loadHistory = async (route: string): Promise<number> => {
      if (failing === 'loadHistory') throw new Error('Connection is closed.');
      historyReads.push(route);
      return 0;
    };
    for (const failure of ['loadRoutes', 'loadHistory', 'loadCheckpoint'] as const) {
      const store = new FlakyStore({ now: () => now });
      const a = mirrorOf(store, 'a', () => now, cfg);
      await a.mirror.restore();
      const counted = calls(now - 200_000, 200, 300);
      await step(a, { kind: 'events', events: counted, options: { nowMs: now } });
      await store.saveCheckpoint({ route: 'support', generation: (await store.lease('support'))!.generation, data: a.engine.checkpointRoute('support')! }, 60_000);
      // a is killed; b holds the route's slow traffic until a's lease lapses.
      const engine = new PipelineEngine(cfg);
      const b = { engine, mirror: new StateMirror(store, engine, { owner: 'b', leaseMs: 10_000, routeTtlMs: 60_000, nowMs: () => now, logger: createLogger(cfg), loadHistory }) };
      await b.mirror.restore();
      const gap = calls(now - 99_000, 200, 2500);
      expect(await step(b, { kind: 'events', events: gap, options: { nowMs: now } })).toEqual([]);
      now += 11_000;
      // The lease is b's now, but reading what a left fails half-way.
      failing = failure;
      expect(await step(b, { kind: 'tick', elapsedMs: 1_000 }), failure).toEqual([]);
      expect(b.mirror.status().failing, failure).toMatch(/Connection is closed/);
      expect(b.engine.liveStats('support'), failure).toBeNull();
      failing = null;
      now += 11_000;
      const decided = await step(b, { kind: 'tick', elapsedMs: 1_000 });
      expect(decided.filter((r) => r === 'trigger:slow:firing'), failure).toHaveLength(1);
      expect(b.engine.liveStats('support')![0]!.count, failure).toBe(counted.length + gap.length);
      expect(b.mirror.status(), failure).toMatchObject({ heldRoutes: 0, heldInputs: 0, owned: 1, failing: null });
      expect(await step(b, { kind: 'tick', elapsedMs: 1_000 }), failure).not.toContain('trigger:slow:firing');
      // The history was read for the takeover that completed (sealing over unread hours would overwrite them); the
      // interrupted one had read it too only if it failed after it.
      expect(historyReads.splice(0), failure).toEqual(failure === 'loadCheckpoint' ? ['support', 'support'] : ['support']);
    }
  });

  it('a takeover logs how many held calls it refused as counted already (re-sent ones) beside how many it held', async () => {
    const lines: string[] = [];
    let now = Date.parse('2026-03-02T09:10:00Z');
    const store = new MemoryStateStore({ now: () => now });
    const a = mirrorOf(store, 'a', () => now);
    await a.mirror.restore();
    const counted = calls(now - 100_000, 100, 300);
    await step(a, { kind: 'events', events: counted, options: { nowMs: now } });
    await store.saveCheckpoint({ route: 'support', generation: (await store.lease('support'))!.generation, data: a.engine.checkpointRoute('support')! }, 60_000);

    const engine = new PipelineEngine(config);
    const logger = createLogger(parseConfig({ log: { level: 'info', format: 'json' } }), { write: (line: string) => (lines.push(line), true) } as unknown as NodeJS.WritableStream);
    const b = { engine, mirror: new StateMirror(store, engine, { owner: 'b', leaseMs: 10_000, routeTtlMs: 60_000, nowMs: () => now, logger }) };
    await b.mirror.restore();
    // b gets 20 of a's calls again (a client re-sending them) and 30 new ones while a's lease runs.
    await step(b, { kind: 'events', events: [...counted.slice(80), ...calls(now - 40_000, 30, 300)], options: { nowMs: now } });
    now += 11_000;
    await step(b, { kind: 'tick', elapsedMs: 11_000 });
    expect(b.engine.liveStats('support')![0]!.count).toBe(130);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === "counted the route's traffic held while another instance owned it");
    expect(line).toMatchObject({ route: 'support', held: 50, refused_calls: 20 });
  });

  it('a route whose held traffic passed the bound is counted here, but what that decides is not recorded while another instance owns it', async () => {
    const cfg = parseConfig({
      rules: [{ name: 'slow', metric: 'latency_p95_ms', op: 'gt', threshold: 1000, for: '0s', severity: 'warning', min_samples: 20 }],
      log: { level: 'silent' },
    });
    let now = Date.parse('2026-03-02T09:10:00Z');
    const store = new MemoryStateStore({ now: () => now });
    const a = mirrorOf(store, 'a', () => now, cfg);
    await a.mirror.restore();
    await a.mirror.beforeStep({ kind: 'events', events: [makeEvent(now - 1000, 'support', 'v1', 300)] });
    const b = mirrorOf(store, 'b', () => now, cfg);
    await b.mirror.restore();
    // Misrouted traffic while a lives: more than b may hold, slow enough to fire the rule on what b counts.
    const events = Array.from({ length: HELD_INPUTS_LIMIT + 500 }, (_, i) => makeEvent(now - 200_000 + Math.floor(i / 600) * 1000, 'support', 'v1', 2500));
    const input: PipelineInput = { kind: 'events', events, options: { nowMs: now } };
    await b.mirror.beforeStep(input);
    const produced = stepEngine(b.engine, input);
    expect(produced.some((r) => r.type === 'trigger' && r.rule === 'slow')).toBe(true);
    expect(b.mirror.afterStep(produced)).toEqual([]);
    expect(b.engine.heldSizes()).toMatchObject({ inputs: 0, overflowed: 1 });
    // Its lease still a's (a renews it): later steps of b decide nothing for the route either.
    now += 4_000;
    await a.mirror.beforeStep({ kind: 'events', events: [makeEvent(now - 500, 'support', 'v1', 300)] });
    const tick: PipelineInput = { kind: 'tick', elapsedMs: 4_000 };
    await b.mirror.beforeStep(tick);
    expect(b.mirror.afterStep(stepEngine(b.engine, tick)).filter((r) => r.route === 'support')).toEqual([]);
    expect((await store.lease('support'))?.owner).toBe('a');
  });
});
