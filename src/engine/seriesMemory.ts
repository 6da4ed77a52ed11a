import type { Config } from '../config/schema.js';

/**
 * Resident bytes of one (route, variant) series apart from its window's
 * buckets: route and variant state, window total, detector and baseline
 * state, the open hour's rollup (measured: ~6 KB with one event).
 */
export const SERIES_BASE_BYTES = 8 * 1024;

/**
 * Resident bytes of one full window bucket of a busy series: its slot in the
 * engine's bucket slab (sums and up to 4 latency bins, 280 bytes outside the
 * V8 heap), the dense quantile sketch it spills into past 4 bins (a
 * `Float64Array` of 64–128 bins for latencies spread over a factor of 10)
 * and the allocator's overhead.
 *
 * @remarks Measured with the default time settings (34 buckets a series):
 * 4,000 series with full windows took 79–93 KB of RSS each after a full GC
 * with 10–50 calls per 10-s bucket, 30–31 KB with 2 (inline bins, no dense
 * sketch) (docs/reliability.md, "Memory per series"). Admission counts every
 * series as a busy one: the bound must hold whatever the traffic does later.
 */
export const BUCKET_BYTES = 2_304;

/**
 * What the process holds besides its series: Node, the libraries, HTTP and
 * self-telemetry (~120 MB of RSS at start, measured), request bodies in
 * flight, the decision log and garbage not yet collected.
 */
export const PROCESS_RESERVE_BYTES = 160 * 1024 * 1024;

/** Heap bytes one in-memory history entry takes (measured 380–480). */
export const HISTORY_ENTRY_BYTES = 480;

/** Buckets one series holds once its window is full: the window's plus those still open for late events. */
export function bucketsPerSeries(time: Config['time']): number {
  return time.window / time.bucket + Math.ceil(time.allowed_lateness / time.bucket) + 1;
}

/** Estimated resident bytes of one series once its window is full (every bucket holding calls). */
export function fullSeriesBytes(time: Config['time']): number {
  return SERIES_BASE_BYTES + bucketsPerSeries(time) * BUCKET_BYTES;
}

/**
 * How many series fit `limits.memory_budget_bytes` with full windows: the
 * budget less the process's own reserve and the history's entry cap, over
 * {@link fullSeriesBytes}. Never above `limits.max_series`; 0 when the reserve
 * alone exceeds the budget (then only routes declared in the config get in).
 *
 * @remarks A new series costs ~6 KB and grows to ~80 KB as its window fills,
 * so admitting by the memory in use now lets 20,000 busy series past any
 * budget (1.4 GB of RSS at a 768 MiB budget, measured). Counting every live
 * series at its full size is the bound that holds whatever the traffic does
 * later; a quiet series costs less, so real use stays below the budget.
 */
export function seriesCapacity(config: Pick<Config, 'time' | 'limits' | 'monitoring'>): number {
  const historyBytes = config.monitoring.history.max_entries * HISTORY_ENTRY_BYTES;
  const room = config.limits.memory_budget_bytes - PROCESS_RESERVE_BYTES - historyBytes;
  return Math.max(0, Math.min(config.limits.max_series, Math.floor(room / fullSeriesBytes(config.time))));
}

const MIB = 2 ** 20;

/**
 * What the memory budget admits, in one sentence for the start-up log. When it
 * admits fewer than `few` series (and `limits.max_series` is not what holds it
 * down) it also says why — the process reserve and the history cap come off the
 * budget first — and the budget that would hold `few`: "admits 0 series" alone
 * left a user with a 100 MB budget guessing.
 */
export function describeSeriesCapacity(config: Pick<Config, 'time' | 'limits' | 'monitoring'>, few = 100): string {
  const capacity = seriesCapacity(config);
  const seriesBytes = fullSeriesBytes(config.time);
  const head = `memory budget admits ${capacity} series with full windows (about ${Math.round(seriesBytes / 1024)} KB each)`;
  if (capacity >= few || capacity >= config.limits.max_series) return head;
  const historyBytes = config.monitoring.history.max_entries * HISTORY_ENTRY_BYTES;
  const needed = PROCESS_RESERVE_BYTES + historyBytes + few * seriesBytes;
  return (
    `${head}: limits.memory_budget_bytes (${Math.round(config.limits.memory_budget_bytes / MIB)} MiB) less the process's reserve ` +
    `(${PROCESS_RESERVE_BYTES / MIB} MiB) and the history cap (${Math.round(historyBytes / MIB)} MiB, monitoring.history.max_entries × ${HISTORY_ENTRY_BYTES} B); ` +
    `${few} series need ${Math.ceil(needed / MIB)} MiB. Routes declared under routes: are admitted regardless`
  );
}
