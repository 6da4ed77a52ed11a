import type { ReceiverConfig } from '../config/notifySchema.js';
import { routeOf, severityOf, type NotifiableRecord } from './notifiable.js';

function routeMatches(patterns: readonly string[], route: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? route.startsWith(p.slice(0, -1)) : p === route));
}

/**
 * Whether `receiver` wants `record`: every filter it sets (severity, types,
 * routes) passes; a filter it leaves out passes everything. Records without a
 * route (config) pass the route filter.
 */
export function receiverMatches(receiver: Pick<ReceiverConfig, 'match'>, record: NotifiableRecord): boolean {
  const { severity, types, routes } = receiver.match;
  if (severity !== undefined && !severity.includes(severityOf(record))) return false;
  if (types !== undefined && !(types as readonly string[]).includes(record.type)) return false;
  const route = routeOf(record);
  if (routes !== undefined && route !== null && !routeMatches(routes, route)) return false;
  return true;
}
