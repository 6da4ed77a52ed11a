import { concatMap, defer, interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { DecisionRecord } from '../core/decision.js';
import { describeError } from '../core/errors.js';
import type { PipelineEngine } from '../engine/engine.js';
import type { StateStore, StoredCheckpoint } from '../ports/stateStore.js';
import type { Logger } from './logger.js';
import { SettledCount } from './settledCount.js';

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  /** How long a checkpoint lives after its write, ms (`redis.checkpoint_ttl`). */
  readonly ttlMs: number;
  readonly logger: Logger;
  /** Routes serialized per engine step, so a round never holds the pipeline for long (default 100). */
  readonly routesPerStep?: number;
  /**
   * True while decisions are held in memory (their store away): no checkpoint
   * is written then, so none gets ahead of a decision not yet durable.
   */
  readonly holdWhile?: () => boolean;
}

/** Runs a function serialized with the engine's steps (the runner's `command` input). */
export type SubmitCommand = (run: (engine: PipelineEngine) => DecisionRecord[]) => Promise<unknown>;

interface Taken {
  readonly checkpoint: StoredCheckpoint;
  readonly version: string;
  /** Order in which checkpoints were taken: one taken later of the same route makes this one stale. */
  readonly seq: number;
}

/**
 * Writes checkpoints of the routes this instance owns (windows, detectors;
 * see `PipelineEngine.checkpointRoute`) to the state store, so a restart or a
 * takeover resumes their statistics instead of starting cold.
 *
 * - Only routes whose state changed since their last written checkpoint.
 * - At once after a rule changed state ({@link now}): what a trigger record
 *   says is in the checkpoint, so a restart or a takeover does not fire it again.
 * - Off the ingest path: the engine state is serialized inside the pipeline
 *   (a `command` between two steps, at most `routesPerStep` routes each), the
 *   writes happen after it, while events flow again.
 * - Fenced: each checkpoint carries the lease generation its route is owned
 *   under; the store refuses it once another instance took the route over.
 * - Outage: a round whose write fails stops there and nothing is kept; the
 *   next round serializes the then-current state again (no buffer to grow).
 *   While decisions are held (`holdWhile`) rounds write nothing: after a
 *   crash the route resumes from before them, and the events that produced
 *   them, redelivered, produce them again.
 */
export class Checkpointer {
  /** Per route, the engine's `routeVersion` its last written checkpoint had. */
  private readonly written = new Map<string, string>();
  private failing: string | null = null;
  private readonly routesPerStep: number;
  /** Per route, the newest checkpoint taken: an older one still on its way is not written over it. */
  private readonly newest = new Map<string, number>();
  private seq = 0;
  private roundsStarted = 0;
  private readonly roundsComplete = new SettledCount();

  constructor(
    private readonly store: StateStore,
    private readonly engine: PipelineEngine,
    private readonly owned: () => readonly (readonly [route: string, generation: number])[],
    private readonly options: CheckpointerOptions,
  ) {
    this.routesPerStep = options.routesPerStep ?? 100;
  }

  /** Forgets what was written: the next round writes every owned route again (the store lost its data). */
  rewriteAll(): void {
    this.written.clear();
  }

  /** Why the last write failed, while writes fail; null otherwise. */
  get failure(): string | null {
    return this.failing;
  }

  /** Every `intervalMs`, one {@link round}; one at a time. The caller owns the subscription. */
  schedule(intervalMs: number, scheduler: SchedulerLike, submit: SubmitCommand): Subscription {
    return interval(intervalMs, scheduler)
      .pipe(concatMap(() => defer(() => this.round(submit))))
      .subscribe();
  }

