/**
 * Event-loop lag as a load signal: a timer that should fire every
 * `intervalMs` measures how late it ran. `currentMs()` is the smaller lag of
 * the last two ticks (or how overdue the next one already is, if more): a
 * sustained lag shows within two ticks and fades as soon as the loop is
 * prompt again, while one garbage-collection pause or a start-up hiccup does
 * not count as overload. The timer is unref'd: it never keeps the
 * process alive.
 *
 * @remarks A probe or any request waits in the same loop as ingest; when the
 * loop runs late, taking more ingest only makes every answer later. The
 * admission control sheds on it (`server.max_event_loop_delay`).
 */
export class LoopLag {
  private timer: ReturnType<typeof setInterval> | null = null;
  private expectedAt = 0;
  private previousMs = 0;
  private latestMs = 0;

  constructor(private readonly intervalMs = 50) {}

  /** Starts measuring. Idempotent. */
  start(): this {
    if (this.timer !== null) return this;
    this.expectedAt = performance.now() + this.intervalMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.previousMs = this.latestMs;
      this.latestMs = Math.max(0, now - this.expectedAt);
      this.expectedAt = now + this.intervalMs;
    }, this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops measuring. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.latestMs = 0;
    this.previousMs = 0;
  }

  /** Sustained lag now: the better of the last two ticks, or how overdue the next tick already is. */
  currentMs(): number {
    if (this.timer === null) return 0;
    const overdue = Math.max(0, performance.now() - this.expectedAt);
    return Math.max(Math.min(this.latestMs, this.previousMs), overdue);
  }
}
