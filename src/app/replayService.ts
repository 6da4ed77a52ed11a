import type { ExperimentSnapshot } from '../abtest/experimentManager.js';
import type { Config } from '../config/schema.js';
import type { DecisionRecord } from '../core/decision.js';
import type { TelemetryEvent } from '../core/event.js';
import { PipelineEngine } from '../engine/engine.js';
import { tooLateMessage } from '../engine/tooLate.js';
import type { StatsSeries } from '../windows/statsSeries.js';
import type { WindowStats } from '../windows/windowStats.js';
import { RouteQuery } from './routeQuery.js';

/** Observers of a {@link ReplayService}. */
export interface ReplayOptions {
  /** Every (route, variant) window the detectors judge (the report's charts). Must not throw. */
  readonly onEvaluated?: (stats: WindowStats) => void;
}

/** What a replay counted so far. */
export interface ReplayCounts {
  /** Events counted after their bucket had closed. */
  readonly late: number;
  /** Events rejected as too late. */
  readonly tooLate: number;
  readonly decisions: number;
}

/**
 * The offline replay use case (`promptpilot replay`, `promptpilot report`):
 * recorded events through the daemon's engine in event time, with no clock,
 * so the same input yields byte-identical decisions. The CLI reads files and
 * writes output; this service owns the engine, as the daemon's services do.
 *
 * @remarks Replay takes every series: the live cardinality limits protect a
 * daemon from its clients, not an operator from a file they chose.
 */
export class ReplayService {
  private readonly engine: PipelineEngine;

  constructor(private readonly config: Config, options: ReplayOptions = {}) {
    this.engine = new PipelineEngine(config, options.onEvaluated === undefined ? {} : { onEvaluated: options.onEvaluated });
  }

  /**
   * Feeds a batch of validated events in order; returns the decisions the
   * buckets it closed produced. `onTooLate` gets the batch index of each event
   * rejected as too late and the message saying why.
   */
  ingest(events: readonly TelemetryEvent[], onTooLate?: (index: number, message: string) => void): DecisionRecord[] {
    if (onTooLate === undefined) return this.engine.ingest(events);
    const time = this.config.time;
    return this.engine.ingest(events, { onTooLate: (index, oldestMs) => onTooLate(index, tooLateMessage(events[index]!.ts, oldestMs, time)) });
  }

  /** End of input: closes every open bucket of every route; returns the last decisions. */
  finish(): DecisionRecord[] {
    return this.engine.flush();
  }

  /** Counts so far. */
  counts(): ReplayCounts {
    const c = this.engine.counters;
    return { late: c.late, tooLate: c.tooLate, decisions: c.decisions };
  }

  /** Every experiment the replay ran, newest first. */
  experiments(): ExperimentSnapshot[] {
    return this.engine.experiments.list();
  }

  /** The route views (as `GET /v1/routes…` shows them) of the replay's state, with the judged windows in `series`. */
  routes(series: StatsSeries | null = null): RouteQuery {
    return new RouteQuery(this.engine, series);
  }
}
