import type { RouteControlState } from '../abtest/experimentManager.js';
import type { DecisionRecord } from '../core/decision.js';
import { describeError } from '../core/errors.js';
import { HELD_INPUTS_LIMIT, type PipelineEngine } from '../engine/engine.js';
import type { RouteLease, StateStore, StoredCheckpoint, StoredRoute } from '../ports/stateStore.js';
import type { PipelineInput } from '../streams/pipelineInput.js';
import type { Logger } from './logger.js';
import { SettledCount } from './settledCount.js';

/** Options of {@link StateMirror}. */
export interface StateMirrorOptions {
  /** This instance's identity in route leases (`redis.instance_id`). */
  readonly owner: string;
  /** How long a route lease lasts without renewal, ms (`redis.lease`). */
  readonly leaseMs: number;
  /** How long the state of a route that only traffic taught us lives after its last write, ms (`redis.route_ttl`). */
  readonly routeTtlMs: number;
  /** Wall clock, epoch ms. */
  readonly nowMs: () => number;
  readonly logger: Logger;
  /**
   * Reads the route's long-horizon history another instance sealed since this
   * one loaded it (Redis), before a route that changed hands is restored; resolves with the hours read.
   */
  readonly loadHistory?: (route: string) => Promise<number>;
  /**
   * Called with how many held events were refused when they were counted at last — by a takeover (the previous
   * owner's checkpoint had counted them already, or they were older than the window) or by their route's hold
   * overflowing its bound (older than the window by then): they were taken as accepted when they arrived, so the
   * daemon counts them as rejected here (`promptpilot_events_rejected_total{reason="takeover"}`).
   */
  readonly onTakeoverRefused?: (events: number) => void;
}

interface Owned {
  readonly generation: number;
  /** Renew the lease once the wall clock passes this. */
  renewAtMs: number;
}

/** What the mirror reports for readiness and metrics. */
export interface MirrorStatus {
  /** Route states waiting to be written (the store was unreachable). */
  readonly pendingRoutes: number;
  /** Routes this instance owns, and routes it follows (owned by another instance). */
  readonly owned: number;
  readonly followed: number;
  /** Routes whose traffic this instance holds for a takeover, and the events (or OTLP data points) held. */
  readonly heldRoutes: number;
  readonly heldInputs: number;
  /** Why the last write failed, while writes are failing. */
  readonly failing: string | null;
}

/**
 * Keeps the engine's durable per-route state (registry, experiments,
 * promotions, cooldowns) in the {@link StateStore} and decides which instance
 * acts for each route.
 *
 * - Restart: {@link restore} loads every stored route before the daemon serves.
 * - Ownership: a route's first traffic claims its lease; the owner renews it
 *   while traffic comes. Another instance's live lease makes this one a
 *   follower of the route: its state is the owner's, re-read from the store,
 *   and the route's traffic that reaches this instance is held, not counted
 *   (`PipelineEngine.holdRoute`), so it makes no decisions for the route.
 * - Takeover: once the owner's lease lapses (it died, its partitions moved),
 *   an instance with traffic for the route, or holding some, claims a higher
 *   generation and continues from the stored state and the owner's last
 *   checkpoint, then counts what it held on top (events the checkpoint
 *   counted are refused): the gap's traffic is counted once and its
 *   decisions are made, with their evidence, by the new owner. A stale
 *   owner's writes are fenced and it turns follower.
 * - Outage: a failed write keeps the route's latest state pending (one entry
 *   per route, so bounded by the routes) and is retried on every step and by
 *   {@link flush}; the pipeline never waits for Redis to come back.
 */
