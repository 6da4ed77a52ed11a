import { randomUUID } from 'node:crypto';
import type { Clock } from '../../ports/ports.js';
import { systemClock } from '../../runtime/systemClock.js';
import { STATE_SCHEMA_VERSION, type FencedWrite, type RouteLease, type StateStore, type StoredCheckpoint, type StoredRoute } from '../../ports/stateStore.js';

interface Aging<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

/**
 * In-memory state store: the embedded default. One process, so ownership is
 * trivially its own, but it keeps the whole contract (leases, fencing, TTLs)
 * so the daemon code behaves the same on it as on Redis.
 */
export class MemoryStateStore implements StateStore {
  private readonly leases = new Map<string, RouteLease>();
  private readonly routes = new Map<string, Aging<StoredRoute>>();
  private readonly checkpoints = new Map<string, Aging<StoredCheckpoint>>();
  /** Write counter, and the counter value of each route's last write. */
  private version = 0;
  private readonly writtenAt = new Map<string, number>();
  /** Never changes: what lives in this process's memory is lost only with the process. */
  private readonly token = randomUUID();

  constructor(private readonly clock: Clock = systemClock) {}

  async open(): Promise<{ readonly schemaVersion: number }> {
    return { schemaVersion: STATE_SCHEMA_VERSION };
  }

  async epoch(): Promise<string> {
    return this.token;
  }

  async claim(route: string, owner: string, leaseMs: number, force = false): Promise<RouteLease> {
    const nowMs = this.clock.now();
    const held = this.leases.get(route);
    if (held !== undefined && held.owner !== owner && held.expiresAtMs > nowMs && !force) return held;
    const generation = held === undefined ? 1 : held.owner === owner && held.expiresAtMs > nowMs ? held.generation : held.generation + 1;
    const lease = { owner, generation, expiresAtMs: nowMs + leaseMs };
    this.leases.set(route, lease);
    return lease;
  }

  async lease(route: string): Promise<RouteLease | null> {
    return this.leases.get(route) ?? null;
  }

  async release(route: string, owner: string): Promise<void> {
    const held = this.leases.get(route);
    if (held?.owner === owner) this.leases.set(route, { ...held, expiresAtMs: 0 });
  }

  async saveRoutes(routes: readonly { readonly stored: StoredRoute; readonly ttlMs: number | null }[]): Promise<FencedWrite> {
    const fenced: string[] = [];
    const nowMs = this.clock.now();
    for (const { stored, ttlMs } of routes) {
      if (stored.generation < (this.leases.get(stored.route)?.generation ?? 0)) {
        fenced.push(stored.route);
        continue;
      }
      // Stored as JSON text, as Redis does: a caller mutating its object later cannot change what was saved.
      this.routes.set(stored.route, { value: JSON.parse(JSON.stringify(stored)) as StoredRoute, expiresAtMs: ttlMs === null ? Infinity : nowMs + ttlMs });
      this.writtenAt.set(stored.route, ++this.version);
    }
    return { fenced };
  }

  async loadRoutes(routes?: readonly string[]): Promise<StoredRoute[]> {
    const nowMs = this.clock.now();
    const names = routes ?? [...this.routes.keys()];
    const out: StoredRoute[] = [];
    for (const name of [...new Set(names)].sort()) {
      const entry = this.routes.get(name);
      if (entry === undefined) continue;
      if (entry.expiresAtMs <= nowMs) this.routes.delete(name);
      else out.push(entry.value);
    }
    return out;
  }

  async changedSince(cursor: number): Promise<{ readonly cursor: number; readonly routes: readonly string[] }> {
    const routes = [...this.writtenAt].filter(([, at]) => at > cursor).map(([route]) => route).sort();
    return { cursor: this.version, routes };
  }

  async saveCheckpoint(checkpoint: StoredCheckpoint, ttlMs: number): Promise<boolean> {
    if (checkpoint.generation < (this.leases.get(checkpoint.route)?.generation ?? 0)) return false;
    this.checkpoints.set(checkpoint.route, { value: { ...checkpoint }, expiresAtMs: this.clock.now() + ttlMs });
    return true;
  }

  async loadCheckpoint(route: string): Promise<StoredCheckpoint | null> {
    const entry = this.checkpoints.get(route);
    if (entry === undefined) return null;
    if (entry.expiresAtMs > this.clock.now()) return entry.value;
    this.checkpoints.delete(route);
    return null;
  }

  async close(): Promise<void> {}
}
