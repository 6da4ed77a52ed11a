import type { FastifyReply, FastifyRequest } from 'fastify';
import { clipped } from './decompress.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The query parameters the route takes (see {@link takesQuery}); absent: its query is not checked for names. */
    queryParameters?: readonly string[];
  }
}

/**
 * The route option of an endpoint that takes exactly these query parameters (none: `takesQuery()`): any other
 * name is refused (400) by {@link checkQuery}. `app.get(path, takesQuery('route', 'unit'), handler)`.
 */
export function takesQuery(...names: string[]): { config: { queryParameters: readonly string[] } } {
  return { config: { queryParameters: names } };
}

/**
 * A `preValidation` hook for every route: each query parameter takes one value (`?unit=a&unit=b` reached a
 * handler as an array where it reads a string), and a route declared with {@link takesQuery} takes no name it did
 * not declare (`/v1/decisions?rout=x`, a typo, answered every decision). Answers 400 naming the parameter, and for
 * an unknown one the parameters the endpoint takes (also as `accepted`).
 *
 * @remarks A loop over the (usually empty) query; nothing is built on the ingest path.
 */
export async function checkQuery(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const query = request.query as Record<string, unknown>;
  const accepted = request.routeOptions.config.queryParameters;
  for (const name in query) {
    if (accepted !== undefined && !accepted.includes(name)) {
      const path = request.url.split('?')[0] ?? '';
      const takes = accepted.length === 0 ? 'no query parameters' : accepted.join(', ');
      return reply.code(400).send({ error: `unknown query parameter '${clipped(name)}': ${request.method} ${path} takes ${takes}`, accepted });
    }
    if (Array.isArray(query[name])) return reply.code(400).send({ error: `${name}: query parameter given more than once; it takes one value` });
  }
}
