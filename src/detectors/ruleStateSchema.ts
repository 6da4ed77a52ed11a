import { z } from 'zod';
import type { RuleState } from './ruleState.js';

const finite = z.number().finite();

/** A {@link RuleState} as stored in a checkpoint, checked on the way back in. */
export const RuleStateSchema: z.ZodType<RuleState> = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('inactive') }),
  z.object({ phase: z.literal('pending'), sinceMs: finite, lastSeenMs: finite }),
  z.object({ phase: z.literal('firing'), episodeStartMs: finite, firedMs: finite, clearSinceMs: finite.nullable(), lastSeenMs: finite }),
]);
