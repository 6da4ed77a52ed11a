import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/adapters/memory/memoryStateStore.js';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { createLogger } from '../../src/runtime/logger.js';
import { StateMirror } from '../../src/runtime/stateMirror.js';
import { trigger } from '../contracts/fixtures.js';

const config = parseConfig({ routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } }, log: { level: 'silent' } });

function mirrorOf(store: MemoryStateStore, owner: string, nowMs: () => number): { engine: PipelineEngine; mirror: StateMirror } {
  const engine = new PipelineEngine(config);
  const mirror = new StateMirror(store, engine, { owner, leaseMs: 10_000, routeTtlMs: 60_000, nowMs, logger: createLogger(config) });
  return { engine, mirror };
}

const register = (engine: PipelineEngine, name: string): void =>
  engine.experiments.registry.register('support', { variant: name, pattern: 'zero_shot', tier: null, maxTokens: null, template: `T ${name}`, compression: null, source: 'api' });

describe('StateMirror', () => {
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
});