export class StateMirror {
  private readonly owned = new Map<string, Owned>();
  /** Routes another instance owns, with their latest stored state. */
  private readonly followed = new Map<string, StoredRoute>();
  /** Routes whose lease another instance held at this one's last try, and when to try claiming each again (ms; never while nothing is held for it). */
  private readonly holding = new Map<string, number>();
  /** Callers of {@link released} waiting for the held traffic to be counted. */
  private releaseWaiters: (() => void)[] = [];
  /** The engine's {@link PipelineEngine.heldRefused} as last reported. */
  private heldRefusedSeen = 0;
  /** Routes whose hold had overflowed at the last step (logged when it rises). */
  private overflowedSeen = 0;
  private readonly pending = new Map<string, { stored: StoredRoute; ttlMs: number | null }>();
  private failing: string | null = null;
  /** Position in the store's write order up to which {@link fetchChanged} has read. */
  private cursor = 0;
  /** Route-state changes made pending so far, and how many of the first ones are written (or no longer ours to write). */
  private changes = 0;
  private readonly changesSettled = new SettledCount();
  /** The store's {@link StateStore.epoch} as this instance last wrote to it (null before {@link restore}). */
  private epoch: string | null = null;

  constructor(
    private readonly store: StateStore,
    private readonly engine: PipelineEngine,
    private readonly options: StateMirrorOptions,
  ) {}

  /** Loads every stored route into the engine (call before serving). Returns how many. */
  async restore(): Promise<number> {
    await this.store.open();
    this.epoch = await this.store.epoch();
    // The cursor before the load: a route written meanwhile is read again by the next fetch, never missed.
    this.cursor = (await this.store.changedSince(Number.MAX_SAFE_INTEGER)).cursor;
    const stored = await this.store.loadRoutes();
    for (const s of stored) this.engine.experiments.importRoute(s.route, s.control);
    // What was just loaded is not a change to write back.
    this.engine.experiments.takeChangedRoutes();
    // Routes this instance owned before a restart are reclaimed at once, their statistics resumed from
    // their checkpoints, so /v1/routes shows them before the first event arrives.
    // A configured route whose control state never changed has no stored state; its lease says whose it was.
    const nowMs = this.options.nowMs();
    const mine = new Set(stored.filter((s) => s.owner === this.options.owner).map((s) => s.route));
    for (const route of Object.keys(this.engine.config.routes)) {
      if (!mine.has(route) && (await this.store.lease(route))?.owner === this.options.owner) mine.add(route);
    }
    for (const route of [...mine].sort()) {
      const lease = await this.store.claim(route, this.options.owner, this.options.leaseMs);
      if (lease.owner !== this.options.owner) continue;
      const checkpoint = await this.store.loadCheckpoint(route);
      this.owned.set(route, { generation: lease.generation, renewAtMs: nowMs + this.options.leaseMs / 3 });
      this.restoreCheckpoint(route, checkpoint, null);
    }
    this.engine.experiments.takeChangedRoutes();
    return stored.length;
  }

  /**
   * Checks that the store still holds what was written to it (its epoch is the one this instance knew). When it lost
   * its data (emptied, failed over to an empty replica), claims again every route this instance owns, makes each
   * one's state pending under its new lease (the next {@link flush} writes it), reads other instances' routes again
   * from the start of the new write order, and resolves with those routes; null while the store is as it was. What the engine
   * holds is kept as it is: nothing is restored from the emptied store. Rejects when the store cannot be read (the
   * next check tries again).
   */
  async checkStore(): Promise<string[] | null> {
    const epoch = await this.store.epoch();
    if (epoch === this.epoch || this.epoch === null) return null;
    const nowMs = this.options.nowMs();
    const rewritten: string[] = [];
    for (const route of [...this.owned.keys()].sort()) {
      const lease = await this.store.claim(route, this.options.owner, this.options.leaseMs);
      if (lease.owner !== this.options.owner) {
        await this.becomeFollower(route);
        continue;
      }
      this.owned.set(route, { generation: lease.generation, renewAtMs: nowMs + this.options.leaseMs / 3 });
      this.pending.set(route, { stored: this.storedOf(route, lease.generation), ttlMs: this.ttlOf(route) });
      this.changes++;
      rewritten.push(route);
    }
    // The write counter started over with the store: a cursor from before would skip every change until it caught up.
    this.cursor = 0;
    this.epoch = epoch;
    return rewritten;
  }

