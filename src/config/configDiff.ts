import type { Config } from './schema.js';

/**
 * Sections a running daemon cannot change: they shaped what was started
 * (listening socket, event-time grid, Kafka and Redis clients, simulator,
 * memory limits, telemetry exporters). A reload that changes one is refused.
 */
// monitoring and budgets: the history, forecasts, anomaly bands, spend projection and weekly trends are built
// from them when the engine starts; a reload must not report them applied while the old ones stay in force.
export const RESTART_ONLY_KEYS = ['server', 'time', 'kafka', 'redis', 'otlp', 'simulator', 'limits', 'telemetry', 'monitoring', 'budgets'] as const;
/** Keys of live sections that only a restart can change: the logger's format is chosen when it is built (its level follows a reload). */
export const RESTART_ONLY_PATHS = ['log.format'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The key paths whose values differ between two configurations, down to
 * `depth` levels (`abtest.rollback`, `routes.search`, `notify.receivers`),
 * sorted. Lists compare as a whole. Pure.
 */
export function changedPaths(before: unknown, after: unknown, depth = 2, prefix = ''): string[] {
  if (equal(before, after)) return [];
  if (depth === 0 || !isPlainObject(before) || !isPlainObject(after)) return [prefix];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) => changedPaths(before[key], after[key], depth - 1, prefix === '' ? key : `${prefix}.${key}`));
}

/** What a reload may do: apply the changes, or not, because a restart-only section changed. */
export type ReloadVerdict =
  | { readonly kind: 'apply'; readonly changed: readonly string[] }
  | { readonly kind: 'refuse'; readonly changed: readonly string[]; readonly restartOnly: readonly string[] };

/** Decides whether `next` can replace `current` in a running daemon. */
export function reloadVerdict(current: Config, next: Config): ReloadVerdict {
  const changed = changedPaths(current, next);
  const restartOnly = changed.filter((path) => (RESTART_ONLY_KEYS as readonly string[]).includes(path.split('.')[0]!) || (RESTART_ONLY_PATHS as readonly string[]).includes(path));
  return restartOnly.length > 0 ? { kind: 'refuse', changed, restartOnly } : { kind: 'apply', changed };
}
