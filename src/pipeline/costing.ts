import type { Config } from '../config/schema.js';
import { withCostUsd, type TelemetryEvent } from '../core/event.js';

/**
 * Fills `costUsd` from the price table when the event has none but carries a
 * known model and token counts. Returns the same object when nothing changes.
 */
export function withCost(event: TelemetryEvent, prices: Config['prices']): TelemetryEvent {
  if (event.costUsd !== undefined || event.model === undefined) return event;
  const price = prices[event.model];
  if (price === undefined || (event.inputTokens === undefined && event.outputTokens === undefined)) return event;
  const costUsd = ((event.inputTokens ?? 0) * price.input_per_mtok + (event.outputTokens ?? 0) * price.output_per_mtok) / 1_000_000;
  return withCostUsd(event, costUsd);
}