  /** Routes this instance owns under a granted lease, with their generation: whose checkpoints it writes. */
  ownedRoutes(): [route: string, generation: number][] {
    return [...this.owned].filter(([, o]) => o.generation > 0).map(([route, o]) => [route, o.generation]);
  }

  status(): MirrorStatus {
    const held = this.engine.heldSizes();
    return { pendingRoutes: this.pending.size, owned: this.owned.size, followed: this.followed.size, heldRoutes: held.routes, heldInputs: held.inputs, failing: this.failing };
  }

  /**
   * Before an input reaches the engine: claims (or renews) the routes its
   * events belong to, and the held routes due for another try, taking over
   * from the store when ownership changed hands. A store failure leaves
   * ownership as it was (the engine goes on).
   */
  async beforeStep(input: PipelineInput): Promise<void> {
    const nowMs = this.options.nowMs();
    const routes = this.dueRoutes(input, nowMs);
    if (routes.length === 0) return;
    let claimed = false;
    for (const route of routes) {
      const mine = this.owned.get(route);
      if (mine !== undefined && mine.renewAtMs > nowMs) continue;
      try {
        await this.claim(route, nowMs, mine);
        claimed = true;
      } catch (err) {
        this.noteFailure(err);
        return;
      }
    }
    // A claim is a write: once one succeeds with nothing pending, writes work again. Without this the failure of an
    // outage stayed (readiness degraded) until the next change of some route's control state, which may be hours away.
    if (claimed && this.failing !== null && this.pending.size === 0) {
      this.options.logger.info('state store reachable again');
      this.failing = null;
    }
  }

  /**
   * After the engine step: drops the records of routes another instance owns
   * (it decides for them) and puts back their owner's state; returns the
   * records to log.
   */
  afterStep(records: readonly DecisionRecord[]): DecisionRecord[] {
    this.wakeReleased();
    this.noteOverflow();
    // A hold that overflowed in this step counted what it held: what of it came too late is refused there.
    this.reportHeldRefused();
    const changed = this.engine.experiments.takeChangedRoutes();
    for (const route of changed) {
      const theirs = this.followed.get(route);
      if (theirs !== undefined) {
        this.engine.experiments.importRoute(route, theirs.control);
        continue;
      }
      const mine = this.owned.get(route);
      // A route changed without traffic of its own (a config-seeded one, an API call) before any claim:
      // generation 0 until flush claims it.
      this.pending.set(route, { stored: this.storedOf(route, mine?.generation ?? 0), ttlMs: this.ttlOf(route) });
      this.changes++;
    }
    this.engine.experiments.takeChangedRoutes();
    if (this.followed.size === 0 && this.holding.size === 0) return [...records];
    // What another instance owns: whatever this one's stale state of the route decides (an idle tick) is not its to record.
    return records.filter((r) => r.route === undefined || (!this.followed.has(r.route) && !this.holding.has(r.route)));
  }

  /** Writes pending route states (after the step's decisions are logged). Never throws. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return this.settle(this.changes);
    try {
      await this.claimUnowned();
      const through = this.changes;
      const batch = [...this.pending.values()];
      if (batch.length === 0) return this.settle(through);
      const { fenced } = await this.store.saveRoutes(batch);
      this.settle(through);
      for (const entry of batch) if (this.pending.get(entry.stored.route) === entry) this.pending.delete(entry.stored.route);
      if (this.failing !== null) this.options.logger.info({ routes: batch.length }, 'state store reachable again; pending route states written');
      this.failing = null;
      for (const route of fenced) await this.becomeFollower(route);
    } catch (err) {
      this.noteFailure(err);
    }
  }

  /**
   * Resolves once every route state made pending so far is written (or was
   * given up to the route's new owner); later changes do not hold it back.
   * What a redelivering source (Kafka) waits for before committing past the
   * input that changed them.
   */
  settled(): Promise<void> {
    return this.changesSettled.reach(this.changes);
  }

