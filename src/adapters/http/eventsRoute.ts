import type { FastifyInstance } from 'fastify';
import { validateEvent, type EventRejection, type TelemetryEvent } from '../../core/event.js';
import type { Ingestor } from '../../ports/ports.js';
import { noopIngestRecorder, type IngestRecorder } from '../../telemetry/ingestRecorder.js';
import { HttpFailure } from './decompress.js';
import { requestBodyBytes } from './requestBody.js';
import { parseJsonText } from '../../codecs/jsonText.js';

/**
 * Decodes a /v1/events body into candidate values plus per-index parse errors: NDJSON for an NDJSON/JSON Lines
 * Content-Type (in any case: media types are case-insensitive, RFC 9110 §8.3.1), one JSON value otherwise.
 */
export function decodeEventsBody(body: string, contentType: string): { values: unknown[]; errors: EventRejection[] } | { fatal: string } {
  const type = contentType.toLowerCase();
  if (type.includes('ndjson') || type.includes('jsonl')) {
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
    parsed = parseJsonText(body);
  } catch (err) {
    return { fatal: `body is not valid JSON: ${(err as Error).message}` };
  }
  return { values: Array.isArray(parsed) ? parsed : [parsed], errors: [] };
}

/**
 * `POST /v1/events` (DESIGN §2): one JSON object, an array, or NDJSON. Every
 * bad event is rejected with its index, field and reason; the rest are taken.
 * Answers `202 {accepted, rejected, errors}`. A gzip or deflate
 * `Content-Encoding` (or a list of codings) is decoded under `bodyLimitBytes`
 * (413 past it, 415 for another coding); a charset other than UTF-8 is 415. The same outcome goes to `recorder` (self-telemetry).
 */
export async function registerEventsRoute(app: FastifyInstance, ingestor: Ingestor, bodyLimitBytes: number, recorder: IngestRecorder = noopIngestRecorder): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/json', 'application/x-ndjson', 'application/jsonl', 'application/ndjson'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post('/v1/events', async (request, reply) => {
      const contentType = String(request.headers['content-type'] ?? '');
      let text: string;
      try {
        // gzip/deflate bodies inflate under the same cap as plain ones (a 16 KB bomb never becomes 16 GB).
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        text = (await requestBodyBytes(request.headers, raw, bodyLimitBytes)).toString('utf8');
      } catch (err) {
        if (err instanceof HttpFailure) return reply.code(err.status).send({ error: err.message });
        throw err;
      }
      const decoded = decodeEventsBody(text, contentType);
      if ('fatal' in decoded) {
        recorder.record('http', 0, [{ index: 0, field: '(body)', message: decoded.fatal }]);
        return reply.code(400).send({ error: decoded.fatal });
      }
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
      recorder.record('http', outcome.accepted, errors);
      return reply.code(202).send({ accepted: outcome.accepted, rejected: errors.length, errors });
    });
  });
}
