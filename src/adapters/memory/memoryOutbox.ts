import { InvariantError } from '../../core/errors.js';
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

/**
 * In-memory outbox: the embedded default. Honours the whole {@link Outbox}
 * contract except surviving a restart (use the Redis adapter for that).
 * Payloads are copied through JSON on the way in, so a caller mutating its
 * object afterwards changes nothing and a non-JSON value fails at `enqueue`,
 * as it would with a durable adapter.
 */
export class MemoryOutbox implements Outbox {
  private readonly queues = new Map<string, Queue>();
  private readonly byId = new Map<string, Entry>();
  private nextId = 1;
  private closed = false;

  async enqueue(messages: readonly OutboxMessage[], nowMs: number): Promise<number> {
    this.assertOpen('enqueue');
    const copies = messages.map((m) => ({ ...m, payload: JSON.parse(JSON.stringify(m.payload)) as JsonValue }));
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
      entry.leased = false;
      entry.lastError = error;
      queue.dead.push(entry);
    }
  }

  async deadLetters(destination: string, limit: number): Promise<readonly OutboxItem[]> {
    return (this.queues.get(destination)?.dead ?? []).slice(0, Math.max(0, limit)).map(itemOf);
  }

  async destinations(): Promise<readonly string[]> {
    return [...this.queues].filter(([, q]) => q.pending.length > 0).map(([name]) => name);
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