  /**
   * Resolves once no traffic is held here for a route another instance
   * owns: each such route was claimed and what it held counted (or its hold
   * overflowed and it was counted as it came). What a redelivering source
   * (Kafka) waits for before committing past a batch this instance held: if
   * it dies holding, the route's next owner gets the batch again.
   */
  released(): Promise<void> {
    if (this.engine.heldSizes().inputs === 0) return Promise.resolve();
    return new Promise((resolve) => this.releaseWaiters.push(resolve));
  }

  /**
   * Reports the held inputs the engine refused since the last report (a takeover's release, a hold that overflowed in
   * the step): their source counted them as accepted. Returns how many.
   */
  private reportHeldRefused(): number {
    const total = this.engine.heldRefused();
    const refused = total - this.heldRefusedSeen;
    this.heldRefusedSeen = total;
    if (refused > 0) this.options.onTakeoverRefused?.(refused);
    return refused;
  }

  /** Says so when a route's held traffic passed the bound and is counted here as it comes (see `PipelineEngine.holdRoute`). */
  private noteOverflow(): void {
    const { overflowed } = this.engine.heldSizes();
    if (overflowed > this.overflowedSeen) {
      this.options.logger.warn(
        { routes: overflowed, limit: HELD_INPUTS_LIMIT },
        'traffic held for routes another instance owns passed its bound: counted here as it comes; a takeover of those routes restores their checkpoint over it',
      );
    }
    this.overflowedSeen = overflowed;
  }

  private wakeReleased(): void {
    if (this.releaseWaiters.length === 0 || this.engine.heldSizes().inputs > 0) return;
    const waiting = this.releaseWaiters;
    this.releaseWaiters = [];
    for (const resolve of waiting) resolve();
  }

  private settle(through: number): void {
    this.changesSettled.advanceTo(through);
  }

  /** Reads the routes written since the last call, for {@link follow} (IO, outside the engine's serialization). */
  async fetchChanged(): Promise<StoredRoute[]> {
    const { cursor, routes } = await this.store.changedSince(this.cursor);
    const stored = routes.length === 0 ? [] : await this.store.loadRoutes(routes);
    this.cursor = cursor;
    return stored;
  }

  /**
   * Follows what other instances wrote: routes another instance owns are
   * imported (their experiments, promotions and registered variants are then
   * served by `/v1/assign` and `/v1/experiments` here too). Returns the routes
   * imported. Synchronous: run it serialized with the engine.
   */
  follow(stored: readonly StoredRoute[]): string[] {
    const imported: string[] = [];
    for (const s of stored) {
      // Our own routes are ours to write (restored at start); a newer generation than ours means we were fenced.
      const mine = this.owned.get(s.route);
      if (s.owner === this.options.owner || (mine !== undefined && mine.generation >= s.generation)) continue;
      const known = this.followed.get(s.route);
      if (known !== undefined && JSON.stringify(known) === JSON.stringify(s)) continue;
      this.followed.set(s.route, s);
      this.owned.delete(s.route);
      this.pending.delete(s.route);
      this.engine.experiments.importRoute(s.route, s.control);
      imported.push(s.route);
    }
    this.engine.experiments.takeChangedRoutes();
    return imported;
  }

  /**
   * Gives up the leases of these routes (those this instance owns): their
   * traffic went to another instance (a Kafka rebalance), which then takes
   * them over at once instead of after the lease. Call after their last
   * checkpoint is written. Returns the routes released.
   */
  async release(routes: readonly string[]): Promise<string[]> {
    await this.flush();
    const released: string[] = [];
    for (const route of routes) {
      if (!this.owned.has(route)) continue;
      try {
        await this.store.release(route, this.options.owner);
      } catch (err) {
        this.noteFailure(err);
        break;
      }
      this.owned.delete(route);
      released.push(route);
    }
    return released;
  }

