import type { TelemetryEvent } from '../core/event.js';
import type { HistogramObservation } from '../ports/ports.js';

/** An input a route's hold keeps: an event, or an OTLP latency histogram observation. */
export type HeldInput = TelemetryEvent | HistogramObservation;

/** Whether a held input is a histogram observation (else an event). */
export function isObservation(input: HeldInput): input is HistogramObservation {
  return 'bucketCounts' in input;
}

/** What {@link HeldInputs.keep} did with an input: kept it, or not (its route is not held), or its route's hold overflowed. */
export type KeepResult = 'held' | 'free' | 'full';

/**
 * Inputs (events, OTLP latency histograms) of routes another instance owns,
 * kept in arrival order instead of being counted, until this instance either
 * owns the route — then they are counted on top of the owner's last
 * checkpoint, each once — or gives up holding it.
 *
 * @remarks Bounded: at most `limit` inputs over all routes. The input that
 * would pass the limit makes its route `overflowed`: the caller takes that
 * route's held inputs back ({@link overflow}) and counts them as they come
 * from then on, as if the route were not held, until {@link release}.
 */
export class HeldInputs {
  private readonly routes = new Map<string, HeldInput[]>();
  private readonly overflowed = new Set<string>();
  private held = 0;

  /** @param limit Inputs kept over all routes at most. */
  constructor(private readonly limit: number) {}

  /** True when no route is held (the hot path checks this first). */
  get isEmpty(): boolean {
    return this.routes.size === 0;
  }

  /** Routes held and inputs kept, and routes whose hold overflowed. */
  sizes(): { routes: number; inputs: number; overflowed: number } {
    return { routes: this.routes.size, inputs: this.held, overflowed: this.overflowed.size };
  }

  /** Inputs kept for a route (0 when it is not held). */
  heldOf(route: string): number {
    return this.routes.get(route)?.length ?? 0;
  }

  /** Starts holding a route's inputs (idempotent); a route whose hold overflowed stays free until released. */
  hold(route: string): void {
    if (!this.routes.has(route) && !this.overflowed.has(route)) this.routes.set(route, []);
  }

  /** Keeps an input of a held route. */
  keep(input: HeldInput): KeepResult {
    const inputs = this.routes.get(input.route);
    if (inputs === undefined) return 'free';
    if (this.held >= this.limit) return 'full';
    inputs.push(input);
    this.held++;
    return 'held';
  }

  /** The route's hold overflowed: returns what it held and leaves the route free until {@link release}. */
  overflow(route: string): HeldInput[] {
    this.overflowed.add(route);
    return this.take(route);
  }

  /** Stops holding a route (and forgets an overflow): returns what it held, in arrival order. */
  release(route: string): HeldInput[] {
    this.overflowed.delete(route);
    return this.take(route);
  }

  private take(route: string): HeldInput[] {
    const inputs = this.routes.get(route);
    if (inputs === undefined) return [];
    this.routes.delete(route);
    this.held -= inputs.length;
    return inputs;
  }
}
