import { asyncScheduler, BehaviorSubject, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { describeError } from '../../core/errors.js';
import type { SourceHealth } from '../../ports/ports.js';
import { silentLogger, type AdapterLogger } from './kafkaClient.js';

/** When and how often a crashed consumer is restarted. */
export interface RestartPolicy {
  /** Consecutive crashes (no group join in between) tolerated; one more and the source fails for good. */
  readonly maxAttempts: number;
  /** Delay before the first restart, in ms; doubles per consecutive crash. */
  readonly initialBackoffMs: number;
  /** Longest delay between restarts, in ms. */
  readonly maxBackoffMs: number;
}

/** Delay before restart number `attempt` (1-based): `initial * 2^(attempt-1)`, capped at `max`. */
export function restartDelayMs(policy: RestartPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Keeps a consumer alive and says how it is doing: never a silent dead consumer.
 *
 * The consumer reports `joined()` on every group join and `crashed()` on every
 * crash. A crash the client will not recover from by itself is answered with
 * a restart after a backoff; a crash it recovers from is only counted. More
 * than `maxAttempts` crashes in a row without a join in between — or a
 * restart that cannot even be attempted — turn the health to `failed`, for
 * the composition root to stop the process (its supervisor restarts it).
 *
 * @remarks Timers come from the injected scheduler so tests run in virtual time.
 */
export class ConsumerSupervisor {
  private readonly subject = new BehaviorSubject<SourceHealth>({ state: 'starting', restarts: 0 });
  /** Current health, replayed to new subscribers. */
  readonly health$: Observable<SourceHealth> = this.subject.asObservable();
  private consecutiveCrashes = 0;
  private restarts = 0;
  private pending: Subscription | null = null;
  private stopped = false;

  constructor(
    private readonly policy: RestartPolicy,
    private readonly restart: () => Promise<void>,
    private readonly log: AdapterLogger = silentLogger,
    private readonly scheduler: SchedulerLike = asyncScheduler,
  ) {}

  /** The latest health. */
  get health(): SourceHealth {
    return this.subject.value;
  }

  /** The consumer joined its group and has an assignment. */
  joined(): void {
    if (this.stopped || this.health.state === 'failed') return;
    this.consecutiveCrashes = 0;
    this.set({ state: 'consuming', restarts: this.restarts });
  }

  /**
   * The consumer crashed. `clientRestarts`: the client restarts it on its own
   * (only counted here); otherwise a restart is scheduled.
   */
  crashed(error: unknown, clientRestarts: boolean): void {
    if (this.stopped || this.health.state === 'failed') return;
    this.consecutiveCrashes++;
    const reason = describeError(error);
    if (this.consecutiveCrashes > this.policy.maxAttempts) {
      this.fail(`consumer crashed ${this.consecutiveCrashes} times in a row without joining its group; last: ${reason}`);
      return;
    }
    this.set({ state: 'recovering', restarts: this.restarts, reason: `consumer crashed: ${reason}` });
    if (clientRestarts) return;
    const delayMs = restartDelayMs(this.policy, this.consecutiveCrashes);
    this.log.warn({ component: 'kafka', attempt: this.consecutiveCrashes, delayMs, reason }, 'restarting the Kafka consumer');
    this.pending?.unsubscribe();
    this.pending = this.scheduler.schedule(() => {
      this.pending = null;
      if (this.stopped) return;
      this.restarts++;
      this.restart().catch((err: unknown) => this.crashed(err, false));
    }, delayMs);
  }

  /** The consumer cannot go on (e.g. it could not be restarted): health `failed`, final. */
  fail(reason: string): void {
    if (this.stopped || this.health.state === 'failed') return;
    this.pending?.unsubscribe();
    this.pending = null;
    this.log.error({ component: 'kafka', reason }, 'Kafka consumer failed for good');
    this.set({ state: 'failed', restarts: this.restarts, reason });
  }

  /** No more restarts; health `stopped`. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending?.unsubscribe();
    this.pending = null;
    if (this.health.state !== 'failed') this.set({ state: 'stopped', restarts: this.restarts });
    this.subject.complete();
  }

  private set(health: SourceHealth): void {
    this.subject.next(health);
  }
}