  /** Gives up every owned route's lease (clean shutdown): the next instance takes over without waiting for expiry. */
  async releaseAll(): Promise<void> {
    await this.release([...this.owned.keys()]);
  }

  /**
   * Routes changed without traffic of their own (an API call, a restart's first tick) have no lease yet:
   * claim them before writing. The engine already holds their latest state (restored at start, followed
   * since), so nothing is re-imported; a route another instance holds turns follower instead.
   */
  private async claimUnowned(): Promise<void> {
    for (const [route, entry] of [...this.pending]) {
      if (entry.stored.generation > 0) continue;
      const lease = await this.store.claim(route, this.options.owner, this.options.leaseMs);
      if (lease.owner !== this.options.owner) {
        await this.becomeFollower(route);
        continue;
      }
      this.owned.set(route, { generation: lease.generation, renewAtMs: this.options.nowMs() + this.options.leaseMs / 3 });
      if (this.pending.get(route) === entry) this.pending.set(route, { ...entry, stored: { ...entry.stored, generation: lease.generation } });
    }
  }

  /**
   * The routes of an input, and the held routes due for another claim (a held route may get no more traffic), sorted.
   * A route holding nothing is not claimed (its next traffic will, if it comes here): no more tries until then, and
   * it stays another instance's here (its records are dropped) until a claim of this instance's succeeds.
   * Not before a command: its step does not emit the records a takeover's held traffic produces (the next data or tick step does).
   */
  private dueRoutes(input: PipelineInput, nowMs: number): string[] {
    const routes = routesOf(input);
    if (this.holding.size === 0 || input.kind === 'command') return routes;
    let due: string[] | null = null;
    for (const [route, retryAtMs] of [...this.holding]) {
      if (retryAtMs > nowMs || routes.includes(route)) continue;
      if (this.engine.heldOf(route) === 0) {
        this.holding.set(route, Number.POSITIVE_INFINITY);
        this.engine.releaseRoute(route, nowMs);
        continue;
      }
      (due ??= [...routes]).push(route);
    }
    return due === null ? routes : due.sort();
  }

  /** Another instance holds the route's lease: hold its traffic here until this one owns it, and try again at the lease's end (at the latest `leaseMs` on). */
  private hold(route: string, lease: RouteLease, nowMs: number): void {
    this.engine.holdRoute(route);
    const untilExpiryMs = Math.min(Math.max(lease.expiresAtMs - nowMs, 0), this.options.leaseMs);
    this.holding.set(route, nowMs + Math.max(untilExpiryMs, this.options.leaseMs / 20));
  }

  private async claim(route: string, nowMs: number, mine: Owned | undefined): Promise<void> {
    const lease = await this.store.claim(route, this.options.owner, this.options.leaseMs);
    if (lease.owner !== this.options.owner) {
      this.hold(route, lease, nowMs);
      if (!this.followed.has(route)) await this.becomeFollower(route);
      return;
    }
    const renewAtMs = nowMs + this.options.leaseMs / 3;
    if (mine !== undefined && mine.generation === lease.generation) {
      mine.renewAtMs = renewAtMs;
      return;
    }
    // Ownership changed hands (first claim, restart, takeover): continue from what the store holds. The route is
    // this instance's only once all of it is read: a read that fails leaves it unowned here (its traffic still held,
    // if it was), so the next step repeats the whole takeover instead of renewing a lease over a half-read state.
    const [stored] = await this.store.loadRoutes([route]);
    if (stored !== undefined) {
      this.engine.experiments.importRoute(route, stored.control);
      if (stored.owner !== this.options.owner) this.options.logger.info({ route, from: stored.owner, generation: lease.generation }, 'took over route');
    }
    await this.loadHistory(route);
    const checkpoint = await this.store.loadCheckpoint(route);
    this.owned.set(route, { generation: lease.generation, renewAtMs });
    this.followed.delete(route);
    this.restoreCheckpoint(route, checkpoint, mine?.generation ?? null);
    this.engine.experiments.takeChangedRoutes();
    this.pending.delete(route);
    // What this instance held while the route was another's is counted now, on top of the checkpoint. What that
    // changes (experiment arms, an experiment's end) is this owner's to write, after the step logged its decisions.
    this.holding.delete(route);
    const held = this.engine.releaseRoute(route, nowMs);
    // Held inputs the checkpoint had counted already (re-sent, redelivered) or too old for the window are refused, not counted.
    const refused = this.reportHeldRefused();
    if (held > 0) this.options.logger.info({ route, held, refused_calls: refused, generation: lease.generation }, 'counted the route\'s traffic held while another instance owned it');
  }

