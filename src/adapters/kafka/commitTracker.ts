import { waitUntilIdle } from '../waitUntilIdle.js';

/** An offset to commit: the next offset to read on a partition (last processed + 1). */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: number;
}

interface Delivery {
  readonly lastOffset: number;
  readonly events: number;
  done: boolean;
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** Highest offset delivered downstream; lower offsets are duplicates when fetched again. */
  delivered: number;
  /** Deliveries in offset order, not yet committed. */
  readonly pending: Delivery[];
  /** Next offset waiting to be committed (after a failed or not yet run commit). */
  committable: number | null;
}

/**
 * Tracks delivered batches per partition and turns `commit()` calls into
 * in-order offset commits: a partition's offset moves past a batch only when
 * it and every earlier batch of that partition are done. Failed commits are
 * retried with the next one; commits never run concurrently.
 */
export class CommitTracker {
  private readonly partitions = new Map<string, PartitionState>();
  private inFlight = 0;
  private chain: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly commitOffsets: (offsets: readonly OffsetToCommit[]) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Events delivered and not yet committed (or dropped by a rebalance). */
  get inFlightEvents(): number {
    return this.inFlight;
  }

  /** Highest offset delivered on a partition, or -1. */
  deliveredThrough(topic: string, partition: number): number {
    return this.partitions.get(key(topic, partition))?.delivered ?? -1;
  }

  /** Records a delivered batch ending at `lastOffset`; returns its commit function (idempotent). */
  deliver(topic: string, partition: number, lastOffset: number, events: number): () => Promise<void> {
    const k = key(topic, partition);
    let state = this.partitions.get(k);
    if (state === undefined) {
      state = { topic, partition, delivered: -1, pending: [], committable: null };
      this.partitions.set(k, state);
    }
    state.delivered = Math.max(state.delivered, lastOffset);
    const delivery: Delivery = { lastOffset, events, done: false };
    state.pending.push(delivery);
    this.inFlight += events;
    const owner = state;
    return () => {
      if (delivery.done || this.partitions.get(k) !== owner) return this.chain;
      delivery.done = true;
      this.inFlight -= events;
      while (owner.pending[0]?.done === true) {
        const head = owner.pending.shift();
        if (head !== undefined) owner.committable = head.lastOffset + 1;
      }
      if (this.inFlight === 0) this.wakeIdle();
      return this.flush();
    };
  }

  /**
   * Keeps only the partitions of a new assignment (`{topic: [partitions]}`):
   * batches of revoked partitions can no longer be committed by this member.
   */
  retain(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [k, state] of this.partitions) {
      if (assignment[state.topic]?.includes(state.partition) === true) continue;
      for (const d of state.pending) if (!d.done) this.inFlight -= d.events;
      this.partitions.delete(k);
    }
    if (this.inFlight === 0) this.wakeIdle();
  }

  /** Waits until every delivered batch is committed or `timeoutMs` passes, then commits what is done. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight > 0) await waitUntilIdle(this.idleWaiters, timeoutMs);
    await this.flush();
  }

  /** Commits every partition's committable offset; serialized behind earlier commits. */
  flush(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const batch: { state: PartitionState; nextOffset: number }[] = [];
      for (const state of this.partitions.values()) if (state.committable !== null) batch.push({ state, nextOffset: state.committable });
      if (batch.length === 0) return;
      try {
        await this.commitOffsets(batch.map(({ state, nextOffset }) => ({ topic: state.topic, partition: state.partition, nextOffset })));
        for (const { state, nextOffset } of batch) if (state.committable === nextOffset) state.committable = null;
      } catch (err) {
        this.onError(err);
      }
    });
    return this.chain;
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
