import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses `'250ms' | '30s' | '5m' | '2h' | '7d'` into milliseconds; null if malformed. */
export function parseDurationMs(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const unit = match[2] as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/** Formats milliseconds as the shortest exact duration string (`90000` → `'90s'`). */
export function formatDurationMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A duration in config: a string like `'30s'` or a whole number of
 * milliseconds ≥ 0; parses to ms. Errors say what is wrong in plain words
 * (a negative duration, an unknown unit).
 */
export const duration = z
  .union([z.number(), z.string()], { error: "expected a duration like '30s', '5m', '2h' or milliseconds" })
  .transform((value, ctx) => {
    if (typeof value === 'number') {
      if (value < 0) ctx.addIssue({ code: 'custom', message: `durations cannot be negative (got ${value})` });
      else if (!Number.isInteger(value)) ctx.addIssue({ code: 'custom', message: `expected whole milliseconds or a string like '30s' (got ${value})` });
      else return value;
      return z.NEVER;
    }
    const ms = parseDurationMs(value);
    if (ms !== null) return ms;
    const negative = value.trim().startsWith('-');
    ctx.addIssue({ code: 'custom', message: negative ? `durations cannot be negative (got '${value}')` : `expected a duration like '30s', '5m', '2h' (got '${value}')` });
    return z.NEVER;
  });
