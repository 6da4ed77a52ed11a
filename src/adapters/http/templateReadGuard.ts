import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteView } from '../../app/routeQuery.js';
import { tokenMatches } from './controlRoutes.js';

/**
 * GET endpoints whose answers can carry prompt templates: assignments
 * (`params.template`), experiments (`candidate_params`), a route's variants,
 * the decision log (experiment records carry the candidate's params) and the
 * outbox's dead letters (the decisions and alert bodies that were not delivered).
 */
export const TEMPLATE_READ_PATHS: readonly RegExp[] = [
  /^\/v1\/assign$/,
  /^\/v1\/experiments(?:\/[^/]+)?$/,
  /^\/v1\/routes\/[^/]+\/variants$/,
  /^\/v1\/decisions$/,
  /^\/v1\/outbox\/dead-letters$/,
];

/**
 * With `server.protect_templates`, the reads in {@link TEMPLATE_READ_PATHS}
 * need `Authorization: Bearer <server.api_token>` like the mutating endpoints:
 * prompts can be trade secrets. Without a configured token they are refused
 * (403), never open. An `onRequest` hook, so nothing is computed for a refused request.
 */
export function templateReadGuard(token: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const path = request.url.split('?')[0] ?? '';
    if (!TEMPLATE_READ_PATHS.some((re) => re.test(path))) return;
    if (token === undefined) {
      await reply.code(403).send({ error: 'server.protect_templates is on but no token is set: set server.api_token or PROMPTPILOT_API_TOKEN' });
      return;
    }
    if (!tokenMatches(token, request.headers.authorization)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token (server.protect_templates)' });
    }
  };
}

/**
 * A route view without the prompt template of its running experiment's candidate (`candidate_params.template`):
 * with `server.protect_templates`, `GET /v1/routes…` stays open (statistics, probes, the dashboard) and the
 * template is read from `GET /v1/experiments/{id}` with the token.
 */
export function withoutTemplate(view: RouteView): RouteView {
  const experiment = view.experiment;
  if (experiment === null || !('template' in experiment.candidate_params)) return view;
  const params = Object.fromEntries(Object.entries(experiment.candidate_params).filter(([key]) => key !== 'template'));
  return { ...view, experiment: { ...experiment, candidate_params: params } };
}
