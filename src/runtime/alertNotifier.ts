import type { NotifyConfig, ReceiverConfig } from '../config/notifySchema.js';
import type { DecisionRecord } from '../core/decision.js';
import { describeError, ErrorCodes, PromptpilotError, TransientIoError } from '../core/errors.js';
import { NotifyPlanner, RateLimiter, retryDelayMs, type DeliveryFailure, type DeliveryOutcome, type PlannedMessage } from '../notify/index.js';
import type { Clock, Notifier, Outbox, OutboxItem, OutboxMessage } from '../ports/ports.js';
import type { Logger } from './logger.js';
import { OutboxRelay, type OutboxDeliver } from './outboxRelay.js';

/** Sends one message to a receiver (the HTTP adapter; tests pass their own). */
export type ReceiverSend = (receiver: ReceiverConfig, key: string, body: string, nowMs: number) => Promise<DeliveryOutcome>;

/** Options of {@link AlertNotifier}. */
export interface AlertNotifierOptions {
  readonly clock: Clock;
  readonly send: ReceiverSend;
  readonly logger: Logger;
  /** Uniform [0, 1) for the backoff jitter (default `Math.random`). */
  readonly random?: () => number;
  /** How often firing alerts are checked for their re-send and due retries polled, ms (default 1000). */
  readonly tickMs?: number;
  /** Alerts left the outbox's pending queue (delivered or dead-lettered): room for as many more. */
  readonly onReleased?: (messages: number) => void;
  /**
   * The outbox is shared with other instances (Redis). A receiver a reload removed is then no longer drained here:
   * its messages stay for the instances that still have it (a rolling config change), instead of being dead-lettered.
   */
  readonly sharedOutbox?: boolean;
}

const PREFIX = 'notify:';

/**
 * A delivery's claim outlasts the request's `timeout` by this much, so no
 * other instance takes a message over while its holder may still deliver it.
 *
 * @remarks The request is aborted at its `timeout` (body read included), so
 * what else the claim must cover is: the claim's own round trip (its expiry
 * counts from the clock read before it; a Redis command fails after 2 s), the
 * ack's (2 s) and a late abort timer (ingest is shed past 500 ms of event-loop
 * delay) — 10 s covers those with room to spare. The clock skew between
 * instances is not among them: a shared (Redis) outbox measures claims on the
 * server's clock. Each second of it is a second the receiver's queue waits
 * after its holder is killed mid-delivery (a dead holder's request dies with it).
 */
export const ALERT_CLAIM_MARGIN_MS = 10_000;

/** The outbox payload of a notification: the exact body to POST. */
interface NotificationPayload {
  readonly body: string;
}

function bodyOf(item: OutboxItem): string {
  const payload = item.payload as unknown as Partial<NotificationPayload> | null;
  return typeof payload?.body === 'string' ? payload.body : '';
}

/**
 * Alert delivery (DESIGN §6): decisions are planned into messages per
 * receiver ({@link NotifyPlanner}: matching, dedup, grouping, re-sends),
 * enqueued in the outbox under `notify:<receiver>` with their idempotency key
 * on the pipeline's critical path, and delivered by a relay of their own —
 * one message at a time per receiver, retried with exponential backoff and
 * jitter on 5xx, 429 and timeouts (never sooner than `Retry-After`), dead-
 * lettered at once on another 4xx and after `notify.delivery.max_attempts`.
 *
 * @remarks At-least-once: a message leaves the outbox only when a receiver
 * acknowledged it (2xx) or into the dead letters; with a durable outbox
 * (Redis) that holds across restarts, and each retry reuses its key.
 */
export class AlertNotifier implements Notifier {
  private config: NotifyConfig;
  private readonly planner: NotifyPlanner;
  private readonly receivers = new Map<string, ReceiverConfig>();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly deliverers = new Map<string, OutboxDeliver>();
  private readonly relay: OutboxRelay;
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsent: PlannedMessage[] = [];
  /** What the failed attempt of a leased message (by item id) got from its receiver, until its failure is logged. */
  private readonly failures = new Map<string, DeliveryFailure>();
  /** The last {@link notify} call: each waits for the one before (the pipeline's and gap records' calls interleave). */
  private notifying: Promise<void> = Promise.resolve();

