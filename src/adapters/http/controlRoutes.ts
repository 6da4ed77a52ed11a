import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import { POLICY_ACTIONS } from '../../core/decision.js';
import { describeError } from '../../core/errors.js';
import { EVENT_LIMITS, plainIssue, valueAt } from '../../core/event.js';
import { ALL_PATTERNS } from '../../core/patterns.js';
import type { ExperimentService } from '../../app/experimentService.js';
import type { VariantService } from '../../app/variantService.js';
import { toVariantView } from '../../variants/routeRegistry.js';
import { parseJsonText } from '../../codecs/jsonText.js';
import { HttpFailure } from './decompress.js';
import { requestBodyBytes } from './requestBody.js';
import { takesQuery } from './queryParameters.js';

/** The application services the control routes call. */
export interface ControlBackend {
  readonly experiments: ExperimentService;
  readonly variants: VariantService;
}

const VariantBody = z
  .object({
    name: z.string().min(1).max(200),
    pattern: z.enum(ALL_PATTERNS).optional(),
    template: z.string().max(200_000).optional(),
    tier: z.string().min(1).max(100).optional(),
  })
  .strict();

const SteerBody = z.object({ reason: z.string().min(1).max(1000).optional() }).strict();

/** A body's first problem as `path: plain words` (`pattern: expected one of zero_shot, … (got "x")`). */
function issueText(issue: z.core.$ZodIssue | undefined, body: unknown): string {
  if (issue === undefined) return '(body): invalid';
  const value = valueAt(body, issue.path);
  // A key left out is named as the events endpoint names it ("name: expected string, got undefined" read like a bug).
  if (issue.code === 'invalid_type' && value === undefined && issue.path.length > 0) return `${issue.path.join('.')}: required field is missing`;
  return `${issue.path.join('.') || '(body)'}: ${plainIssue(issue, value)}`;
}

/** `Bearer <token>`; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/** Compares in constant time; false for a missing header or another scheme. */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  const given = header === undefined ? '' : (BEARER.exec(header)?.[1] ?? '');
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `/v1/assign`, `/v1/experiments…`, `/v1/routes/{route}/variants`. Mutating
 * endpoints need `Authorization: Bearer <server.api_token>`; without a
 * configured token they are refused (403), never open.
 */
