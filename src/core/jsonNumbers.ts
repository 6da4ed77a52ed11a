/**
 * Significant digits of every non-integer number promptpilot writes as JSON:
 * decision records (replay, Kafka, decision log) and HTTP API answers alike, so
 * the same statistic reads the same everywhere and float noise (0.1 + 0.2)
 * never reaches a client. 12 digits keep every value exact to far below any
 * measurement's precision.
 */
export const JSON_SIGNIFICANT_DIGITS = 12;

/**
 * `JSON.stringify` replacer that rounds non-integer finite numbers to
 * {@link JSON_SIGNIFICANT_DIGITS} significant digits; everything else passes
 * through (non-finite numbers become `null` as JSON always does).
 */
export function roundJsonNumber(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) return Number(value.toPrecision(JSON_SIGNIFICANT_DIGITS));
  return value;
}

/** `JSON.stringify(value)` with numbers rounded by {@link roundJsonNumber}. */
export function stringifyRounded(value: unknown): string {
  return JSON.stringify(value, roundJsonNumber);
}
