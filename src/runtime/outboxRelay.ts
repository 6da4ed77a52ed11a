import { describeError, PromptpilotError } from '../core/errors.js';
import type { Clock, Outbox, OutboxItem } from '../ports/ports.js';

/** Delivers one batch of a destination's messages, all or nothing; throws when they did not arrive. */
export type OutboxDeliver = (items: readonly OutboxItem[]) => Promise<void>;

/** A failed delivery as the relay reports it. */
export interface OutboxFailure {
  readonly destination: string;
  readonly error: unknown;
  readonly items: readonly OutboxItem[];
  /** Retry time (epoch ms), or null when the messages were dead-lettered. */
  readonly retryAtMs: number | null;
}

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  readonly clock: Clock;
  /** Messages per delivery (default 100). */
  readonly batchSize?: number;
  /**
   * How long a delivery may take before its messages are handed out again
   * (to this or another instance sharing the outbox), ms; per destination when
   * a function (default 30 s). Must exceed the longest delivery, or a message
   * can be delivered twice.
   */
  readonly leaseMs?: number | ((destination: string) => number);
  /**
   * How long the destination must wait before its next delivery may start
   * (a rate limit), ms; 0 = now (default). While it waits the relay claims
   * nothing, so the wait never eats into a lease; the next poll or kick tries again.
   */
  readonly holdMs?: (destination: string, nowMs: number) => number;
  /** Attempts before a message is dead-lettered (default 10); a non-retriable error dead-letters at once. */
  readonly maxAttempts?: number;
  /** Wait before attempt `attempts + 1`, ms (default 200 ms doubling, at most 60 s). */
  readonly backoffMs?: (attempts: number) => number;
  /** How often due retries are looked for without a {@link OutboxRelay.kick}, ms (default 500). */
  readonly pollMs?: number;
  readonly onFailure?: (failure: OutboxFailure) => void;
  /** Messages left a destination's pending queue (delivered, or dead-lettered): the outbox has room for as many more. */
  readonly onReleased?: (destination: string, messages: number) => void;
}

/** The default backoff: 200 ms, doubling per attempt, capped at 60 s. */
export function defaultOutboxBackoffMs(attempts: number): number {
  return Math.min(60_000, 200 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Drains an {@link Outbox} to its destinations off the critical path: the
 * pipeline only enqueues; the relay leases due messages, delivers them through
 * the destination's {@link OutboxDeliver}, acks what arrived and nacks what
 * failed with an exponential backoff, dead-lettering after `maxAttempts`.
 *
 * @remarks Each destination drains on its own, one delivery in flight at a
 * time (its order is the outbox's order), so a slow or dead destination holds
 * back only itself, never ingest nor another destination. Nothing is lost:
 * a message leaves the outbox only by ack or into the dead letters.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly leaseMs: (destination: string) => number;
  private readonly maxAttempts: number;
  private readonly backoffMs: (attempts: number) => number;
  private readonly pollMs: number;
  private readonly running = new Map<string, Promise<number>>();
  private readonly again = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly destinations: ReadonlyMap<string, OutboxDeliver>,
    private readonly options: OutboxRelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    const leaseMs = options.leaseMs ?? 30_000;
    this.leaseMs = typeof leaseMs === 'number' ? () => leaseMs : leaseMs;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.backoffMs = options.backoffMs ?? defaultOutboxBackoffMs;
    this.pollMs = options.pollMs ?? 500;
  }

  /** Starts polling for due messages (an unref'd timer) and drains what is due now. Idempotent. */
  start(): this {
    if (this.timer !== null || this.stopped) return this;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
    return this;
  }

  /** Something was enqueued: drain every destination soon. Never throws; never waits. */
  kick(): void {
    if (this.stopped) return;
    for (const destination of this.destinations.keys()) void this.drain(destination);
  }

  /**
   * Delivers every message due now, destination by destination in parallel;
   * resolves with how many were delivered. What fails stays for its retry.
   */
  async flush(): Promise<number> {
    const counts = await Promise.all([...this.destinations.keys()].map((d) => this.drain(d)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Stops polling and makes one last attempt at everything due (bounded by
   * the sinks' own timeouts); what still fails stays in the outbox. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.stopped) return;
    await this.flush();
    this.stopped = true;
  }

  /** One destination's drain loop; a second call while it runs makes it loop once more. */
  private drain(destination: string): Promise<number> {
    const current = this.running.get(destination);
    if (current !== undefined) {
      this.again.add(destination);
      return current;
    }
    const run = (async () => {
      let delivered = 0;
      try {
        do {
          this.again.delete(destination);
          delivered += await this.drainDue(destination);
        } while (this.again.has(destination));
      } catch (error) {
        // The outbox itself failed (a store away): report it; the next poll tries again.
        this.options.onFailure?.({ destination, error, items: [], retryAtMs: this.options.clock.now() + this.pollMs });
      } finally {
        // In the same turn as the last `again` check, so a kick never falls between the two.
        this.running.delete(destination);
      }
      return delivered;
    })();
    this.running.set(destination, run);
    return run;
  }

  private async drainDue(destination: string): Promise<number> {
    const deliver = this.destinations.get(destination);
    if (deliver === undefined) return 0;
    let delivered = 0;
    for (;;) {
      const nowMs = this.options.clock.now();
      if ((this.options.holdMs?.(destination, nowMs) ?? 0) > 0) return delivered;
      const items = await this.outbox.lease(destination, this.batchSize, nowMs, this.leaseMs(destination));
      if (items.length === 0) return delivered;
      try {
        await deliver(items);
      } catch (error) {
        // Dead-lettered messages release the queue behind them; a retry holds it until due.
        if (await this.failed(destination, items, error)) continue;
        return delivered;
      }
      await this.outbox.ack(items.map((i) => i.id));
      delivered += items.length;
      this.options.onReleased?.(destination, items.length);
    }
  }

  /** Nacks or dead-letters a failed batch; true when it was dead-lettered. */
  private async failed(destination: string, items: readonly OutboxItem[], error: unknown): Promise<boolean> {
    const attempts = Math.max(...items.map((i) => i.attempts));
    const retriable = !(error instanceof PromptpilotError) || error.retriable;
    const ids = items.map((i) => i.id);
    const reason = describeError(error);
    if (!retriable || attempts >= this.maxAttempts) {
      await this.outbox.deadLetter(ids, `${retriable ? `gave up after ${attempts} attempts` : 'not retriable'}: ${reason}`);
      this.options.onFailure?.({ destination, error, items, retryAtMs: null });
      this.options.onReleased?.(destination, items.length);
      return true;
    }
    // A destination that said when to come back (HTTP Retry-After) is not retried sooner.
    const askedMs = error instanceof PromptpilotError ? (error.retryAfterMs ?? 0) : 0;
    const retryAtMs = this.options.clock.now() + Math.max(this.backoffMs(attempts), askedMs);
    await this.outbox.nack(ids, retryAtMs, reason);
    this.options.onFailure?.({ destination, error, items, retryAtMs });
    return false;
  }
}
