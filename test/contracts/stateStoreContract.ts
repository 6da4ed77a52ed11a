import { describe, expect, it } from 'vitest';
import { createExperimentState, addArmEvent } from '../../src/abtest/index.js';
import type { ExperimentSnapshot, RouteControlState } from '../../src/abtest/experimentManager.js';
import { STATE_SCHEMA_VERSION, type StateStore, type StoredRoute } from '../../src/ports/stateStore.js';
import { event } from './fixtures.js';

/** A store under test and a way to let time pass for its leases and TTLs. */
export interface StateStoreUnderTest {
  readonly store: StateStore;
  /** Lets `ms` of the store's clock pass (a fake clock, or a real wait for Redis). */
  elapse(ms: number): Promise<void>;
}

/** A route's control state with a running experiment carrying real arm statistics, and non-ASCII text. */
export function controlState(route: string, share = 0.05): RouteControlState {
  const state = createExperimentState(1_700_000_000_000, 100);
  for (let i = 0; i < 30; i++) addArmEvent(state, i % 3 === 0, event(i, route, { cost_usd: 0.001 * i, quality: 0.8 }));
  const snapshot: ExperimentSnapshot = {
    id: `exp-act-${route}`, route, kind: 'token_optimization', action_id: `act-${route}`, status: 'running',
    started_at: 1_700_000_000_000, deadline: 1_700_086_400_000, ended_at: null,
    baseline: { variant: 'v1', pattern: 'chain_of_thought' }, candidate: { variant: 'v1-compressed', pattern: 'chain_of_thought' },
    share, ramp: [[1_700_000_000_000, share]], salt: `exp-act-${route}`, hash_version: 1, reason: null, n: [20, 10], evidence: {}, srm: null,
    candidate_params: { template: 'Résumé ☕: answer briefly.' }, template_tokens: { baseline: 40, candidate: 31 }, paused: null,
  };
  return {
    registry: {
      current: 'v1', pinned: true,
      variants: [
        { variant: 'v1', pattern: 'chain_of_thought', tier: null, maxTokens: null, template: 'Think step by step, then answer — ☕.', compression: null, source: 'config' },
        { variant: 'v1-compressed', pattern: 'chain_of_thought', tier: null, maxTokens: null, template: 'Résumé ☕: answer briefly.', compression: { level: 'conservative', tokensBefore: 40, tokensAfter: 31, savingPct: 22.5, transforms: [{ name: 'filler', tokensSaved: 9 }] }, source: 'action' },
      ],
    },
    running: { snapshot, state, rampIndex: 0, srmFiring: false },
    finished: [],
    cooldownUntil: null,
    lastEnded: null,
  };
}

const stored = (route: string, generation: number, owner: string, share = 0.05): StoredRoute => ({ route, generation, owner, control: controlState(route, share) });

/**
 * The StateStore contract: what every adapter (memory, Redis) must honour —
 * leases with strictly growing generations, fenced writes, exact round trips,
 * TTLs. Run it from one `<adapter>.test.ts` file per adapter; `make` must
 * return an empty store each call.
 */