export function controlRoutes(config: Config, backend: ControlBackend) {
  const routes = async (app: FastifyInstance): Promise<void> => {
    // An onRequest hook: it runs before the body is read or parsed, so an unauthenticated client
    // cannot make the daemon buffer and parse up to body_limit_bytes of JSON.
    const authorize = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const token = config.server.api_token;
      if (token === undefined) {
        await reply.code(403).send({ error: 'mutating endpoints are disabled: set server.api_token or PROMPTPILOT_API_TOKEN' });
        return;
      }
      if (!tokenMatches(token, request.headers.authorization)) {
        await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token' });
      }
    };

    // Mutating endpoints take no query parameters: `POST …/freeze?reason=incident` recorded "freeze through the
    // API", dropping the reason, where a 400 now says it is not taken there.
    const mutating = { onRequest: authorize, ...takesQuery() };

    app.get<{ Querystring: { route?: string; unit?: string } }>('/v1/assign', takesQuery('route', 'unit'), async (request, reply) => {
      const { route, unit } = request.query;
      if (!route) return reply.code(400).send({ error: 'route: required query parameter' });
      if (!unit) return reply.code(400).send({ error: 'unit: required query parameter' });
      // A unit no event can carry would get an arm whose calls are all refused at ingest.
      if (unit.length > EVENT_LIMITS.maxUnitLength) return reply.code(400).send({ error: `unit: at most ${EVENT_LIMITS.maxUnitLength} characters, as on events (got ${unit.length})` });
      const assignment = backend.experiments.assign(route, unit);
      if (assignment === null) return reply.code(404).send({ error: `unknown route: ${route}` });
      return assignment;
    });

    app.get('/v1/experiments', async () => ({ experiments: backend.experiments.list() }));
    app.get<{ Params: { id: string } }>('/v1/experiments/:id', async (request, reply) => {
      const experiment = backend.experiments.get(request.params.id);
      if (experiment === null) return reply.code(404).send({ error: `unknown experiment: ${request.params.id}` });
      return experiment;
    });

    // Operator steering of a route: pause/resume its experiment, freeze/unfreeze it; each a `policy` decision record.
    for (const action of POLICY_ACTIONS) {
      app.post<{ Params: { route: string } }>(`/v1/routes/:route/${action}`, mutating, async (request, reply) => {
        const parsed = SteerBody.safeParse(request.body ?? {});
        if (!parsed.success) return reply.code(400).send({ error: issueText(parsed.error.issues[0], request.body) });
        const { route } = request.params;
        const outcome = await backend.experiments.steer(route, action, parsed.data.reason ?? `${action} through the API`);
        switch (outcome.kind) {
          case 'not_found':
            return reply.code(404).send({ error: `unknown route: ${route}` });
          case 'not_applicable':
            return reply.code(409).send({ error: outcome.error });
          case 'steered':
            return { decision: outcome.decision };
        }
      });
    }

    for (const decision of ['promote', 'rollback'] as const) {
      app.post<{ Params: { id: string } }>(`/v1/experiments/:id/${decision}`, mutating, async (request, reply) => {
        const { id } = request.params;
        const outcome = await backend.experiments.decide(id, decision);
        switch (outcome.kind) {
          case 'not_found':
            return reply.code(404).send({ error: `unknown experiment: ${id}` });
          case 'not_running':
            return reply.code(409).send({ error: `experiment ${id} is already ${outcome.status}` });
          case 'decided':
            return { experiment: outcome.experiment, decisions: outcome.decisions };
        }
      });
    }

    app.get<{ Params: { route: string } }>('/v1/routes/:route/variants', async (request, reply) => {
      const variants = backend.variants.variants(request.params.route);
      if (variants === null) return reply.code(404).send({ error: `unknown route: ${request.params.route}` });
      return { route: request.params.route, variants: variants.map(toVariantView) };
    });

    app.post<{ Params: { route: string } }>('/v1/routes/:route/variants', mutating, async (request, reply) => {
      const parsed = VariantBody.safeParse(request.body);
      if (!parsed.success) {
        return reply.code(400).send({ error: issueText(parsed.error.issues[0], request.body) });
      }
      const problem = backend.variants.problem(parsed.data);
      if (problem !== null) return reply.code(400).send({ error: problem });
      const outcome = await backend.variants.register(request.params.route, parsed.data);
      if (outcome.kind === 'compared') {
        const { experiment, arm, watch } = outcome;
        const state = watch ? 'promoted and under its watch after promotion' : 'running';
        return reply.code(409).send({
          error: `variant ${parsed.data.name} is the ${arm} of experiment ${experiment} (${state}); replacing it would change that arm in the middle of the comparison: register the change under another name`,
          experiment,
        });
      }
      return reply.code(201).send(outcome.variant === null ? null : toVariantView(outcome.variant));
    });
  };
  // In a scope of their own: their JSON parser takes an empty body (the bodies here are optional) and undoes a
  // Content-Encoding as ingest does — a gzip body was parsed as the bytes it was sent as. JSON is the only type
  // they read: Fastify's text/plain parser handed a handler a string (400 "(body): expected object, got string",
  // or taken unread by promote) past that decoding and the charset check. Another type is 415 naming
  // application/json, except with an empty body, which is no body (some clients label an empty body text/plain).
  const limitBytes = config.server.body_limit_bytes;
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer) => parseOptionalJson(await decodedBody(request, body, limitBytes)));
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer) => {
        if ((await decodedBody(request, body, limitBytes)) === '') return undefined;
        throw Object.assign(new Error('unsupported media type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
      });
      await routes(scope);
    });
  };
}

/** The body read as ingest reads one (charset checked, `Content-Encoding` undone); the refusals are errors Fastify answers with their status. */
async function decodedBody(request: FastifyRequest, body: Buffer, limitBytes: number): Promise<string> {
  try {
    return (await requestBodyBytes(request.headers, body, limitBytes)).toString('utf8');
  } catch (err) {
    if (err instanceof HttpFailure) throw Object.assign(new Error(err.message), { statusCode: err.status });
    throw err;
  }
}

/**
 * `application/json` where the body is optional (steering's `{"reason"}`, none
 * for promote/rollback): an empty body is no body, as without the header —
 * clients that always send `Content-Type: application/json` are not refused.
 */
function parseOptionalJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseJsonText(text);
  } catch (err) {
    throw Object.assign(new Error(`body is not valid JSON: ${describeError(err)}`), { statusCode: 400 });
  }
}