  constructor(
    config: NotifyConfig,
    private readonly outbox: Outbox,
    private readonly options: AlertNotifierOptions,
  ) {
    this.config = config;
    this.planner = new NotifyPlanner(config.receivers);
    this.applyReceivers(config);
    const random = options.random ?? Math.random;
    this.relay = new OutboxRelay(outbox, this.deliverers, {
      clock: options.clock,
      batchSize: 1,
      // The claim covers one request and nothing else: a rate-limited receiver is waited for before the claim.
      leaseMs: (destination) => (this.receivers.get(destination.slice(PREFIX.length))?.timeout ?? 0) + ALERT_CLAIM_MARGIN_MS,
      holdMs: (destination, nowMs) => this.limiters.get(destination.slice(PREFIX.length))?.waitMs(nowMs) ?? 0,
      maxAttempts: Number.MAX_SAFE_INTEGER, // the per-receiver limit is applied below, from the current config
      backoffMs: (attempts) => retryDelayMs(attempts, this.config.delivery, random()),
      pollMs: options.tickMs ?? 1_000,
      onReleased: (_destination, messages) => options.onReleased?.(messages),
      onFailure: ({ destination, error, items, retryAtMs }) => this.logFailure(destination.slice(PREFIX.length), error, items, retryAtMs),
    });
  }

  /** Starts delivering (and re-sending firing alerts). */
  start(): this {
    this.relay.start();
    this.timer ??= setInterval(() => void this.repeatDue(), this.options.tickMs ?? 1_000);
    this.timer.unref();
    return this;
  }

  /**
   * Plans and enqueues messages for new decisions; resolves once they are in the outbox. Calls run one at a time, in
   * call order: the pipeline's and a gap record's (logged when Redis is back) may come at once.
   */
  notify(notifications: readonly { readonly record: DecisionRecord }[]): Promise<void> {
    const run = this.notifying.then(() => this.planAndEnqueue(notifications));
    this.notifying = run.catch(() => undefined);
    return run;
  }

  private async planAndEnqueue(notifications: readonly { readonly record: DecisionRecord }[]): Promise<void> {
    // Planning remembers what it planned (dedup), so messages whose enqueue failed are kept
    // and go first on the caller's retry, which plans nothing new for the same records.
    const batch = [...this.unsent, ...this.planner.plan(notifications.map((n) => n.record), this.options.clock.now())];
    this.unsent = batch;
    await this.enqueue(batch);
    this.unsent = [];
  }

  /** Applies a reloaded `notify` section: new receivers, changed URLs or filters; messages already queued stay. */
  reconfigure(config: NotifyConfig): void {
    this.config = config;
    this.planner.reconfigure(config.receivers);
    this.applyReceivers(config);
    this.relay.kick();
  }

  /** Delivers what is due (tests, shutdown). */
  flush(): Promise<number> {
    return this.relay.flush();
  }

