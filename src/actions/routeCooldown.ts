import { formatDurationMs } from '../config/duration.js';
import type { ActionBlock } from './planner.js';

/**
 * A route's cooldown: until `untilMs` (epoch ms event time) no new action is
 * planned on the route, whichever rule asks. One per route, started by what
 * happened last on it:
 *
 * - `after: 'action'` — an action was planned (`actions.cooldown` long): the
 *   other rules firing in the meantime do not pile actions on the route. The
 *   experiment that action starts is not held by it.
 * - `after: 'experiment'` — an experiment ended (promoted, rolled back,
 *   inconclusive, or a promotion rolled back by the watch after it;
 *   `abtest.cooldown` long, per route): the route settles before the next one.
 *
 * @remarks Plain JSON: the route's control state in the state store carries it
 * (written after every step that changed it), so a restart, a takeover or a
 * follower sees the same cooldown. A new cooldown never shortens a running one.
 */
export interface RouteCooldown {
  /** End of the cooldown, epoch ms event time (exclusive: at `untilMs` the route may act again). */
  readonly untilMs: number;
  /** What started it: a planned action or an ended experiment. */
  readonly after: 'action' | 'experiment';
  /** The action's or the experiment's id; null when not known (a state written by an older daemon). */
  readonly id: string | null;
  /** When it started (the action planned, the experiment ended), epoch ms event time; null when not known. */
  readonly sinceMs: number | null;
}

/** The cooldown an action planned at `nowMs` starts: `actions.cooldown` long. */
export function cooldownAfterAction(actionId: string, nowMs: number, cooldownMs: number): RouteCooldown {
  return { untilMs: nowMs + cooldownMs, after: 'action', id: actionId, sinceMs: nowMs };
}

/** The cooldown an experiment ending at `nowMs` starts: the route's `abtest.cooldown` long. */
export function cooldownAfterExperiment(experimentId: string, nowMs: number, cooldownMs: number): RouteCooldown {
  return { untilMs: nowMs + cooldownMs, after: 'experiment', id: experimentId, sinceMs: nowMs };
}

/** Whichever of two cooldowns ends later (the first on a tie): starting a cooldown never shortens one. */
export function laterCooldown(current: RouteCooldown | null, next: RouteCooldown | null): RouteCooldown | null {
  if (current === null) return next;
  if (next === null) return current;
  return next.untilMs > current.untilMs ? next : current;
}

/**
 * Why the route takes no new action at `nowMs` because it cools down, or null
 * (no cooldown, or it has ended). The detail names the end, the cause and the
 * config key, as skipped-action records and `GET /v1/routes/{route}` show it.
 */
export function cooldownBlock(cooldown: RouteCooldown | null, route: string, nowMs: number): ActionBlock | null {
  if (cooldown === null || cooldown.untilMs <= nowMs) return null;
  const until = `cooldown until ${new Date(cooldown.untilMs).toISOString()}`;
  if (cooldown.after === 'experiment') {
    return { code: 'cooldown', detail: `${until}${cooldown.id !== null ? ` after experiment ${cooldown.id}` : ''} (abtest.cooldown)` };
  }
  const ago = cooldown.sinceMs !== null ? ` ${formatDurationMs(nowMs - cooldown.sinceMs)} ago` : '';
  const length = cooldown.sinceMs !== null ? ` ${formatDurationMs(cooldown.untilMs - cooldown.sinceMs)}` : '';
  return { code: 'cooldown', detail: `${until}: route ${route} had an action${ago} (actions.cooldown${length})` };
}

/**
 * Whether the cooldown keeps the experiment of action `actionId` from
 * starting at `nowMs`: it does unless it has ended or that very action
 * started it.
 */
export function holdsExperimentOf(cooldown: RouteCooldown | null, actionId: string, nowMs: number): boolean {
  if (cooldown === null || cooldown.untilMs <= nowMs) return false;
  return !(cooldown.after === 'action' && cooldown.id === actionId);
}

/**
 * The cooldown a route control state written before {@link RouteCooldown}
 * existed carries: its `cooldownUntil` (only ever set when an experiment
 * ended) and the id of that experiment (`lastEnded`).
 */
export function legacyExperimentCooldown(cooldownUntil: number | null | undefined, lastEnded: string | null | undefined): RouteCooldown | null {
  if (cooldownUntil == null) return null;
  return { untilMs: cooldownUntil, after: 'experiment', id: lastEnded ?? null, sinceMs: null };
}

/**
 * The cooldown a checkpoint written before {@link RouteCooldown} existed
 * carries in its planner state: the route's last action (`lastActionMs`)
 * plus `actions.cooldown`.
 */
export function legacyActionCooldown(planner: { readonly lastActionMs: number | null; readonly lastActionId: string | null } | null | undefined, cooldownMs: number): RouteCooldown | null {
  if (planner == null || planner.lastActionMs === null) return null;
  return { untilMs: planner.lastActionMs + cooldownMs, after: 'action', id: planner.lastActionId, sinceMs: planner.lastActionMs };
}

/**
 * Every route's cooldown, in one place: the planner asks it before planning
 * and starts one with each action; the experiment lifecycle asks it before
 * starting an experiment and starts one when an experiment ends; the route's
 * control state persists it. Pure (event time only); bounded by the routes
 * with a live or recent cooldown ({@link forgetExpired} drops the rest).
 */
export class RouteCooldowns {
  private readonly byRoute = new Map<string, RouteCooldown>();
  private readonly changed = new Set<string>();
  private changes = 0;

  /** Moves whenever a cooldown is started, replaced or dropped: what an answer of {@link blockFor} may be cached against. */
  get version(): number {
    return this.changes;
  }

  /** The route's cooldown (possibly ended), or null. */
  get(route: string): RouteCooldown | null {
    return this.byRoute.get(route) ?? null;
  }

  /** Starts a cooldown on the route unless the one it has ends later. */
  start(route: string, cooldown: RouteCooldown): void {
    const current = this.get(route);
    if (laterCooldown(current, cooldown) === current) return;
    this.byRoute.set(route, cooldown);
    this.changed.add(route);
    this.changes++;
  }

  /** Why the route takes no new action at `nowMs` because it cools down, or null. */
  blockFor(route: string, nowMs: number): ActionBlock | null {
    return cooldownBlock(this.get(route), route, nowMs);
  }

  /** Replaces the route's cooldown with a stored one (null: none), e.g. from its control state. */
  replace(route: string, cooldown: RouteCooldown | null): void {
    if (cooldown === null) this.byRoute.delete(route);
    else this.byRoute.set(route, cooldown);
    this.changes++;
  }

  /** Drops the route's cooldown once it has ended at `nowMs`. */
  forgetExpired(route: string, nowMs: number): void {
    const cooldown = this.byRoute.get(route);
    if (cooldown !== undefined && cooldown.untilMs <= nowMs) {
      this.byRoute.delete(route);
      this.changes++;
    }
  }

  /** Routes whose cooldown was started since the last call (their stored state must be written). */
  takeChanged(): string[] {
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  /** Routes with a cooldown held (for memory gauges). */
  get size(): number {
    return this.byRoute.size;
  }
}
