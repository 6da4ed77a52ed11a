/**
 * A copy of `entries` without a prototype, for maps looked up by names that come from traffic or the API (a route,
 * a model, a tier, a stage, a variant).
 *
 * @remarks In a plain object `map['constructor']`, `map['toString']` or `map['__proto__']` is found on
 * `Object.prototype` although no such entry exists: an event with `"route":"constructor"` was taken for a configured
 * route and stopped the pipeline, and `"model":"toString"` priced a call at NaN. Writing `map['__proto__'] = x`
 * into a plain object sets its prototype instead of an entry.
 */
export function bareRecord<T>(entries: Readonly<Record<string, T>> = {}): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** `record[key]` when the record has that entry of its own (not one inherited from `Object.prototype`), else undefined. */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
