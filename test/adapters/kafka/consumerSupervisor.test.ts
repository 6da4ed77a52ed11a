import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConsumerSupervisor, restartDelayMs, type RestartPolicy } from '../../../src/adapters/kafka/consumerSupervisor.js';
import type { SourceHealth } from '../../../src/ports/ports.js';

const policy: RestartPolicy = { maxAttempts: 3, initialBackoffMs: 1_000, maxBackoffMs: 3_000 };

/** A supervisor on virtual time whose restarts are recorded at their virtual time (ms). */
function harness(restart: () => Promise<void> = async () => {}) {
  const scheduler = new VirtualTimeScheduler();
  const restartsAtMs: number[] = [];
  const supervisor = new ConsumerSupervisor(
    policy,
    () => {
      restartsAtMs.push(scheduler.now());
      return restart();
    },
    undefined,
    scheduler,
  );
  const states: SourceHealth[] = [];
  supervisor.health$.subscribe((h) => states.push(h));
  const advanceTo = (ms: number): void => {
    scheduler.maxFrames = ms;
    scheduler.flush();
  };
  return { supervisor, restartsAtMs, states, advanceTo };
}

describe('ConsumerSupervisor', () => {
  it('backoff doubles from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => restartDelayMs(policy, n))).toEqual([1_000, 2_000, 3_000, 3_000, 3_000]);
  });

  it('restarts a crash the client does not recover from, after the backoff, and is consuming again after the join', () => {
    const { supervisor, restartsAtMs, states, advanceTo } = harness();
    supervisor.joined();
    supervisor.crashed(new Error('INVALID_REQUEST on SyncGroup'), false);
    expect(supervisor.health).toEqual({ state: 'recovering', restarts: 0, reason: 'consumer crashed: INVALID_REQUEST on SyncGroup' });
    advanceTo(999);
    expect(restartsAtMs).toEqual([]);
    advanceTo(1_000);
    expect(restartsAtMs).toEqual([1_000]);
    supervisor.joined();
    expect(supervisor.health).toEqual({ state: 'consuming', restarts: 1 });
    expect(states.map((s) => s.state)).toEqual(['starting', 'consuming', 'recovering', 'consuming']);
  });

  it('only counts a crash the client restarts by itself', () => {
    const { supervisor, restartsAtMs, advanceTo } = harness();
    supervisor.crashed(new Error('connection closed'), true);
    advanceTo(60_000);
    expect(restartsAtMs).toEqual([]);
    expect(supervisor.health.state).toBe('recovering');
  });

  it('consecutive crashes back off further; a join in between resets the count', () => {
    const { supervisor, restartsAtMs, advanceTo } = harness();
    supervisor.crashed(new Error('a'), false); // restart at 1 000
    advanceTo(1_000);
    supervisor.crashed(new Error('b'), false); // second in a row: 2 000 later
    advanceTo(3_000);
    supervisor.joined();
    supervisor.crashed(new Error('c'), false); // first again: 1 000 later
    advanceTo(4_000);
    expect(restartsAtMs).toEqual([1_000, 3_000, 4_000]);
  });

  it('fails for good after more than maxAttempts crashes in a row, and a restart that throws counts as a crash', async () => {
    const { supervisor, restartsAtMs, states, advanceTo } = harness(() => Promise.reject(new Error('cannot connect')));
    supervisor.crashed(new Error('first'), false);
    // Restarts at 1 s, then +2 s, then +3 s (capped); the third failing restart is the fourth crash in a row.
    for (const ms of [1_000, 3_000, 6_000]) {
      advanceTo(ms);
      await new Promise((resolve) => setImmediate(resolve));
    }
    advanceTo(60_000);
    expect(restartsAtMs).toEqual([1_000, 3_000, 6_000]);
    expect(supervisor.health.state).toBe('failed');
    expect(supervisor.health.reason).toBe('consumer crashed 4 times in a row without joining its group; last: cannot connect');
    expect(states.at(-1)?.state).toBe('failed');
    supervisor.joined();
    expect(supervisor.health.state).toBe('failed');
  });

  it('stop cancels a pending restart and ends the health stream', () => {
    const { supervisor, restartsAtMs, states, advanceTo } = harness();
    let completed = false;
    supervisor.health$.subscribe({ complete: () => (completed = true) });
    supervisor.crashed(new Error('x'), false);
    supervisor.stop();
    advanceTo(10_000);
    expect(restartsAtMs).toEqual([]);
    expect(states.at(-1)?.state).toBe('stopped');
    expect(completed).toBe(true);
  });
});
