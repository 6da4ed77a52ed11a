import { describe, expect, it } from 'vitest';
import {
  cooldownAfterAction,
  cooldownAfterExperiment,
  cooldownBlock,
  holdsExperimentOf,
  laterCooldown,
  legacyActionCooldown,
  legacyExperimentCooldown,
  RouteCooldowns,
} from '../../src/actions/routeCooldown.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const MIN = 60_000;

describe('route cooldown: one per route, whichever ends later', () => {
  it.each([
    ['an action, then an experiment ending later', cooldownAfterAction('a1', T0, 30 * MIN), cooldownAfterExperiment('e1', T0 + 10 * MIN, 60 * MIN), 'e1'],
    ['an experiment, then a shorter action cooldown', cooldownAfterExperiment('e1', T0, 60 * MIN), cooldownAfterAction('a1', T0 + MIN, 30 * MIN), 'e1'],
    ['a tie keeps the running one', cooldownAfterAction('a1', T0, 30 * MIN), cooldownAfterAction('a2', T0, 30 * MIN), 'a1'],
  ] as const)('%s', (_name, first, second, winner) => {
    expect(laterCooldown(first, second)?.id).toBe(winner);
    const store = new RouteCooldowns();
    store.start('r', first);
    store.start('r', second);
    expect(store.get('r')?.id).toBe(winner);
  });

  it('skip details name the end, the cause and the config key', () => {
    expect(cooldownBlock(cooldownAfterAction('a1', T0, 30 * MIN), 'support', T0 + 5 * MIN)).toEqual({
      code: 'cooldown', detail: 'cooldown until 2026-01-05T08:30:00.000Z: route support had an action 5m ago (actions.cooldown 30m)',
    });
    expect(cooldownBlock(cooldownAfterExperiment('exp-1', T0, 60 * MIN), 'support', T0)).toEqual({
      code: 'cooldown', detail: 'cooldown until 2026-01-05T09:00:00.000Z after experiment exp-1 (abtest.cooldown)',
    });
    expect(cooldownBlock(cooldownAfterAction('a1', T0, 30 * MIN), 'support', T0 + 30 * MIN)).toBeNull(); // ends exclusive
    expect(cooldownBlock(null, 'support', T0)).toBeNull();
  });

  it('holds every experiment but the one of the action that started it', () => {
    const afterAction = cooldownAfterAction('a1', T0, 30 * MIN);
    expect(holdsExperimentOf(afterAction, 'a1', T0)).toBe(false);
    expect(holdsExperimentOf(afterAction, 'a2', T0)).toBe(true);
    expect(holdsExperimentOf(afterAction, 'a2', T0 + 30 * MIN)).toBe(false);
    expect(holdsExperimentOf(cooldownAfterExperiment('a1', T0, MIN), 'a1', T0)).toBe(true);
  });

  it('reads what older daemons stored: control state cooldownUntil/lastEnded, checkpoint planner', () => {
    expect(legacyExperimentCooldown(T0, 'exp-1')).toEqual({ untilMs: T0, after: 'experiment', id: 'exp-1', sinceMs: null });
    expect(legacyExperimentCooldown(null, 'exp-1')).toBeNull();
    expect(legacyExperimentCooldown(undefined, undefined)).toBeNull();
    expect(legacyActionCooldown({ lastActionMs: T0, lastActionId: null }, 30 * MIN)).toEqual({ untilMs: T0 + 30 * MIN, after: 'action', id: null, sinceMs: T0 });
    expect(legacyActionCooldown({ lastActionMs: null, lastActionId: null }, 30 * MIN)).toBeNull();
    expect(cooldownBlock(legacyExperimentCooldown(T0 + MIN, null), 'r', T0)?.detail).toBe('cooldown until 2026-01-05T08:01:00.000Z (abtest.cooldown)');
  });

  it('forgets a route only once its cooldown has ended; reports started ones once', () => {
    const store = new RouteCooldowns();
    store.start('r', cooldownAfterAction('a1', T0, 30 * MIN));
    store.replace('s', cooldownAfterExperiment('e1', T0, MIN)); // imported: already stored
    expect(store.takeChanged()).toEqual(['r']);
    expect(store.takeChanged()).toEqual([]);
    store.forgetExpired('r', T0 + 29 * MIN);
    store.forgetExpired('s', T0 + MIN);
    expect([store.get('r')?.id, store.get('s'), store.size]).toEqual(['a1', null, 1]);
  });
});
