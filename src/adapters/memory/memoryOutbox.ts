import { InvariantError, OverloadedError } from '../../core/errors.js';
import type { JsonValue, Outbox, OutboxDepth, OutboxItem, OutboxMessage } from '../../ports/ports.js';

interface Entry {
  readonly id: string;
  readonly destination: string;
  readonly key: string;
  readonly payload: JsonValue;
  readonly enqueuedAtMs: number;
  attempts: number;
  /** Due (or lease expiry while leased), epoch ms. */
  dueAtMs: number;
  leased: boolean;
  lastError?: string;
}

interface Queue {
  /** Pending entries in enqueue order. */
  readonly pending: Entry[];
  readonly dead: Entry[];
  /** Keys of every entry in `pending` or `dead`. */
  readonly keys: Set<string>;
}

/** An item id names its lease, `<entry id>.<attempts>`, as the Redis adapter's do: a stale lease's nack/deadLetter is ignored. */
function itemOf(entry: Entry): OutboxItem {
  return {
    id: `${entry.id}.${entry.attempts}`,
    destination: entry.destination,
    key: entry.key,
    payload: entry.payload,
    attempts: entry.attempts,
    enqueuedAtMs: entry.enqueuedAtMs,
    ...(entry.lastError !== undefined ? { lastError: entry.lastError } : {}),
  };
}

/** Messages waiting for delivery (leased ones included) the memory outbox holds by default, over all destinations. */
export const MEMORY_OUTBOX_MAX_PENDING = 100_000;
/** Dead letters the memory outbox keeps by default, over all destinations; past it the oldest is discarded (and counted). */
export const MEMORY_OUTBOX_MAX_DEAD_LETTERS = 10_000;

/** Bounds of a {@link MemoryOutbox}. */
export interface MemoryOutboxOptions {
  /** Most pending messages (default {@link MEMORY_OUTBOX_MAX_PENDING}); an enqueue past it is refused whole. */
  readonly maxPending?: number;
  /** Most dead letters kept (default {@link MEMORY_OUTBOX_MAX_DEAD_LETTERS}). */
  readonly maxDeadLetters?: number;
}

/**
 * In-memory outbox: the embedded default. Honours the whole {@link Outbox}
 * contract except surviving a restart (use the Redis adapter for that).
 * Payloads are copied through JSON on the way in, so a caller mutating its
 * object afterwards changes nothing and a non-JSON value fails at `enqueue`,
 * as it would with a durable adapter.
 *
 * Bounded: at most `maxPending` messages wait for delivery. An enqueue whose
 * new messages would pass that is refused whole with {@link OverloadedError}
 * (retriable, nothing taken; duplicates by key do not count). The pipeline
 * runner retries it, its queue fills and the sources are pushed back (HTTP
 * 503, Kafka pauses) until the relay has delivered enough: a sink that stays
 * away slows ingest instead of growing memory or losing a message. A batch
 * larger than the bound is still taken when nothing is pending, so no batch
 * waits forever. Dead letters (given up already, kept for inspection) are
 * capped at `maxDeadLetters`: past it the oldest is discarded with its key
 * and counted in {@link discardedDeadLetters}.
 */
export class MemoryOutbox implements Outbox {
  private readonly queues = new Map<string, Queue>();
  private readonly byId = new Map<string, Entry>();
  private nextId = 1;
  private closed = false;
  private readonly maxPending: number;
  private readonly maxDeadLetters: number;
  private pendingCount = 0;
  /** Every dead letter, oldest first: the cap discards from the front. */
  private readonly deadOrder: Entry[] = [];
  private discardedDead = 0;

  constructor(options: MemoryOutboxOptions = {}) {
    this.maxPending = options.maxPending ?? MEMORY_OUTBOX_MAX_PENDING;
    this.maxDeadLetters = options.maxDeadLetters ?? MEMORY_OUTBOX_MAX_DEAD_LETTERS;
    if (!(this.maxPending >= 1) || !(this.maxDeadLetters >= 0)) {
      throw new InvariantError(`MemoryOutbox: bounds must be maxPending ≥ 1 and maxDeadLetters ≥ 0, got ${this.maxPending} and ${this.maxDeadLetters}`);
    }
  }

  /** Dead letters discarded (oldest first) to keep at most `maxDeadLetters`. */
  get discardedDeadLetters(): number {
    return this.discardedDead;
  }

