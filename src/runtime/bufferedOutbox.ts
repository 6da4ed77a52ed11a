import type { Outbox, OutboxDepth, OutboxItem, OutboxMessage } from '../ports/ports.js';
import { HeldWrites, type HeldGap } from './heldWrites.js';

/** Options of {@link BufferedOutbox}. */
export interface BufferedOutboxOptions {
  /** Messages held while the outbox is unreachable (`redis.max_pending_outbox_messages`). */
  readonly maxPending: number;
  /** Records what overflowed (the daemon appends a `gap` record to the decision log); throws when it cannot. */
  readonly recordGap: (gap: HeldGap) => Promise<void>;
  /** Called on every loss with its count and the total since start (log line, metric). */
  readonly onDropped: (dropped: number, totalDropped: number) => void;
  /** Called when the outbox starts failing (with the reason) and when it answers again (null). */
  readonly onAvailability?: (failure: string | null) => void;
}

/** A message as held: what to enqueue and when it was enqueued (kept as its `enqueuedAtMs`). */
interface HeldMessage {
  readonly message: OutboxMessage;
  readonly atMs: number;
}

/**
 * An outbox in front of a remote one (Redis) that keeps the pipeline going
 * through an outage: `enqueue` never fails nor waits for a store that is
 * away — messages are held in order in a bounded buffer ({@link HeldWrites},
 * the decision log's too) and written, with their idempotency keys and
 * enqueue times, once it is back (on the next enqueue or relay poll, or
 * {@link flush}). An overflow drops the oldest held messages, logged, counted
 * and recorded as a `gap` record naming their destinations.
 *
 * @remarks Delivery side during an outage: `lease` finds nothing due; an
 * `ack` that cannot be written is held and retried (so a message that did
 * arrive is not delivered again); a `nack` or `deadLetter` that cannot be
 * written is dropped — the message's lease lapses and it is handed out
 * again, as after a crash (at-least-once, same key).
 */
export class BufferedOutbox implements Outbox {
  private readonly buffer: HeldWrites<HeldMessage>;
  private readonly heldAcks = new Set<string>();

  constructor(
    private readonly inner: Outbox,
    options: BufferedOutboxOptions,
  ) {
    this.buffer = new HeldWrites<HeldMessage>({
      maxPending: options.maxPending,
      write: (items) => this.write(items),
      writeGap: options.recordGap,
      tsOf: (item) => item.atMs,
      groupOf: (item) => item.message.destination,
      onDropped: options.onDropped,
      ...(options.onAvailability !== undefined ? { onAvailability: options.onAvailability } : {}),
    });
  }

  /** Messages (and acks) waiting for the remote outbox, plus one for a gap waiting to be recorded. */
  get pending(): number {
    return this.buffer.pending + this.heldAcks.size;
  }

  /** Messages (not acks) held for the remote outbox, plus one for a gap waiting to be recorded. */
  get heldMessages(): number {
    return this.buffer.pending;
  }

  /** Resolves once every message held so far is in the remote outbox (or dropped, with its gap recorded). */
  settled(): Promise<void> {
    return this.buffer.settled();
  }

  /** Messages dropped since start because the buffer overflowed. */
  get dropped(): number {
    return this.buffer.dropped;
  }

  /** Why the remote outbox is failing, or null. */
  get unavailable(): string | null {
    return this.buffer.unavailable;
  }

  /** Enqueues, or holds the messages when the outbox is unreachable (then counted as new). Never throws for an outage. */
  async enqueue(messages: readonly OutboxMessage[], nowMs: number): Promise<number> {
    if (messages.length === 0) return 0;
    const added = await this.buffer.submit(
      messages.map((message) => ({ message, atMs: nowMs })),
      () => this.inner.enqueue(messages, nowMs),
    );
    if (added !== null) return added;
    void this.flush();
    return messages.length;
  }

  /** Due messages; none while the outbox is unreachable. Writes what is held first, so order per destination stands. */
  async lease(destination: string, limit: number, nowMs: number, leaseMs: number): Promise<readonly OutboxItem[]> {
    if (this.pending > 0) await this.flush();
    try {
      const items = await this.inner.lease(destination, limit, nowMs, leaseMs);
      this.buffer.noteSuccess();
      return items;
    } catch (err) {
      this.buffer.noteFailure(err);
      return [];
    }
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.inner.ack(ids);
    } catch (err) {
      for (const id of ids) this.heldAcks.add(id);
      this.buffer.noteFailure(err);
    }
  }

  async nack(ids: readonly string[], retryAtMs: number, error: string): Promise<void> {
    try {
      await this.inner.nack(ids, retryAtMs, error);
    } catch (err) {
      this.buffer.noteFailure(err);
    }
  }

  async deadLetter(ids: readonly string[], error: string): Promise<void> {
    try {
      await this.inner.deadLetter(ids, error);
    } catch (err) {
      this.buffer.noteFailure(err);
    }
  }

  deadLetters(destination: string, limit: number): Promise<readonly OutboxItem[]> {
    return this.inner.deadLetters(destination, limit);
  }

  destinations(): Promise<readonly string[]> {
    return this.inner.destinations();
  }

  /** The remote outbox's depth; over every destination, the held messages count as pending too. */
  async depth(destination?: string): Promise<OutboxDepth> {
    const inner = await this.inner.depth(destination);
    return destination === undefined ? { pending: inner.pending + this.buffer.pending, deadLettered: inner.deadLettered } : inner;
  }

  nextDueAtMs(destination: string): Promise<number | null> {
    return this.inner.nextDueAtMs(destination);
  }

  /** Writes held acks and messages (a gap leading). Never throws; resolves when done or failed. */
  async flush(): Promise<void> {
    if (this.heldAcks.size > 0) {
      const ids = [...this.heldAcks];
      try {
        await this.inner.ack(ids);
        for (const id of ids) this.heldAcks.delete(id);
      } catch (err) {
        this.buffer.noteFailure(err);
        return;
      }
    }
    await this.buffer.flush();
  }

  /** Closes the remote outbox; call {@link flush} first to write what is held. */
  close(): Promise<void> {
    return this.inner.close();
  }

  /** Enqueues held messages in runs of one enqueue time, so each keeps its `enqueuedAtMs`. */
  private async write(items: readonly HeldMessage[]): Promise<void> {
    for (let start = 0; start < items.length; ) {
      const atMs = items[start]!.atMs;
      let end = start + 1;
      while (end < items.length && items[end]!.atMs === atMs) end++;
      await this.inner.enqueue(items.slice(start, end).map((i) => i.message), atMs);
      start = end;
    }
  }
}
