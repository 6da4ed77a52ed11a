/**
 * Total helpers for walking a decoded OTLP request of either encoding:
 * protobufjs messages (64-bit integers as `Long`, unset fields as prototype
 * defaults) or OTLP/JSON (64-bit integers as strings or numbers). Nothing here
 * throws on data.
 */

/** A plain record view of an object, or null when the value is not one. */
export function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

const EMPTY: readonly unknown[] = [];

/** `record[key]` when it is an array, else an empty array. */
export function listField(record: Record<string, unknown> | null, key: string): readonly unknown[] {
  if (record === null) return EMPTY;
  const value = record[key];
  return Array.isArray(value) ? value : EMPTY;
}

const TWO_32 = 4294967296;

/** A decimal int64 has at most 19 digits and a sign; longer strings are refused before any parsing. */
const MAX_INT64_CHARS = 20;
const INT64_TEXT = /^-?\d{1,20}$/;
const UINT64_TEXT = /^\d{1,20}$/;

function isLongLike(value: object): value is { low: number; high: number; unsigned?: boolean } {
  const v = value as { low?: unknown; high?: unknown };
  return typeof v.low === 'number' && typeof v.high === 'number';
}

/**
 * A 64-bit integer (`Long`, decimal string, number or bigint) as a number;
 * NaN when it is none of those. Values beyond 2^53 lose low bits, as doubles do.
 */
export function int64ToNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value.length <= MAX_INT64_CHARS && INT64_TEXT.test(value) ? Number(value) : NaN;
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object' && isLongLike(value)) {
    const high = value.unsigned === true ? value.high >>> 0 : value.high;
    return high * TWO_32 + (value.low >>> 0);
  }
  return NaN;
}

/**
 * `later − earlier` for two 64-bit nanosecond timestamps, computed exactly
 * (not via two lossy doubles) whenever the difference fits a double; NaN when
 * either value is not an integer.
 */
export function int64Difference(later: unknown, earlier: unknown): number {
  if (typeof later === 'object' && later !== null && typeof earlier === 'object' && earlier !== null && isLongLike(later) && isLongLike(earlier)) {
    const highL = later.unsigned === true ? later.high >>> 0 : later.high;
    const highE = earlier.unsigned === true ? earlier.high >>> 0 : earlier.high;
    return (highL - highE) * TWO_32 + ((later.low >>> 0) - (earlier.low >>> 0));
  }
  if (typeof later === 'string' && typeof earlier === 'string' && (later.length > 15 || earlier.length > 15)) {
    // Length-checked before BigInt: a megabyte of digits must not become a megabyte bigint.
    if (later.length > MAX_INT64_CHARS || earlier.length > MAX_INT64_CHARS) return NaN;
    if (!UINT64_TEXT.test(later) || !UINT64_TEXT.test(earlier)) return NaN;
    return Number(BigInt(later) - BigInt(earlier));
  }
  return int64ToNumber(later) - int64ToNumber(earlier);
}

/** The scalar an OTLP `AnyValue` holds, by kind. `absent` when no value field is set. */
export type Scalar =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'other'; readonly value: unknown }
  | { readonly kind: 'absent' };

const ABSENT: Scalar = { kind: 'absent' };
const hasOwn = Object.prototype.hasOwnProperty;

/** Reads an `AnyValue` (presence by own property: works for protobufjs messages and JSON alike). */
export function readAnyValue(anyValue: unknown): Scalar {
  const v = asRecord(anyValue);
  if (v === null) return ABSENT;
  if (hasOwn.call(v, 'stringValue') && typeof v['stringValue'] === 'string') return { kind: 'string', value: v['stringValue'] };
  if (hasOwn.call(v, 'intValue')) {
    const n = int64ToNumber(v['intValue']);
    return Number.isNaN(n) ? { kind: 'other', value: v['intValue'] } : { kind: 'int', value: n };
  }
  if (hasOwn.call(v, 'doubleValue')) {
    const d = v['doubleValue'];
    // OTLP/JSON may spell non-finite doubles as strings ("NaN", "Infinity").
    return typeof d === 'number' ? { kind: 'double', value: d } : { kind: 'double', value: Number(d) };
  }
  if (hasOwn.call(v, 'boolValue') && typeof v['boolValue'] === 'boolean') return { kind: 'bool', value: v['boolValue'] };
  for (const key of ['arrayValue', 'kvlistValue', 'bytesValue'] as const) {
    if (hasOwn.call(v, key)) return { kind: 'other', value: v[key] };
  }
  return ABSENT;
}

/** Coerces to a string field: any scalar prints as text; structured values pass through (validation names them). */
export function toStringField(s: Scalar): unknown {
  switch (s.kind) {
    case 'string':
      return s.value;
    case 'int':
    case 'double':
    case 'bool':
      return String(s.value);
    case 'other':
      return s.value;
    case 'absent':
      return undefined;
  }
}

/** Coerces to a number field: ints, doubles and numeric strings; anything else passes through to be rejected. */
export function toNumberField(s: Scalar): unknown {
  switch (s.kind) {
    case 'int':
    case 'double':
      return s.value;
    case 'string': {
      const text = s.value.trim();
      const n = text.length > 0 ? Number(text) : NaN;
      return Number.isFinite(n) ? n : s.value;
    }
    case 'bool':
    case 'other':
      return s.value;
    case 'absent':
      return undefined;
  }
}

/** Coerces to a boolean field: bools, `"true"`/`"false"` (any case) and 0/1; anything else passes through. */
export function toBooleanField(s: Scalar): unknown {
  switch (s.kind) {
    case 'bool':
      return s.value;
    case 'string': {
      const text = s.value.trim().toLowerCase();
      return text === 'true' ? true : text === 'false' ? false : s.value;
    }
    case 'int':
    case 'double':
      return s.value === 1 ? true : s.value === 0 ? false : s.value;
    case 'other':
      return s.value;
    case 'absent':
      return undefined;
  }
}
