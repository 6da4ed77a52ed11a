import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { from, concatMap, catchError, EMPTY, interval, type SchedulerLike, type Subscription } from 'rxjs';
import { connectRedis, RedisDecisionLog, RedisInstancePresence, RedisOutbox, RedisStateStore, redisOutage } from '../adapters/redis/index.js';
import type { Config } from '../config/schema.js';
import type { DecisionRecord, GapRecord } from '../core/decision.js';
import { describeError } from '../core/errors.js';
import type { PipelineEngine } from '../engine/engine.js';
import type { DecisionLog } from '../ports/ports.js';
import { BufferedDecisionLog } from './bufferedDecisionLog.js';
import { BufferedOutbox } from './bufferedOutbox.js';
import { Checkpointer } from './checkpointer.js';
import { outboxGapRecord } from './outboxGap.js';
import type { Logger } from './logger.js';
import type { StepHooks } from './pipelineRunner.js';
import { redactAddress } from './secrets.js';
import { StateMirror } from './stateMirror.js';

/** The Redis-backed state of a daemon: decision log, state mirror, their health. */
export interface DurableState {
  readonly decisions: DecisionLog;
  /** The alert and sink outbox in Redis, behind a bounded buffer for outages; shared by every instance. */
  readonly outbox: BufferedOutbox;
  readonly hooks: StepHooks;
  readonly mirror: StateMirror;
  readonly instanceId: string;
  /**
   * Null while Redis answers and nothing is held; during an outage (a write or
   * read failed and none succeeded since, or decisions, outbox messages or route
   * states are held in memory), or while traffic of routes another instance
   * owns is held for a takeover, what resolves once that traffic is counted
   * (this instance claimed its routes), those held now are written and a
   * checkpoint round after them has written every owned route that changed. A
   * Kafka batch ingested meanwhile is committed only then: a crash before
   * redelivers it from a state that has not counted it, and its decisions are
   * derived again.
   */
  held(): Promise<void> | null;
  /** Why state is degraded (Redis unreachable, writes pending, this instance id in use by another running daemon), or null. */
  degraded(): string | null;
  /** Pending writes, decisions lost to buffer overflow since start, inputs held for a takeover (for /metrics). */
  status(): { readonly pendingDecisions: number; readonly pendingRoutes: number; readonly droppedDecisions: number; readonly pendingOutboxMessages: number; readonly droppedOutboxMessages: number; readonly heldInputs: number };
  /**
   * Every `intervalMs`: retries pending writes, then imports the routes other
   * instances own through `submit` (serialized with the engine). The caller owns the subscription.
   */
  follow(intervalMs: number, scheduler: SchedulerLike, submit: (run: (engine: PipelineEngine) => DecisionRecord[]) => Promise<unknown>): Subscription;
  /**
   * Every `redis.checkpoint_interval`: checkpoints the windows and detectors of
   * the owned routes that changed (serialized through `submit`, written after).
   * The caller owns the subscription; {@link close} writes a last one.
   */
  checkpoints(scheduler: SchedulerLike, submit: (run: (engine: PipelineEngine) => DecisionRecord[]) => Promise<unknown>): Subscription;
  /**
   * Hands routes over to the instance that now gets their traffic (a Kafka
   * rebalance revoked their partitions): writes what is pending and a
   * checkpoint round (serialized through `submit`, after what is queued), then
   * gives up their leases, so the new owner resumes them at once from that
   * checkpoint. Never throws; returns the routes released.
   */
  handOver(routes: readonly string[], submit: (run: (engine: PipelineEngine) => DecisionRecord[]) => Promise<unknown>): Promise<string[]>;
  /** Writes what is pending and a last checkpoint of the owned routes, gives up this instance's route leases, closes the connection. */
  close(): Promise<void>;
}

/** Gap records waiting at most to be alerted (one per overflow written): past it the oldest are only logged. */
const MAX_GAP_ALERTS = 100;

/** Options of {@link openDurableState}. */
export interface DurableStateOptions {
  readonly loadHistory?: (route: string) => Promise<number>;
  /** Writes again the history held of these routes (Redis lost its data); returns the hours. */
  readonly rewriteHistory?: (routes: readonly string[]) => number;
  /**
   * Called with each `gap` record (decisions or outbox messages lost while Redis was unreachable) once it is logged,
   * so receivers are told (the daemon's notifier). A failure is logged: the record is in the decision log either way.
   */
  readonly onGap?: (record: GapRecord) => Promise<void>;
  /** Called with the held events a route takeover refused (see `StateMirrorOptions.onTakeoverRefused`). */
  readonly onTakeoverRefused?: (events: number) => void;
}