export function stateStoreContract(name: string, make: () => Promise<StateStoreUnderTest>): void {
  describe(`StateStore contract: ${name}`, () => {
    it('open reports the schema version, the same on every open', async () => {
      const { store } = await make();
      expect(await store.open()).toEqual({ schemaVersion: STATE_SCHEMA_VERSION });
      expect(await store.open()).toEqual({ schemaVersion: STATE_SCHEMA_VERSION });
    });

    it('the epoch is one token, the same on every call while the store keeps its data', async () => {
      const t = await make();
      await t.store.open();
      const epoch = await t.store.epoch();
      expect(epoch).toMatch(/\S/);
      await t.store.claim('r', 'i1', 60_000);
      expect(await t.store.epoch()).toBe(epoch);
    });

    it('a route state round-trips exactly (arm statistics, templates, non-ASCII names); loads are sorted and skip unknown routes', async () => {
      const { store } = await make();
      await store.open();
      const routes = ['support', 'billing-é☕', 'a:b/c d'];
      for (const route of routes) await store.claim(route, 'i1', 10_000);
      expect(await store.saveRoutes(routes.map((route) => ({ stored: stored(route, 1, 'i1'), ttlMs: null })))).toEqual({ fenced: [] });
      expect(await store.loadRoutes()).toEqual([...routes].sort().map((route) => stored(route, 1, 'i1')));
      expect(await store.loadRoutes(['support', 'nope'])).toEqual([stored('support', 1, 'i1')]);
      expect(await store.loadRoutes([])).toEqual([]);
    });

    it('a later write of the same route replaces the earlier one', async () => {
      const { store } = await make();
      await store.claim('support', 'i1', 10_000);
      await store.saveRoutes([{ stored: stored('support', 1, 'i1', 0.05), ttlMs: null }]);
      await store.saveRoutes([{ stored: stored('support', 1, 'i1', 0.25), ttlMs: null }]);
      const [loaded] = await store.loadRoutes(['support']);
      expect(loaded?.control.running?.snapshot.share).toBe(0.25);
    });

    it('claims: the first owner gets generation 1, renewal keeps it, a live lease refuses others, a lapsed one goes to the next owner with a higher generation', async () => {
      const t = await make();
      const first = await t.store.claim('support', 'i1', 400);
      expect(first).toMatchObject({ owner: 'i1', generation: 1 });
      expect(await t.store.claim('support', 'i1', 400)).toMatchObject({ owner: 'i1', generation: 1 });
      expect(await t.store.claim('support', 'i2', 400)).toMatchObject({ owner: 'i1', generation: 1 });
      expect(await t.store.lease('support')).toMatchObject({ owner: 'i1', generation: 1 });
      await t.elapse(600);
      expect(await t.store.claim('support', 'i2', 400)).toMatchObject({ owner: 'i2', generation: 2 });
      // Coming back after losing it is a change of owner too: a new generation, never an old one reused.
      await t.elapse(600);
      expect(await t.store.claim('support', 'i1', 400)).toMatchObject({ owner: 'i1', generation: 3 });
      expect(await t.store.lease('other')).toBeNull();
    });

    it('force takes a live lease (a rebalance said so) with a higher generation; release frees it for the next owner at once', async () => {
      const { store } = await make();
      await store.claim('support', 'i1', 60_000);
      expect(await store.claim('support', 'i2', 60_000, true)).toMatchObject({ owner: 'i2', generation: 2 });
      await store.release('support', 'i1'); // not the holder: nothing happens
      expect(await store.claim('support', 'i1', 60_000)).toMatchObject({ owner: 'i2', generation: 2 });
      await store.release('support', 'i2');
      expect(await store.claim('support', 'i3', 60_000)).toMatchObject({ owner: 'i3', generation: 3 });
    });

    it('fencing: a stale owner cannot overwrite what the newer owner wrote; other routes of the same write still land', async () => {
      const { store } = await make();
      await store.claim('support', 'i1', 60_000);
      await store.claim('billing', 'i1', 60_000);
      await store.saveRoutes([{ stored: stored('support', 1, 'i1', 0.05), ttlMs: null }]);
      await store.claim('support', 'i2', 60_000, true);
      await store.saveRoutes([{ stored: stored('support', 2, 'i2', 0.5), ttlMs: null }]);
      const stale = await store.saveRoutes([
        { stored: stored('support', 1, 'i1', 0.99), ttlMs: null },
        { stored: stored('billing', 1, 'i1', 0.1), ttlMs: null },
      ]);
      expect(stale.fenced).toEqual(['support']);
      const loaded = await store.loadRoutes();
      expect(loaded.map((r) => [r.route, r.owner, r.generation, r.control.running?.snapshot.share])).toEqual([
        ['billing', 'i1', 1, 0.1],
        ['support', 'i2', 2, 0.5],
      ]);
      expect(await store.saveCheckpoint({ route: 'support', generation: 1, data: '{"stale":true}' }, 60_000)).toBe(false);
      expect(await store.loadCheckpoint('support')).toBeNull();
      expect(await store.saveCheckpoint({ route: 'support', generation: 2, data: '{"w":[1,2]}' }, 60_000)).toBe(true);
      expect(await store.loadCheckpoint('support')).toEqual({ route: 'support', generation: 2, data: '{"w":[1,2]}' });
    });

    it('TTLs: a route saved with a TTL and a checkpoint age out; a route saved without one stays', async () => {
      const t = await make();
      await t.store.claim('learned', 'i1', 60_000);
      await t.store.claim('promoted', 'i1', 60_000);
      await t.store.saveRoutes([
        { stored: stored('learned', 1, 'i1'), ttlMs: 300 },
        { stored: stored('promoted', 1, 'i1'), ttlMs: null },
      ]);
      await t.store.saveCheckpoint({ route: 'learned', generation: 1, data: 'x' }, 300);
      expect((await t.store.loadRoutes()).map((r) => r.route)).toEqual(['learned', 'promoted']);
      await t.elapse(700);
      expect((await t.store.loadRoutes()).map((r) => r.route)).toEqual(['promoted']);
      expect(await t.store.loadRoutes(['learned'])).toEqual([]);
      expect(await t.store.loadCheckpoint('learned')).toBeNull();
    });

    it('changedSince names the routes written after a cursor (fenced writes are not changes), and hands the next cursor', async () => {
      const { store } = await make();
      const start = await store.changedSince(0);
      expect(start.routes).toEqual([]);
      await store.claim('b', 'i1', 60_000);
      await store.claim('a', 'i1', 60_000);
      await store.saveRoutes([{ stored: stored('b', 1, 'i1'), ttlMs: null }, { stored: stored('a', 1, 'i1'), ttlMs: null }]);
      const first = await store.changedSince(start.cursor);
      expect(first.routes).toEqual(['a', 'b']);
      expect(first.cursor).toBeGreaterThan(start.cursor);
      expect((await store.changedSince(first.cursor)).routes).toEqual([]);
      await store.saveRoutes([{ stored: stored('a', 1, 'i1', 0.5), ttlMs: null }]);
      await store.claim('b', 'i2', 60_000, true);
      await store.saveRoutes([{ stored: stored('b', 1, 'i1', 0.5), ttlMs: null }]); // fenced
      const second = await store.changedSince(first.cursor);
      expect(second.routes).toEqual(['a']);
      expect((await store.changedSince(0)).routes).toEqual(['a', 'b']);
      expect((await store.changedSince(second.cursor)).routes).toEqual([]);
    });

    it('an empty write is a no-op, and an empty store loads nothing', async () => {
      const { store } = await make();
      expect(await store.saveRoutes([])).toEqual({ fenced: [] });
      expect(await store.loadRoutes()).toEqual([]);
      expect(await store.loadCheckpoint('support')).toBeNull();
    });
  });
}