  /**
   * The history the route's previous owner sealed meanwhile (its anomaly bands, forecasts and trend read it). A
   * failure fails the claim: sealing an hour over history not read would write it over the previous owner's stored
   * hours, or count a restored open hour the store already holds a second time.
   */
  private async loadHistory(route: string): Promise<void> {
    if (this.options.loadHistory === undefined) return;
    const hours = await this.options.loadHistory(route);
    if (hours > 0) this.options.logger.info({ route, hours }, "loaded the route's history from Redis");
  }

  /**
   * Resumes a route's windows and detectors from its checkpoint, unless this
   * instance wrote it under `ownGeneration` (or later) itself: then its live
   * state is newer. A checkpoint that cannot be restored is logged and the
   * route starts cold; nothing else is affected.
   */
  private restoreCheckpoint(route: string, checkpoint: StoredCheckpoint | null, ownGeneration: number | null): void {
    if (checkpoint === null || (ownGeneration !== null && checkpoint.generation <= ownGeneration)) return;
    try {
      this.engine.restoreRoute(route, checkpoint.data);
      const stats = this.engine.liveStats(route) ?? [];
      this.options.logger.info(
        { route, generation: checkpoint.generation, calls: stats.reduce((n, v) => n + v.count, 0), watermark: new Date(this.engine.watermarkOf(route) ?? 0).toISOString() },
        'resumed route statistics from its checkpoint',
      );
    } catch (err) {
      this.options.logger.error({ err, route }, 'cannot restore the route\'s checkpoint; its statistics start cold');
    }
  }

  private async becomeFollower(route: string): Promise<void> {
    this.owned.delete(route);
    this.pending.delete(route);
    const [stored] = await this.store.loadRoutes([route]);
    if (stored === undefined) return;
    this.options.logger.warn({ route, owner: stored.owner, generation: stored.generation }, 'route owned by another instance; following it');
    this.followed.set(route, stored);
    this.engine.experiments.importRoute(route, stored.control);
    this.engine.experiments.takeChangedRoutes();
  }

  private storedOf(route: string, generation: number): StoredRoute {
    const control: RouteControlState = this.engine.experiments.exportRoute(route);
    return { route, generation, owner: this.options.owner, control };
  }

  /** Routes carrying promotions or registered variants are kept for good; the rest age out. */
  private ttlOf(route: string): number | null {
    const registry = this.engine.experiments.registry.exportRoute(route);
    if (registry === null) return this.options.routeTtlMs;
    if (registry.pinned || registry.variants.some((v) => v.source === 'api' || v.source === 'action')) return null;
    return this.options.routeTtlMs;
  }

  private noteFailure(err: unknown): void {
    const reason = describeError(err);
    if (this.failing === null) this.options.logger.warn({ err, pending: this.pending.size }, 'state store unreachable; keeping route states pending');
    this.failing = reason;
  }
}

/** Routes an input's data belongs to, sorted (an idle tick or a command has none). */
function routesOf(input: PipelineInput): string[] {
  if (input.kind === 'events') return [...new Set(input.events.map((e) => e.route))].sort();
  if (input.kind === 'histograms') return [...new Set(input.observations.map((o) => o.route))].sort();
  return [];
}
