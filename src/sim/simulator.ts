import type { Config } from '../config/schema.js';
import type { Arm, TelemetryEvent } from '../core/event.js';
import type { Pattern } from '../core/patterns.js';
import { PATTERN_PROFILES } from './patternProfiles.js';
import { deriveSeed, exponential, mulberry32, type Rng } from './random.js';
import { simulateCall, type CallConditions } from './simulateCall.js';

/** What a simulated app serves on a route: which variant, built with which pattern. */
export interface Serving {
  readonly variant: string;
  readonly pattern: Pattern;
  /** Input tokens relative to the route's usual prompt (a compressed variant: e.g. 0.6). Default 1. */
  readonly inputTokenFactor?: number;
  /** Completion cap of the budget tier being served (economy 500 … research 8000). */
  readonly maxOutputTokens?: number;
  /** Budget tier name to report on the event. */
  readonly tier?: string;
}

/** Asked once per simulated call when {@link SimulatorOptions.serve} is set. */
export interface ServeRequest {
  readonly route: string;
  /** The simulated end user (sticky: the same user comes back). */
  readonly unit: string;
  /** Event time of the call, epoch ms. */
  readonly ts: number;
  /** What the route serves by default right now. */
  readonly current: Serving;
}

/** The app's answer: what to serve this call, and the experiment arm when it follows `/v1/assign`. */
export interface ServeDecision extends Serving {
  readonly experiment?: string;
  readonly arm?: Arm;
}

/** Closed-loop hooks. */
export interface SimulatorOptions {
  /**
   * Decides per call what is served (e.g. by asking the daemon's assignment);
   * `undefined` means "the route's current serving". Must be synchronous and
   * must not throw; an exception is treated as `undefined`.
   */
  readonly serve?: (request: ServeRequest) => ServeDecision | undefined;
}

/** Seeded, pure generator of simulated telemetry; time comes only from arguments. */
export interface Simulator {
  /** Event time the simulation started at, epoch ms. */
  readonly startMs: number;
  /**
   * Every call that finished in (previous `untilMs`, `untilMs`], sorted by ts
   * (ties in config order). The first call covers (startMs, untilMs]. A
   * `untilMs` at or before the previous one returns []. Same seed, config and
   * call sequence → identical events.
   */
  eventsUntil(untilMs: number): TelemetryEvent[];
  /**
   * Switches what a route serves from now on (a promoted variant or pattern).
   * Returns false when the route is not simulated.
   */
  setServing(route: string, serving: Serving): boolean;
  /** What a route currently serves by default; undefined when not simulated. */
  servingOf(route: string): Serving | undefined;
}

type SimConfig = Config['simulator'];
type Degradation = SimConfig['degradations'][number];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Stream {
  readonly route: string;
  readonly model: string;
  readonly configuredPattern: Pattern;
  readonly meanGapMs: number;
  readonly rng: Rng;
  readonly degradations: readonly Degradation[];
  nextArrivalMs: number;
}

/** Simulated users per route; units are drawn uniformly, so every user returns. */
const USERS_PER_ROUTE = 10_000;

/**
 * Builds a simulator for `sim.routes`: Poisson arrivals at `rate_per_second`
 * of event time per route, each call drawn by {@link simulateCall} from the
 * served pattern's profile, with `sim.degradations` applied while
 * `startMs + at ≤ ts < startMs + at + duration`.
 *
 * Events carry `model` and token counts but no `cost_usd`: the daemon's price
 * table (`prices`) sets the cost, so demo costs follow the configured prices.
 *
 * @remarks Each route has its own PRNG stream derived from `sim.seed` and the
 * route's name and position, and every arrival consumes a fixed number of
 * draws, so serving changes alter a route's calls but never its arrival times
 * or another route's traffic. A degradation's `accuracy_delta` is exact for the
 * route's configured pattern; a stronger served pattern loses proportionally
 * less (see `degradationSensitivity`).
 */