  async enqueue(messages: readonly OutboxMessage[], nowMs: number): Promise<number> {
    this.assertOpen('enqueue');
    const copies = messages.map((m) => ({ ...m, payload: JSON.parse(JSON.stringify(m.payload)) as JsonValue }));
    // The new messages (not duplicates by key, in the outbox or earlier in this batch), counted before any is taken.
    const batchKeys = new Map<string, Set<string>>();
    let fresh = 0;
    for (const message of copies) {
      if (this.queues.get(message.destination)?.keys.has(message.key) === true) continue;
      let keys = batchKeys.get(message.destination);
      if (keys === undefined) batchKeys.set(message.destination, (keys = new Set()));
      if (keys.has(message.key)) continue;
      keys.add(message.key);
      fresh++;
    }
    if (fresh > 0 && this.pendingCount > 0 && this.pendingCount + fresh > this.maxPending) {
      throw new OverloadedError(`the outbox is full: ${this.pendingCount} messages wait for delivery, ${fresh} more would pass its bound of ${this.maxPending}`);
    }
    let added = 0;
    for (const message of copies) {
      const queue = this.queueOf(message.destination);
      if (queue.keys.has(message.key)) continue;
      const entry: Entry = { id: String(this.nextId++), destination: message.destination, key: message.key, payload: message.payload, enqueuedAtMs: nowMs, attempts: 0, dueAtMs: nowMs, leased: false };
      queue.pending.push(entry);
      queue.keys.add(message.key);
      this.byId.set(entry.id, entry);
      added++;
    }
    this.pendingCount += added;
    return added;
  }

  async lease(destination: string, limit: number, nowMs: number, leaseMs: number): Promise<readonly OutboxItem[]> {
    this.assertOpen('lease');
    const out: OutboxItem[] = [];
    const queue = this.queues.get(destination);
    if (queue === undefined) return out;
    for (const entry of queue.pending) {
      if (out.length >= limit || entry.dueAtMs > nowMs) break;
      entry.leased = true;
      entry.attempts++;
      entry.dueAtMs = nowMs + leaseMs;
      out.push(itemOf(entry));
    }
    return out;
  }

  async ack(ids: readonly string[]): Promise<void> {
    this.assertOpen('ack');
    for (const id of ids) {
      const entry = this.leased(id, false);
      if (entry === undefined) continue;
      const queue = this.queueOf(entry.destination);
      // Only a pending message: a dead letter keeps its key (it must not be sent again).
      if (!this.remove(queue.pending, entry)) continue;
      this.pendingCount--;
      queue.keys.delete(entry.key);
      this.byId.delete(entry.id);
    }
  }

  async nack(ids: readonly string[], retryAtMs: number, error: string): Promise<void> {
    this.assertOpen('nack');
    for (const id of ids) {
      const entry = this.leased(id, true);
      if (entry === undefined || !this.queueOf(entry.destination).pending.includes(entry)) continue;
      entry.leased = false;
      entry.dueAtMs = retryAtMs;
      entry.lastError = error;
    }
  }

  async deadLetter(ids: readonly string[], error: string): Promise<void> {
    this.assertOpen('deadLetter');
    for (const id of ids) {
      const entry = this.leased(id, true);
      if (entry === undefined) continue;
      const queue = this.queueOf(entry.destination);
      if (!this.remove(queue.pending, entry)) continue;
      this.pendingCount--;
      entry.leased = false;
      entry.lastError = error;
      queue.dead.push(entry);
      this.deadOrder.push(entry);
      if (this.deadOrder.length > this.maxDeadLetters) this.discardOldestDeadLetter();
    }
  }

  async deadLetters(destination: string, limit: number): Promise<readonly OutboxItem[]> {
    return (this.queues.get(destination)?.dead ?? []).slice(0, Math.max(0, limit)).map(itemOf);
  }

  async destinations(): Promise<readonly string[]> {
    return [...this.queues].filter(([, q]) => q.pending.length > 0 || q.dead.length > 0).map(([name]) => name);
  }

  async depth(destination?: string): Promise<OutboxDepth> {
    const queues = destination === undefined ? [...this.queues.values()] : [this.queues.get(destination)].filter((q) => q !== undefined);
    let pending = 0;
    let deadLettered = 0;
    for (const q of queues) {
      pending += q.pending.length;
      deadLettered += q.dead.length;
    }
    return { pending, deadLettered };
  }

  async nextDueAtMs(destination: string): Promise<number | null> {
    return this.queues.get(destination)?.pending[0]?.dueAtMs ?? null;
  }

  /** Refuses further use; what is inside stays readable through `depth` and `deadLetters`. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /** The entry an item id names; with `latest`, only while that lease is the entry's latest. */
  private leased(itemId: string, latest: boolean): Entry | undefined {
    const dot = itemId.lastIndexOf('.');
    const entry = this.byId.get(dot < 0 ? itemId : itemId.slice(0, dot));
    if (entry === undefined || (latest && `${entry.id}.${entry.attempts}` !== itemId)) return undefined;
    return entry;
  }

  private discardOldestDeadLetter(): void {
    const oldest = this.deadOrder.shift();
    if (oldest === undefined) return;
    const queue = this.queueOf(oldest.destination);
    this.remove(queue.dead, oldest);
    queue.keys.delete(oldest.key);
    this.byId.delete(oldest.id);
    this.discardedDead++;
  }

  private queueOf(destination: string): Queue {
    let queue = this.queues.get(destination);
    if (queue === undefined) {
      queue = { pending: [], dead: [], keys: new Set() };
      this.queues.set(destination, queue);
    }
    return queue;
  }

  private remove(list: Entry[], entry: Entry): boolean {
    const at = list.indexOf(entry);
    if (at < 0) return false;
    list.splice(at, 1);
    return true;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new InvariantError(`MemoryOutbox: ${operation} after close`);
  }
}
