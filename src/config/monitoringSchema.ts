import { z } from 'zod';
import { duration } from './duration.js';

const HistorySchema = z
  .object({
    /** How far back hourly rollups are kept per route. */
    retention: duration
      .default(28 * 86_400_000)
      .refine((ms) => ms >= 3_600_000, { message: 'expected at least 1h' })
      .describe('How far back hourly rollups (counts, sums, latency percentiles, spend by budget share) are kept per route: the depth forecasts, anomaly baselines and weekly trends read.'),
    /** Routes with long-horizon history; a new one past it evicts the route appended to least recently. */
    max_routes: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Routes with long-horizon history (about 270 KB each at 28 days); a new route past it evicts the one that received an hour least recently.'),
  })
  .strict();

/** Continuous monitoring beyond the rolling window (DESIGN §3): long-horizon history per route. */
export const MonitoringSchema = z
  .object({
    history: HistorySchema.default(() => HistorySchema.parse({})),
  })
  .strict();

/** The validated monitoring section. */
export type MonitoringConfig = z.output<typeof MonitoringSchema>;