export function createSimulator(sim: SimConfig, startMs: number, options: SimulatorOptions = {}): Simulator {
  const serving = new Map<string, Serving>();
  const streams: Stream[] = sim.routes.map((r, index) => {
    const rng = mulberry32(deriveSeed(sim.seed, `${index}:${r.route}`));
    const meanGapMs = 1000 / r.rate_per_second;
    if (!serving.has(r.route)) serving.set(r.route, { variant: r.variant, pattern: r.pattern });
    return {
      route: r.route,
      model: r.model,
      configuredPattern: r.pattern,
      meanGapMs,
      rng,
      degradations: sim.degradations.filter((d) => d.route === r.route),
      nextArrivalMs: startMs + exponential(rng, meanGapMs),
    };
  });
  let lastUntilMs = startMs;

  function makeEvent(stream: Stream, ts: number): TelemetryEvent {
    const unit = `user-${Math.floor(stream.rng() * USERS_PER_ROUTE)}`;
    const current = serving.get(stream.route) as Serving;
    let served: ServeDecision = current;
    if (options.serve !== undefined) {
      try {
        served = options.serve({ route: stream.route, unit, ts, current }) ?? current;
      } catch {
        served = current;
      }
    }
    const conditions = conditionsAt(stream, served, ts - startMs);
    const call = simulateCall(stream.rng, served.pattern, conditions);
    const event: Mutable<TelemetryEvent> = {
      ts,
      route: stream.route,
      variant: served.variant,
      pattern: served.pattern,
      latencyMs: call.latencyMs,
      inputTokens: call.inputTokens,
      outputTokens: call.outputTokens,
      model: stream.model,
      satisfaction: call.satisfaction,
      isError: call.isError,
    };
    if (call.quality !== undefined) event.quality = call.quality;
    if (call.correct !== undefined) event.correct = call.correct;
    if (call.consistent !== undefined) event.consistent = call.consistent;
    if (call.errorType !== undefined) event.errorType = call.errorType;
    if (served.tier !== undefined) event.tier = served.tier;
    if (served.experiment !== undefined) {
      event.experiment = served.experiment;
      event.unit = unit;
      if (served.arm !== undefined) event.arm = served.arm;
    }
    return event;
  }

  return {
    startMs,
    eventsUntil(untilMs: number): TelemetryEvent[] {
      const events: TelemetryEvent[] = [];
      if (!(untilMs > lastUntilMs)) return events;
      for (;;) {
        let next: Stream | undefined;
        for (const stream of streams) {
          if (Math.ceil(stream.nextArrivalMs) > untilMs) continue;
          if (next === undefined || stream.nextArrivalMs < next.nextArrivalMs) next = stream;
        }
        if (next === undefined) break;
        events.push(makeEvent(next, Math.ceil(next.nextArrivalMs)));
        next.nextArrivalMs += exponential(next.rng, next.meanGapMs);
      }
      lastUntilMs = untilMs;
      return events;
    },
    setServing(route: string, next: Serving): boolean {
      if (!serving.has(route)) return false;
      serving.set(route, { ...next });
      return true;
    },
    servingOf(route: string): Serving | undefined {
      return serving.get(route);
    },
  };
}

function conditionsAt(stream: Stream, served: Serving, elapsedMs: number): CallConditions {
  let latencyFactor = 1;
  let tokenFactor = 1;
  let accuracyDelta = 0;
  let extraErrorRate = 0;
  for (const d of stream.degradations) {
    if (elapsedMs < d.at || elapsedMs >= d.at + d.duration) continue;
    latencyFactor *= d.latency_factor;
    tokenFactor *= d.cost_factor;
    accuracyDelta += d.accuracy_delta;
    extraErrorRate += d.error_rate;
  }
  const sensitivity = PATTERN_PROFILES[served.pattern].degradationSensitivity / PATTERN_PROFILES[stream.configuredPattern].degradationSensitivity;
  const conditions: Mutable<CallConditions> = {
    latencyFactor,
    tokenFactor,
    accuracyDelta: accuracyDelta * sensitivity,
    extraErrorRate,
    model: stream.model,
  };
  if (served.inputTokenFactor !== undefined) conditions.inputTokenFactor = served.inputTokenFactor;
  if (served.maxOutputTokens !== undefined) conditions.maxOutputTokens = served.maxOutputTokens;
  return conditions;
}