  /** Checkpoints the owned routes that changed, serializing through `submit`. Never throws. Returns how many were written. */
  async round(submit: SubmitCommand): Promise<number> {
    const round = ++this.roundsStarted;
    const owned = this.owned();
    let written = 0;
    for (let at = 0; at < owned.length; at += this.routesPerStep) {
      if (this.options.holdWhile?.() === true) return written;
      const chunk = owned.slice(at, at + this.routesPerStep);
      let taken: Taken[] = [];
      try {
        await submit(() => {
          taken = this.take(chunk);
          return [];
        });
      } catch (err) {
        // The pipeline stopped or refused: nothing to checkpoint now.
        this.options.logger.debug({ err }, 'checkpoint round skipped');
        return written;
      }
      const done = await this.write(taken);
      written += done.written;
      if (done.stopped) return written;
    }
    this.roundsComplete.advanceTo(round);
    return written;
  }

  /**
   * Resolves once a round that starts after this call has written every
   * owned route that changed: the state of everything ingested before the
   * call is then in the store. Rounds that stop (store away, decisions held)
   * do not count.
   */
  nextCompleteRound(): Promise<void> {
    return this.roundsComplete.reach(this.roundsStarted + 1);
  }

  /**
   * Checkpoints the given routes now, those this instance owns whose state
   * changed: after a step whose decisions moved a rule (a trigger fired or
   * resolved) were logged, so the checkpoint a restart or a takeover resumes
   * already knows it. Call it serialized with the engine (the runner's
   * persist hook, after the log append). Never throws. Returns how many were written.
   */
  async now(routes: ReadonlySet<string>): Promise<number> {
    const owned = this.owned().filter(([route]) => routes.has(route));
    return owned.length === 0 ? 0 : (await this.write(this.take(owned))).written;
  }

  /**
   * The last checkpoint of a clean shutdown: call once the pipeline has
   * drained (nothing else touches the engine then), before the leases are released.
   */
  async final(): Promise<number> {
    return (await this.write(this.take(this.owned()))).written;
  }

  /** Serializes the routes of `chunk` whose state changed since their last written checkpoint (synchronous: run it serialized with the engine). */
  private take(chunk: readonly (readonly [string, number])[]): Taken[] {
    const out: Taken[] = [];
    for (const [route, generation] of chunk) {
      const version = this.engine.routeVersion(route);
      if (version === null) {
        // Retired here (no traffic for a window): the stored checkpoint ages out on its own.
        this.written.delete(route);
        this.newest.delete(route);
        continue;
      }
      if (this.written.get(route) === version) continue;
      const data = this.engine.checkpointRoute(route);
      if (data === null) continue;
      const seq = ++this.seq;
      this.newest.set(route, seq);
      out.push({ checkpoint: { route, generation, data }, version, seq });
    }
    return out;
  }

  /** Writes what was taken; `stopped` when it could not write all of it (store away, decisions held). */
  private async write(taken: readonly Taken[]): Promise<{ readonly written: number; readonly stopped: boolean }> {
    // Checked again after the serialization: decisions may have been held meanwhile.
    if (this.options.holdWhile?.() === true) return { written: 0, stopped: taken.length > 0 };
    let written = 0;
    let bytes = 0;
    for (const { checkpoint, version, seq } of taken) {
      // A round's write can come after a newer checkpoint of the route was taken (and written) by {@link now}.
      if (this.newest.get(checkpoint.route) !== seq) continue;
      try {
        const accepted = await this.store.saveCheckpoint(checkpoint, this.options.ttlMs);
        if (!accepted) {
          // Another instance owns the route now; its route-state writes make this one follow it.
          this.options.logger.info({ route: checkpoint.route, generation: checkpoint.generation }, 'checkpoint refused: the route has a newer owner');
          this.written.delete(checkpoint.route);
          continue;
        }
      } catch (err) {
        if (this.failing === null) this.options.logger.warn({ err, routes: taken.length - written }, 'cannot write checkpoints; skipping them until the state store is back');
        this.failing = describeError(err);
        return { written, stopped: true };
      }
      this.written.set(checkpoint.route, version);
      written++;
      bytes += checkpoint.data.length;
    }
    if (written > 0) {
      if (this.failing !== null) this.options.logger.info('state store reachable again; checkpoints written');
      this.failing = null;
      this.options.logger.debug({ routes: written, bytes }, 'checkpoints written');
    }
    return { written, stopped: false };
  }
}
