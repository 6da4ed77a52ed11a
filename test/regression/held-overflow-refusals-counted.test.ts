// Regression: a route's held traffic that passed the hold's bound was counted at once, in arrival order, and what of
// it had fallen behind the window was refused there — but unlike the same refusal at a takeover (commit 407360d) it
// was not reported, so promptpilot_events_rejected_total{source="held",reason="takeover"} missed it while
// accepted_total had counted it when it arrived. Both ways of counting held traffic now report their refusals.
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/adapters/memory/memoryStateStore.js';
import { parseConfig } from '../../src/config/load.js';
import { makeEvent } from '../../src/core/event.js';
import { HELD_INPUTS_LIMIT, PipelineEngine } from '../../src/engine/engine.js';
import { createLogger } from '../../src/runtime/logger.js';
import { StateMirror } from '../../src/runtime/stateMirror.js';
import { stepEngine, type PipelineInput } from '../../src/streams/pipelineInput.js';

const config = parseConfig({ log: { level: 'silent' } });

describe('held traffic whose hold overflows', () => {
  it('reports the held events it refuses as too late when it counts them', async () => {
    const now = Date.parse('2026-03-02T09:10:00Z');
    const store = new MemoryStateStore({ now: () => now });
    await store.claim('support', 'a', 60_000); // another instance owns the route
    const engine = new PipelineEngine(config);
    const refused: number[] = [];
    const mirror = new StateMirror(store, engine, { owner: 'b', leaseMs: 60_000, routeTtlMs: 60_000, nowMs: () => now, logger: createLogger(config), onTakeoverRefused: (n) => refused.push(n) });
    await mirror.restore();
    // One fresh call, then calls 20 minutes old (behind the 5-minute window once the fresh one is counted): more than
    // the hold takes. The one past the bound counts what was held — the fresh call, then the old ones, refused.
    const stale = HELD_INPUTS_LIMIT + 10;
    const events = [makeEvent(now - 1_000, 'support', 'v1', 300), ...Array.from({ length: stale }, (_, i) => makeEvent(now - 1_200_000 + (i % 1_000), 'support', 'v1', 300))];
    const tooLateLive: number[] = [];
    const input: PipelineInput = { kind: 'events', events, options: { nowMs: now, onTooLate: (index) => tooLateLive.push(index) } };
    await mirror.beforeStep(input);
    mirror.afterStep(stepEngine(engine, input));
    expect(engine.heldSizes()).toMatchObject({ inputs: 0, overflowed: 1 });
    // Held: the fresh call and HELD_INPUTS_LIMIT - 1 old ones, refused when counted; the rest were refused live.
    expect(refused).toEqual([HELD_INPUTS_LIMIT - 1]);
    expect(tooLateLive).toHaveLength(stale - (HELD_INPUTS_LIMIT - 1));
    expect(engine.tooLateEventsOf('support')).toBe(stale);
  });
});
