/** Why an ingest request was shed. */
export const SHED_REASONS = ['requests', 'bytes', 'connections', 'event_loop', 'queue'] as const;
/** Why an ingest request was shed: in-flight requests, in-flight bytes, the connection cap, a late event loop, or the pipeline's full queue. */
export type ShedReason = (typeof SHED_REASONS)[number];

/** Limits of {@link Admission}. */
export interface AdmissionLimits {
  /** Ingest requests admitted and not yet answered. */
  readonly maxInFlightRequests: number;
  /** Declared body bytes of those requests. */
  readonly maxInFlightBytes: number;
  /** How long after a shed request the daemon still reports itself overloaded, ms. */
  readonly overloadHoldMs: number;
  /** Event-loop lag past which ingest is shed, ms (0 = never on lag). */
  readonly maxEventLoopDelayMs?: number;
}

/** An admitted request's ticket: release it exactly once when the request is over (answered or aborted). */
export interface AdmissionTicket {
  release(): void;
}

/**
 * Bounded admission for ingest requests: at most `maxInFlightRequests`
 * requests and `maxInFlightBytes` declared body bytes in flight at once.
 * A request past either bound is refused at once (the caller answers 503 with
 * `Retry-After`) instead of queueing behind the others past its client's
 * timeout; nothing of a refused request is read, parsed or counted.
 *
 * @remarks Counts, not timers: cost is O(1) per request. `overloaded()` stays
 * true for `overloadHoldMs` after the last refusal, so a readiness probe
 * between two bursts still sees the overload.
 */
export class Admission {
  private requests = 0;
  private bytes = 0;
  private lastShedAtMs = -Infinity;
  private readonly shed: Record<ShedReason, number> = { requests: 0, bytes: 0, connections: 0, event_loop: 0, queue: 0 };
  private admittedTotal = 0;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly nowMs: () => number = Date.now,
    private readonly loopLagMs: () => number = () => 0,
    /** True while the pipeline refuses input for load (its bounded queue is full). */
    private readonly queueFull: () => boolean = () => false,
  ) {}

  /** A ticket when the request fits, else the bound it would break (and the refusal is counted). */
  tryAdmit(declaredBytes: number): AdmissionTicket | ShedReason {
    const bytes = Number.isFinite(declaredBytes) && declaredBytes > 0 ? declaredBytes : 0;
    if (this.requests >= this.limits.maxInFlightRequests) return this.refuse('requests');
    if (this.queueFull()) return this.refuse('queue');
    const maxLag = this.limits.maxEventLoopDelayMs ?? 0;
    if (maxLag > 0 && this.loopLagMs() > maxLag) return this.refuse('event_loop');
    // One request larger than the whole byte budget is still admitted when nothing else is in flight.
    if (this.requests > 0 && this.bytes + bytes > this.limits.maxInFlightBytes) return this.refuse('bytes');
    this.requests++;
    this.bytes += bytes;
    this.admittedTotal++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.requests--;
        this.bytes -= bytes;
      },
    };
  }

  /** Counts a request refused elsewhere (the connection cap) as shed. */
  refuse(reason: ShedReason): ShedReason {
    this.shed[reason]++;
    this.lastShedAtMs = this.nowMs();
    return reason;
  }

  /** True while at a bound or shortly after a refusal. */
  overloaded(): boolean {
    return this.requests >= this.limits.maxInFlightRequests || this.queueFull() || this.nowMs() - this.lastShedAtMs < this.limits.overloadHoldMs;
  }

  /** Counters for `/metrics` and tests. */
  stats(): { inFlightRequests: number; inFlightBytes: number; admitted: number; shed: Readonly<Record<ShedReason, number>> } {
    return { inFlightRequests: this.requests, inFlightBytes: this.bytes, admitted: this.admittedTotal, shed: { ...this.shed } };
  }
}
