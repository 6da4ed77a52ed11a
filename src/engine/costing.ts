import type { Config } from '../config/schema.js';
import { withCostUsd, type TelemetryEvent } from '../core/event.js';

/**
 * Cost of a call in USD: its own `costUsd`, else computed from the price table
 * by model and token counts, else undefined.
 */
export function costOf(event: TelemetryEvent, prices: Config['prices']): number | undefined {
  if (event.costUsd !== undefined) return event.costUsd;
  if (event.model === undefined || (event.inputTokens === undefined && event.outputTokens === undefined)) return undefined;
  const price = prices[event.model];
  if (price === undefined) return undefined;
  return ((event.inputTokens ?? 0) * price.input_per_mtok + (event.outputTokens ?? 0) * price.output_per_mtok) / 1_000_000;
}

/** The event with `costUsd` filled from the price table when it had none (same object otherwise). */
export function withCost(event: TelemetryEvent, prices: Config['prices']): TelemetryEvent {
  if (event.costUsd !== undefined) return event;
  const costUsd = costOf(event, prices);
  return costUsd === undefined ? event : withCostUsd(event, costUsd);
}
