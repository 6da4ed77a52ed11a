import type { TelemetryEvent, WireEvent } from '../core/event.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The inverse of `normalizeWireEvent`: a validated event back in wire format v1
 * (snake_case, DESIGN §2), so `validateEvent(toWireEvent(e))` yields `e` again.
 * `ts` stays epoch milliseconds; `error` is the error type when there is one,
 * else the boolean (omitted when false).
 */
export function toWireEvent(event: TelemetryEvent): WireEvent {
  const wire: Mutable<WireEvent> = { ts: event.ts, route: event.route, variant: event.variant, latency_ms: event.latencyMs };
  if (event.pattern !== undefined) wire.pattern = event.pattern;
  if (event.inputTokens !== undefined) wire.input_tokens = event.inputTokens;
  if (event.outputTokens !== undefined) wire.output_tokens = event.outputTokens;
  if (event.costUsd !== undefined) wire.cost_usd = event.costUsd;
  if (event.model !== undefined) wire.model = event.model;
  if (event.quality !== undefined) wire.quality = event.quality;
  if (event.correct !== undefined) wire.correct = event.correct;
  if (event.consistent !== undefined) wire.consistent = event.consistent;
  if (event.satisfaction !== undefined) wire.satisfaction = event.satisfaction;
  if (event.errorType !== undefined) wire.error = event.errorType;
  else if (event.isError) wire.error = true;
  if (event.experiment !== undefined) wire.experiment = event.experiment;
  if (event.arm !== undefined) wire.arm = event.arm;
  if (event.unit !== undefined) wire.unit = event.unit;
  if (event.tier !== undefined) wire.tier = event.tier;
  if (event.stageMs !== undefined) wire.stage_ms = { ...event.stageMs };
  return wire;
}
