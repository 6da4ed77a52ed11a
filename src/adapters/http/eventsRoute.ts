import type { FastifyInstance } from 'fastify';
import { validateEvent, type EventRejection, type TelemetryEvent } from '../../core/event.js';
import type { Ingestor } from '../../ports/ports.js';

/** Decodes a /v1/events body into candidate values plus per-index parse errors. */
export function decodeEventsBody(body: string, contentType: string): { values: unknown[]; errors: EventRejection[] } | { fatal: string } {
  if (contentType.includes('ndjson') || contentType.includes('jsonl')) {
    const values: unknown[] = [];
    const errors: EventRejection[] = [];
    const lines = body.split('\n');
    let index = 0;
    for (const raw of lines) {
      const line = raw.trim();
      if (line.length === 0) continue;
      try {
        values.push(JSON.parse(line));
      } catch (err) {
        values.push(undefined);
        errors.push({ index, field: '(line)', message: `invalid JSON: ${(err as Error).message}` });
      }
      index++;
    }
    return { values, errors };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return { fatal: `body is not valid JSON: ${(err as Error).message}` };
  }
  return { values: Array.isArray(parsed) ? parsed : [parsed], errors: [] };
}

/**
 * `POST /v1/events` (DESIGN §2): one JSON object, an array, or NDJSON. Every
 * bad event is rejected with its index, field and reason; the rest are taken.
 * Answers `202 {accepted, rejected, errors}`.
 */
export async function registerEventsRoute(app: FastifyInstance, ingestor: Ingestor): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/json', 'application/x-ndjson', 'application/jsonl', 'application/ndjson'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post('/v1/events', async (request, reply) => {
      const contentType = String(request.headers['content-type'] ?? '');
      const decoded = decodeEventsBody(String(request.body ?? ''), contentType);
      if ('fatal' in decoded) return reply.code(400).send({ error: decoded.fatal });
      const errors: EventRejection[] = [...decoded.errors];
      const parseFailed = new Set(decoded.errors.map((e) => e.index));
      const events: TelemetryEvent[] = [];
      const positions: number[] = [];
      decoded.values.forEach((value, index) => {
        if (parseFailed.has(index)) return;
        const result = validateEvent(value, index);
        if (result.ok) {
          events.push(result.event);
          positions.push(index);
        } else errors.push(result.error);
      });
      const outcome = events.length > 0 ? await ingestor.submit(events) : { accepted: 0, errors: [] };
      for (const e of outcome.errors) errors.push({ ...e, index: positions[e.index] ?? e.index });
      errors.sort((a, b) => a.index - b.index);
      return reply.code(202).send({ accepted: outcome.accepted, rejected: errors.length, errors });
    });
  });
}
