import type { RouteControlState } from '../abtest/experimentManager.js';

/**
 * Version of the state store's layout (keys and their JSON). A daemon reads
 * every version up to its own and refuses a newer store with one clear line,
 * rather than misreading it. History: 1 — the first layout (docs/operations.md).
 */
export const STATE_SCHEMA_VERSION = 1;

/** Who owns a route now: an instance id and the ownership generation it was granted. */
export interface RouteLease {
  readonly owner: string;
  /** Strictly increases every time ownership changes hands; fences writes of earlier owners. */
  readonly generation: number;
  /** When the lease lapses unless renewed, epoch ms (store clock). */
  readonly expiresAtMs: number;
}

/** A route's durable state as written by its owner under one ownership generation. */
export interface StoredRoute {
  readonly route: string;
  /** The writer's ownership generation (see {@link RouteLease}). */
  readonly generation: number;
  readonly owner: string;
  readonly control: RouteControlState;
}

/** A serialized checkpoint of a route's windows and detectors (opaque to the store). */
export interface StoredCheckpoint {
  readonly route: string;
  readonly generation: number;
  /** The engine's serialization (JSON text). */
  readonly data: string;
}

/** Result of a fenced write: the routes refused because a newer owner holds them. */
export interface FencedWrite {
  readonly fenced: readonly string[];
}

/**
 * Durable state that must survive restarts and be shared between instances:
 * per-route control state (registry, experiments, promotions, cooldowns),
 * window/detector checkpoints, and route ownership with fencing.
 *
 * @remarks Fencing: {@link claim} grants a generation; a write carrying a
 * generation lower than the route's current one is refused (its route is in
 * `fenced`), so an instance that lost a route (a pause, a partition, a
 * rebalance) can never overwrite what the new owner wrote.
 */
export interface StateStore {
  /**
   * Checks the store's schema version, writing {@link STATE_SCHEMA_VERSION}
   * into an empty store. Throws a ConfigError for a store written by a newer daemon.
   */
  open(): Promise<{ readonly schemaVersion: number }>;
  /**
   * A token naming the store's contents: the same on every call while the store keeps what was written to it; a new
   * one once it lost it (an emptied Redis, a failover to an empty replica), written then along with the schema
   * version. An instance that finds another token than the one it knew rewrites what it holds. One cheap read.
   */
  epoch(): Promise<string>;
  /**
   * Takes or renews ownership of a route for `leaseMs`. Granted when the route
   * is free, its lease lapsed, or `owner` already holds it (renewal keeps the
   * generation); a change of owner gets a higher generation. `force` takes it
   * even from a live owner (the message broker said so: a rebalance).
   * Returns the lease held afterwards — someone else's when not granted.
   */
  claim(route: string, owner: string, leaseMs: number, force?: boolean): Promise<RouteLease>;
  /** Current lease of a route, lapsed or not; null when never claimed. */
  lease(route: string): Promise<RouteLease | null>;
  /** Gives a route up (clean shutdown, partition revoked) if `owner` holds it. */
  release(route: string, owner: string): Promise<void>;
  /**
   * Writes route states (fenced, see above). `ttlMs` null keeps a route forever
   * (it carries promotions or registered variants); otherwise it ages out
   * `ttlMs` after its last write.
   */
  saveRoutes(routes: readonly { readonly stored: StoredRoute; readonly ttlMs: number | null }[]): Promise<FencedWrite>;
  /** Stored routes, sorted by name: the given ones, or all. */
  loadRoutes(routes?: readonly string[]): Promise<StoredRoute[]>;
  /**
   * Routes written since `cursor` (0: all ever written), sorted, and the
   * cursor to pass next time: what a follower re-reads instead of every route.
   */
  changedSince(cursor: number): Promise<{ readonly cursor: number; readonly routes: readonly string[] }>;
  /** Writes a checkpoint (fenced), ageing out after `ttlMs`. Returns false when fenced. */
  saveCheckpoint(checkpoint: StoredCheckpoint, ttlMs: number): Promise<boolean>;
  loadCheckpoint(route: string): Promise<StoredCheckpoint | null>;
  close(): Promise<void>;
}