/**
 * Opens the Redis state (`redis.url`): connects, checks the schema version,
 * loads every stored route into the engine, and returns the decision log and
 * the hooks that keep route state in Redis from then on. Fails (and the daemon
 * does not start) when Redis cannot be reached: starting without the stored
 * state would re-run experiments and forget promotions.
 */
export async function openDurableState(config: Config, engine: PipelineEngine, logger: Logger, options: DurableStateOptions = {}): Promise<DurableState> {
  const redis = config.redis;
  const url = redis.url!;
  const log = logger.child({ component: 'state' });
  const client: Redis = await connectRedis(url);
  // Stable across restarts of the same pod/host and port, so a restarted daemon reclaims its own leases at once.
  const instanceId = redis.instance_id ?? `${hostname()}:${config.server.port === 0 ? process.pid : config.server.port}`;
  const store = new RedisStateStore(client, {
    prefix: redis.key_prefix,
    ownsClient: false,
    onCorrupt: (key, problem) => log.error({ key, problem }, 'skipping a stored route that is not valid state'),
  });
  const mirror = new StateMirror(store, engine, {
    owner: instanceId, leaseMs: redis.lease, routeTtlMs: redis.route_ttl, nowMs: () => Date.now(), logger: log,
    ...(options.loadHistory !== undefined ? { loadHistory: options.loadHistory } : {}),
    ...(options.onTakeoverRefused !== undefined ? { onTakeoverRefused: options.onTakeoverRefused } : {}),
  });
  let restored: number;
  try {
    restored = await mirror.restore();
  } catch (err) {
    client.disconnect();
    throw err;
  }
  // Gap records wait to be alerted until the outbox holds nothing (Redis is back and what it held is written): enqueued
  // earlier, a gap alert would be held behind the kept messages and, in a full buffer, take the place of one of them,
  // whose loss would make another gap record, and so on.
  const gapAlerts: GapRecord[] = [];
  /** The gap alerts being sent, while they are: {@link DurableState.close} waits for them. */
  let sendingGapAlerts: Promise<void> | null = null;
  /** Set once close() has sent the last gap alerts: nothing is queued for delivery after it (the connection closes). */
  let closing = false;
  const sendGapAlerts = (): Promise<void> => {
    if (sendingGapAlerts !== null || gapAlerts.length === 0) return sendingGapAlerts ?? Promise.resolve();
    sendingGapAlerts = (async () => {
      await outbox.flush();
      for (let record = gapAlerts[0]; record !== undefined && outbox.heldMessages === 0; record = gapAlerts[0]) {
        try {
          await options.onGap?.(record);
        } catch (err) {
          log.error({ err, dropped: record.dropped }, 'cannot alert receivers of a gap record; it is in the decision log');
        }
        gapAlerts.shift();
      }
    })().finally(() => {
      sendingGapAlerts = null;
    });
    return sendingGapAlerts;
  };
  const alertGap = (record: GapRecord): void => {
    if (closing) {
      log.error({ dropped: record.dropped, from: new Date(record.from_ts).toISOString() }, 'gap record not alerted: the daemon is shutting down; it is in the decision log');
      return;
    }
    gapAlerts.push(record);
    // Bounded through an outage that keeps overflowing: the records themselves are in the decision log.
    if (gapAlerts.length > MAX_GAP_ALERTS) log.error({ dropped: gapAlerts.splice(0, gapAlerts.length - MAX_GAP_ALERTS).length }, 'gap records not alerted (too many waiting for Redis); they are in the decision log');
    void sendGapAlerts();
  };
  let dropped = 0;
  const decisions = new BufferedDecisionLog(new RedisDecisionLog(client, { prefix: redis.key_prefix, maxEntries: redis.decision_log_max_entries }), {
    maxPending: redis.max_pending_decisions,
    onDropped: (count, total) => {
      dropped = total;
      log.error({ dropped: count, total }, 'decision buffer full while Redis is unreachable: oldest pending decisions dropped; a gap record will say so in the decision log and to the receivers it matches');
    },
    onAvailability: (failure) => {
      if (failure === null) log.info('decision log reachable again; pending decisions written');
      else log.warn({ reason: failure }, 'decision log unreachable; holding decisions (redis.max_pending_decisions)');
    },
    onGap: alertGap,
  });
  const outbox = new BufferedOutbox(new RedisOutbox(client, redis.key_prefix), {
    maxPending: redis.max_pending_outbox_messages,
    recordGap: async (gap) => {
      const record = outboxGapRecord(gap, redis.max_pending_outbox_messages);
      await decisions.append([record]);
      alertGap(record);
    },
    onDropped: (count, total) => log.error({ dropped: count, total }, 'outbox buffer full while Redis is unreachable: oldest pending alerts/sink messages dropped; a gap record will say so in the decision log and to the receivers it matches'),
    onAvailability: (failure) => {
      if (failure === null) log.info('outbox reachable again; pending alerts and sink messages written');
      else log.warn({ reason: failure }, 'outbox unreachable; holding alerts and sink messages (redis.max_pending_outbox_messages)');
    },
  });
  log.info({ redis: redactAddress(url), prefix: redis.key_prefix, instance: instanceId, routes: restored }, 'state loaded from Redis');
  // Decisions (and their outbox messages) reach Redis before any state derived after them: a route state or
  // checkpoint written ahead of a held decision would, after a crash, make its redelivered events count as
  // already seen, and the decision would never be derived again.
  const decisionsHeld = (): boolean => decisions.pending > 0 || outbox.heldMessages > 0;
  const flushInOrder = async (): Promise<void> => {
    await outbox.flush();
    await decisions.flush();
    if (!decisionsHeld()) await mirror.flush();
    void sendGapAlerts();
  };
  const checkpointer = new Checkpointer(store, engine, () => mirror.ownedRoutes(), { ttlMs: redis.checkpoint_ttl, logger: log, holdWhile: decisionsHeld });
  // Two running daemons with one instance id would both own the same routes and both decide for them.
  const presence = new RedisInstancePresence(client, redis.key_prefix, instanceId, Math.max(redis.lease, 5 * redis.refresh_interval));
  let duplicateId: string | null = null;
  const checkPresence = async (): Promise<void> => {
    const twice = await presence.beat();
    if (twice && duplicateId === null) {
      duplicateId = `another running daemon uses redis.instance_id ${instanceId}: both own the same routes and decide for them; give each instance its own id`;
      log.error({ instance: instanceId }, duplicateId);
    } else if (!twice && duplicateId !== null) {
      duplicateId = null;
      log.info({ instance: instanceId }, 'redis.instance_id no longer in use by another daemon');
    }
  };
  /** Why the last round of reading other instances' route states failed, while it fails. */
  let followFailure: string | null = null;
  /**
   * Redis lost its data (FLUSHALL, a failover to an empty replica): writes again what this instance holds of the
   * routes it owns — their states, checkpoints and history — and says so once.
   */
  const checkStore = async (submit: (run: (engine: PipelineEngine) => DecisionRecord[]) => Promise<unknown>): Promise<void> => {
    const routes = await mirror.checkStore();
    if (routes === null) return;
    checkpointer.rewriteAll();
    const historyHours = options.rewriteHistory?.(routes) ?? 0;
    // Route states after the decisions still held, as always; then every owned route's checkpoint.
    await flushInOrder();
    const checkpoints = await checkpointer.round(submit);
    log.warn(
      { routes, route_states: routes.length, checkpoints, history_hours: historyHours },
      'Redis lost its data (emptied, or failed over to an empty replica): rewrote the route states, checkpoints and history this instance owns; decisions logged and alerts queued before are gone from it',
    );
  };
  /** Routes whose rules changed state in the step being made durable: checkpointed right after its decisions are logged. */
  const transitions = new Set<string>();
  return {
    decisions,
    outbox,
    mirror,
    instanceId,
    hooks: {
      before: (input) => mirror.beforeStep(input),
      after: (records) => {
        const kept = mirror.afterStep(records);
        for (const record of kept) if (record.type === 'trigger') transitions.add(record.route);
        return kept;
      },
      persist: async () => {
        const routes = new Set(transitions);
        transitions.clear();
        if (decisionsHeld()) return;
        await mirror.flush();
        // A trigger just logged is in the route's checkpoint before the next step: a restart or takeover does not fire it again.
        if (routes.size > 0) await checkpointer.now(routes);
      },
    },
    held() {
      const mirrorStatus = mirror.status();
      // Redis away now: the connection (it drops the moment Redis goes away, before any write has failed), or a
      // checkpoint write or a read of other instances' routes failing since their last success. The buffers' and the
      // mirror's failure flags are left out: they clear only on their next write (which may not come for long after an
      // outage), and what those hold is counted below.
      const away = client.status !== 'ready' ? client.status : checkpointer.failure ?? followFailure;
      if (away === null && !decisionsHeld() && mirrorStatus.pendingRoutes === 0 && mirrorStatus.heldInputs === 0) return null;
      return (async () => {
        // Traffic held for a takeover is counted once this instance owns its route; the checkpoint round below then has it.
        await mirror.released();
        await outbox.settled();
        await decisions.settled();
        await mirror.settled();
        await checkpointer.nextCompleteRound();
      })();
    },
    degraded() {
      const status = mirror.status();
      // The raw error text is in the log lines of each part's failure; readiness says it in plain words.
      const failing: [string, string | null][] = [['decision log', decisions.unavailable], ['state store', status.failing], ['outbox', outbox.unavailable]];
      const [part, reason] = failing.find(([, failure]) => failure !== null) ?? ['', null];
      // Pending entries between a step and its write are normal; only failing writes degrade.
      if (reason === null) return duplicateId;
      return `${redisOutage(part, client, url, reason)}; ${decisions.pending} decisions, ${status.pendingRoutes} route states and ${outbox.pending} outbox messages pending`;
    },
    status: () => ({
      pendingDecisions: decisions.pending, pendingRoutes: mirror.status().pendingRoutes, droppedDecisions: dropped,
      pendingOutboxMessages: outbox.pending, droppedOutboxMessages: outbox.dropped, heldInputs: mirror.status().heldInputs,
    }),
    follow(intervalMs, scheduler, submit) {
      // One round at a time (concatMap): a slow Redis must not pile rounds up.
      return interval(intervalMs, scheduler)
        .pipe(
          concatMap(() =>
            from(
              (async () => {
                await checkStore(submit);
                await flushInOrder();
                await checkPresence();
                const stored = await mirror.fetchChanged();
                followFailure = null;
                await submit(() => {
                  mirror.follow(stored);
                  return [];
                });
              })(),
            ).pipe(
              catchError((err: unknown) => {
                if (followFailure === null) log.warn({ err }, "cannot read other instances' route states; retrying");
                followFailure = describeError(err);
                return EMPTY;
              }),
            ),
          ),
        )
        .subscribe();
    },
    async handOver(routes, submit) {
      const owned = new Set(mirror.ownedRoutes().map(([route]) => route));
      const mine = routes.filter((route) => owned.has(route));
      if (mine.length === 0) return [];
      try {
        await flushInOrder();
        await checkpointer.round(submit);
        // Decisions still held (Redis away): the checkpoint was not written, so the leases run out instead.
        if (decisionsHeld() || checkpointer.failure !== null) return [];
        const released = await mirror.release(mine);
        log.info({ routes: released.length }, 'handed routes over after a rebalance: checkpointed and released');
        return released;
      } catch (err) {
        log.warn({ err }, 'cannot hand routes over after a rebalance; their leases run out instead');
        return [];
      }
    },
    checkpoints(scheduler, submit) {
      return checkpointer.schedule(redis.checkpoint_interval, scheduler, submit);
    },
    async close() {
      await flushInOrder();
      // Gap alerts in flight, and those the flush just made, are enqueued while Redis is connected: in the outbox there,
      // a restart or another instance delivers them. Enqueued after the connection closes they would be held in memory
      // and lost with the process.
      while (sendingGapAlerts !== null) await sendingGapAlerts;
      await sendGapAlerts();
      closing = true;
      if (gapAlerts.length > 0) log.error({ records: gapAlerts.splice(0).length }, 'gap records not alerted: Redis was unreachable at shutdown; they are in the decision log');
      if (outbox.pending > 0) log.error({ messages: outbox.pending }, 'alerts and sink messages held while Redis was unreachable are lost at shutdown (not written to the outbox)');
      await checkpointer.final();
      await mirror.releaseAll();
      client.disconnect();
    },
  };
}