  /** Stops re-sends and the relay after one last attempt at what is due; queued messages stay in the outbox. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.relay.stop();
  }

  private applyReceivers(config: NotifyConfig): void {
    const names = new Set(config.receivers.map((r) => r.name));
    for (const name of [...this.receivers.keys()]) {
      if (names.has(name)) continue;
      this.receivers.delete(name);
      this.limiters.delete(name);
      // Alone on the outbox, its queue drains into the dead letters instead of waiting forever; a shared outbox
      // leaves it to the instances that still have the receiver (other instances' alerts are queued there too).
      if (this.options.sharedOutbox === true) this.deliverers.delete(PREFIX + name);
    }
    for (const receiver of config.receivers) {
      const before = this.receivers.get(receiver.name);
      this.receivers.set(receiver.name, receiver);
      if (before?.rate_limit_per_minute !== receiver.rate_limit_per_minute) this.limiters.set(receiver.name, new RateLimiter(receiver.rate_limit_per_minute));
      if (!this.deliverers.has(PREFIX + receiver.name)) this.deliverers.set(PREFIX + receiver.name, (items) => this.deliver(receiver.name, items));
    }
  }

  private async enqueue(messages: readonly PlannedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const outboxMessages: OutboxMessage[] = messages.map((m) => ({ destination: m.destination, key: m.key, payload: { body: m.body } }));
    await this.outbox.enqueue(outboxMessages, this.options.clock.now());
    this.relay.kick();
  }

  private async repeatDue(): Promise<void> {
    try {
      await this.enqueue(this.planner.due(this.options.clock.now()));
    } catch (err) {
      this.options.logger.warn({ err }, 'cannot enqueue alert re-sends; trying again next tick');
    }
  }

  private async deliver(name: string, items: readonly OutboxItem[]): Promise<void> {
    const receiver = this.receivers.get(name);
    if (receiver === undefined) {
      // A claim taken just before a reload removed the receiver: another instance may still have it.
      if (this.options.sharedOutbox === true) throw new TransientIoError(`receiver ${name} is no longer configured on this instance; left for an instance that has it`);
      throw new PromptpilotError(ErrorCodes.IO_FATAL, `receiver ${name} is no longer configured`);
    }
    for (const item of items) {
      if (item.attempts > this.config.delivery.max_attempts) throw new PromptpilotError(ErrorCodes.IO_FATAL, `gave up after ${item.attempts - 1} attempts: ${item.lastError ?? 'unknown error'}`);
      // The relay held the claim back until the limit allowed a message (holdMs), so this books a free slot.
      const waitMs = this.limiters.get(name)?.reserve(this.options.clock.now()) ?? 0;
      if (waitMs > 0) throw new TransientIoError('rate limited', { retryAfterMs: waitMs });
      const outcome = await this.options.send(receiver, item.key, bodyOf(item), this.options.clock.now());
      if (outcome.kind !== 'delivered') this.failures.set(item.id, { ...(outcome.status !== undefined ? { status: outcome.status } : {}), ...(outcome.code !== undefined ? { code: outcome.code } : {}) });
      if (outcome.kind === 'rejected') throw new PromptpilotError(ErrorCodes.IO_FATAL, `${outcome.reason} (not retried: the receiver refused the message)`);
      if (outcome.kind === 'retry') {
        const last = item.attempts >= this.config.delivery.max_attempts;
        if (last) throw new PromptpilotError(ErrorCodes.IO_FATAL, `${outcome.reason} (gave up after ${item.attempts} attempts)`);
        const askedMs = outcome.retryAfterMs === undefined ? undefined : Math.min(outcome.retryAfterMs, this.config.delivery.max_backoff);
        throw new TransientIoError(outcome.reason, askedMs === undefined ? {} : { retryAfterMs: askedMs });
      }
    }
  }

  /**
   * One line per failed attempt: the receiver, its URL without credentials or
   * query, the HTTP status or error code, the attempt and the next retry (or
   * the dead letter). The stack only at debug: a receiver that is down fails
   * every attempt the same way.
   */
  private logFailure(name: string, error: unknown, items: readonly OutboxItem[], retryAtMs: number | null): void {
    const item = items[0];
    const got = item === undefined ? undefined : this.failures.get(item.id);
    for (const i of items) this.failures.delete(i.id);
    const url = this.receivers.get(name)?.url;
    const fields = {
      receiver: name,
      ...(url !== undefined ? { url: loggableUrl(url) } : {}),
      ...got,
      ...(item !== undefined ? { attempt: item.attempts, key: item.key } : {}),
      error: describeError(error),
    };
    const { logger } = this.options;
    if (retryAtMs === null) logger.error(fields, 'alert dead-lettered: the receiver did not take it (kept in the outbox dead letters)');
    else logger.warn({ ...fields, retryAt: new Date(retryAtMs).toISOString() }, 'alert delivery failed; will retry');
    logger.debug({ err: error, receiver: name }, 'alert delivery failure, with its stack');
  }
}

/** A receiver URL for the log: no user, password, query or fragment (they may carry tokens). */
function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
