import { describe, expect, it } from 'vitest';
import { rejectionReason } from '../../src/telemetry/ingestRecorder.js';
import { tooLateMessage } from '../../src/engine/tooLate.js';
import { futureSkewFilter } from '../../src/app/ingestService.js';
import { validateEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { ConfigSchema } from '../../src/config/schema.js';

describe('rejectionReason', () => {
  it('classifies the rejections the pipeline stages actually produce', () => {
    const invalid = validateEvent({ ts: 1, route: 'r', variant: 'v', latency_ms: -1 }, 0);
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(rejectionReason(invalid.error)).toBe('schema');
    const skew = futureSkewFilter([{ ts: 10_000_000, route: 'r', variant: 'v', latencyMs: 1, isError: false } as never], 0, 1000);
    expect(rejectionReason(skew.errors[0]!)).toBe('future_skew');
    const engine = new PipelineEngine(ConfigSchema.parse({ limits: { max_routes: 1, max_variants_per_route: 1, probation_events: 0 } }));
    engine.ingest([validated({ ts: 0, route: 'a', variant: 'v', latency_ms: 1 })]);
    const pending = { newRoutes: 0, variants: new Map<string, Set<string>>() };
    expect(rejectionReason({ index: 0, ...engine.cardinalityProblem('b', 'v', pending)! })).toBe('route_limit');
    expect(rejectionReason({ index: 0, ...engine.cardinalityProblem('a', 'w', pending)! })).toBe('variant_limit');
  });

  it('table: structural, late and field-level rejections', () => {
    const cases: [string, string, string][] = [
      ['(line)', 'invalid JSON: Unexpected token', 'malformed'],
      ['(body)', 'body is not valid JSON: x', 'malformed'],
      ['(message)', 'invalid protobuf ExportTraceServiceRequest: index out of range', 'malformed'],
      ['ts', tooLateMessage(0, 60_000, { window: 300_000, max_lateness: 3_600_000, allowed_lateness: 30_000 }), 'too_late'],
      ['ts', 'expected epoch ms or an RFC 3339 time', 'schema'],
      ['route', 'expected a string of 1-200 characters', 'schema'],
    ];
    for (const [field, message, reason] of cases) expect(rejectionReason({ index: 0, field, message })).toBe(reason);
  });
});

function validated(value: unknown) {
  const result = validateEvent(value, 0);
  if (!result.ok) throw new Error(result.error.message);
  return result.event;
}
