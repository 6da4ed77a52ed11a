import { z } from 'zod';
import { duration } from './duration.js';
import { httpUrl } from './httpUrl.js';
import { uniqueNames } from './uniqueNames.js';

import { DECISION_TYPES } from '../core/decision.js';
/** Severities a receiver may match on. */
export const NOTIFY_SEVERITIES = ['info', 'warning', 'critical'] as const;

const MatchSchema = z
  .object({
    /** Severities delivered; absent = all. A decision's severity: a trigger's own; `warning` for rolled-back experiments (watch rollbacks included), refused configs and pauses by a route's policy; `info` otherwise. */
    severity: z
      .array(z.enum(NOTIFY_SEVERITIES))
      .min(1)
      .optional()
      .describe("Severities delivered; absent = all. A trigger's severity is its rule's; rolled-back experiments, refused configs and pauses by a route's `abtest.on_breach: pause` are `warning`; everything else `info`."),
    /** Decision types delivered; absent = all. */
    types: z.array(z.enum(DECISION_TYPES)).min(1).optional().describe('Decision types delivered (trigger, action, experiment, policy, config, trend, gap); absent = all. A `gap` record (decisions, or alerts and sink messages, lost while Redis was unreachable) is a `warning` on every route; it is sent once Redis is back and what was held is written.'),
    /** Routes delivered, exact names or a prefix ending in `*`; absent = all. Records without a route (config) always pass this filter. */
    routes: z
      .array(z.string().min(1).max(201))
      .min(1)
      .optional()
      .describe('Routes delivered: exact names, or a prefix ending in `*` (`checkout-*`); absent = all. Records without a route (config) pass.'),
  })
  .strict();

const ReceiverSchema = z
  .object({
    /** Unique name; part of every idempotency key and outbox destination, so renaming a receiver re-delivers. */
    name: z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').describe('Unique name; part of every idempotency key, so renaming a receiver starts its deliveries afresh.'),
    /** `webhook`: signed JSON; `slack`: Slack incoming-webhook message; `alertmanager`: Alertmanager v2 API (base URL; `/api/v2/alerts` is appended). */
    type: z.enum(['webhook', 'slack', 'alertmanager']).describe('`webhook`: signed JSON POST; `slack`: Slack incoming-webhook message; `alertmanager`: base URL of Alertmanager (`/api/v2/alerts` is appended).'),
    url: httpUrl.describe('Where to POST (http:// or https://). `user:password@` in it is sent as HTTP Basic authorization (and redacted from logs).'),
    /** HMAC-SHA256 key for `Promptpilot-Signature` (webhook only); without it the header is not sent. */
    secret: z.string().min(1).optional().describe('HMAC-SHA256 key of the `Promptpilot-Signature` header (webhook only); without it the header is not sent.'),
    match: MatchSchema.default({}).describe('Which decisions this receiver gets: every listed filter must pass.'),
    /**
     * While a trigger keeps firing it is sent again this often (wall time). Alertmanager needs it
     * (an alert not re-sent is resolved after its `resolve_timeout`); default 1m there, 0 (off) elsewhere.
     */
    repeat_interval: duration
      .optional()
      .describe('A still-firing trigger is sent again this often (wall time); 0 = never. Default 1m for alertmanager (it resolves alerts not re-sent within its resolve_timeout, 5m), 0 for webhook and slack.'),
    /** At most this many messages per minute to this receiver; more wait their turn (none is dropped). 0 = no limit. */
    rate_limit_per_minute: z.number().int().nonnegative().default(60).describe('At most this many messages per minute to this receiver; more wait in the outbox for their turn (none is dropped). 0 = no limit.'),
    /** A request that has not answered after this is abandoned and retried. */
    timeout: duration.default(10_000).describe('A request that has not answered after this is abandoned and retried.'),
  })
  .strict()
  .refine((r) => r.secret === undefined || r.type === 'webhook', { message: 'secret applies to webhook receivers only', path: ['secret'] });

/** Delivery retries, shared by every receiver. */
const DeliverySchema = z
  .object({
    /** Attempts per message before it is dead-lettered (the first try included). */
    max_attempts: z.number().int().positive().default(8).describe('Attempts per message before it is dead-lettered (the first try included).'),
    /** Wait before the second attempt; doubles per attempt, with ±50 % jitter. */
    initial_backoff: duration.default(1_000).describe('Wait before the second attempt; doubles per attempt up to max_backoff, each wait jittered down by up to 50 %.'),
    max_backoff: duration.default(300_000).describe('Longest wait between two attempts (a receiver\'s `Retry-After` is honoured up to this).'),
  })
  .strict();

/** `notify`: alert receivers (DESIGN §6). */
export const NotifySchema = z
  .object({
    receivers: z
      .array(ReceiverSchema)
      .default([])
      .superRefine(uniqueNames('receiver', 'receivers'))
      .describe('Where alerts go; each receiver gets the decisions its `match` selects.'),
    delivery: DeliverySchema.default(() => DeliverySchema.parse({})),
  })
  .strict();

/** The validated `notify` section. */
export type NotifyConfig = z.output<typeof NotifySchema>;
/** One validated receiver. */
export type ReceiverConfig = NotifyConfig['receivers'][number];
/** Delivery retry settings. */
export type DeliveryConfig = NotifyConfig['delivery'];
