/**
 * A count of things settled (written, or given up for good) that only grows,
 * and the callers waiting for it to reach a target: the barrier behind
 * `settled()` of the Redis write buffers.
 */
export class SettledCount {
  private reached = 0;
  private waiters: { readonly target: number; readonly resolve: () => void }[] = [];

  /** How many have settled. */
  get value(): number {
    return this.reached;
  }

  /** Resolves once the count reaches `target` (at once when it has). */
  reach(target: number): Promise<void> {
    if (this.reached >= target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  /** Raises the count to `count` (never lowers it) and wakes the callers whose target it reached. */
  advanceTo(count: number): void {
    if (count <= this.reached) return;
    this.reached = count;
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (count >= waiter.target) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }
}
