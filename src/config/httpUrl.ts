import { z } from 'zod';

/**
 * An http:// or https:// URL: what the daemon POSTs to (receivers, OTLP export). Any other scheme (ftp:,
 * mailto:, a typo such as htp:) was valid config and failed every delivery until it was dead-lettered.
 */
export const httpUrl = z.url({
  protocol: /^https?$/,
  // A string that is no such URL; anything else (a missing key, a number) keeps zod's own wording.
  error: (issue) => (typeof issue.input === 'string' ? `expected an http:// or https:// URL (got ${JSON.stringify(issue.input)})` : undefined),
});
