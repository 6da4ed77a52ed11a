import { z } from 'zod';
import { ALL_PATTERNS, type Pattern } from '../core/patterns.js';
import { METRICS } from '../core/decision.js';
import { PoisonMessageError } from '../core/errors.js';
import type { RouteDetectorState } from '../detectors/index.js';
import { RuleStateSchema } from '../detectors/ruleStateSchema.js';
import { decodeForesightState, encodeForesightState, type ForesightRouteState } from '../foresight/foresightCheckpoint.js';
import type { RollingWindowState } from '../windows/rollingWindow.js';

/**
 * Version of the route checkpoint format. A reader takes every version up to
 * its own and refuses a newer one (the route then starts cold, logged).
 * History: 1 — the first format; 2 — the detector's `planner` (the route's
 * last action, for its cooldown) is gone: the route's one cooldown is in its
 * control state. A version-1 checkpoint's planner is still read. 3 — without
 * `watch` (the watch after promotion is part of the route's control state,
 * stored apart); in a version 1 or 2 checkpoint it is ignored.
 */
export const ROUTE_CHECKPOINT_VERSION = 3;

/** The planner state a version-1 checkpoint carries: the route's last action, event time (epoch ms). */
export interface LegacyPlannerState {
  readonly lastActionMs: number | null;
  readonly lastActionId: string | null;
}

/** The event-time grid a checkpoint was taken on; a restore needs the same grid. */
export interface CheckpointGrid {
  readonly bucketMs: number;
  readonly windowMs: number;
  readonly latenessMs: number;
}

/** One (route, variant) in a checkpoint: its rolling window and what the engine knows of it. */
export interface VariantCheckpoint {
  readonly variant: string;
  readonly pattern: Pattern | null;
  /** Events taken, counted up to the probation threshold only. */
  readonly events: number;
  readonly window: RollingWindowState;
}

/**
 * A route's engine state as plain JSON: everything its future decisions
 * depend on that is not in the durable control state (registry, experiments
 * with their arm statistics, the cooldown — those are stored per route already).
 *
 * @remarks Compact: window buckets hold latency sketches (bin counts), not
 * events, so the size is bounded by buckets × bins whatever the traffic.
 */
export interface RouteCheckpoint {
  /** Format version: 1 or 2 as read from an older daemon's checkpoint, {@link ROUTE_CHECKPOINT_VERSION} as written. */
  readonly v: 1 | 2 | typeof ROUTE_CHECKPOINT_VERSION;
  readonly route: string;
  readonly grid: CheckpointGrid;
  /** The route's watermark and evaluation boundary, epoch ms event time. */
  readonly watermarkMs: number;
  readonly boundaryMs: number;
  /** Newest event time added to a window. */
  readonly lastDataMs: number;
  readonly lateEvents: number;
  readonly tooLateEvents: number;
  /** Variants sorted by name. */
  readonly variants: readonly VariantCheckpoint[];
  /** Rule states and baselines; `planner` only in version-1 checkpoints (read, never written). */
  readonly detector: (RouteDetectorState & { readonly planner?: LegacyPlannerState | null }) | null;
  /** Continuous-monitoring state (open foresight episodes, weekly trend in progress, unsealed hours); absent in checkpoints written before it was kept. */
  readonly foresight?: ForesightRouteState;
}

/**
 * Event time up to which a checkpoint counted the route's events: the newest
 * event time it took (an event dated ahead of the wall clock included). After
 * a restore, events at or before it are refused as already counted.
 *
 * @remarks Not the watermark: while a route has no traffic its watermark
 * follows the wall clock, past every event it counted, and an event dated in
 * between that reaches the next owner (held during a takeover, sent late) was
 * never counted here.
 */
export function countedThroughMs(checkpoint: Pick<RouteCheckpoint, 'lastDataMs'>): number {
  return checkpoint.lastDataMs;
}

/**
 * The checkpoint as JSON text (what the state store keeps). Deterministic: the same state gives the same text.
 * The only numbers that may be infinite, a detection's unbounded interval sides, are written as JSON `null`
 * (as in decision records) and read back as −Infinity (lower) and +Infinity (upper).
 */
export function encodeRouteCheckpoint(checkpoint: RouteCheckpoint): string {
  if (checkpoint.foresight === undefined) return JSON.stringify(checkpoint);
  return JSON.stringify({ ...checkpoint, foresight: encodeForesightState(checkpoint.foresight) });
}

/**
 * Reads a checkpoint written by {@link encodeRouteCheckpoint} for `route` on
 * `grid`. Throws a PoisonMessageError naming the first problem (not JSON, a
 * newer version, another route, another event-time grid, a field of the wrong
 * shape); window contents are checked when they are restored.
 */
export function decodeRouteCheckpoint(text: string, route: string, grid: CheckpointGrid): RouteCheckpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PoisonMessageError(`checkpoint of route ${route}: not JSON (${(err as Error).message})`);
  }
  const version = (raw as { v?: unknown } | null)?.v;
  if (typeof version === 'number' && version > ROUTE_CHECKPOINT_VERSION) {
    throw new PoisonMessageError(`checkpoint of route ${route}: format version ${version} is newer than this daemon's ${ROUTE_CHECKPOINT_VERSION}`);
  }
  const parsed = CheckpointSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PoisonMessageError(`checkpoint of route ${route}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  let checkpoint = parsed.data as unknown as RouteCheckpoint;
  if (checkpoint.foresight !== undefined) {
    try {
      checkpoint = { ...checkpoint, foresight: decodeForesightState(checkpoint.foresight) };
    } catch (err) {
      throw new PoisonMessageError(`checkpoint of route ${route}: ${(err as Error).message}`);
    }
  }
  if (checkpoint.route !== route) throw new PoisonMessageError(`checkpoint of route ${route}: it is route ${checkpoint.route}'s`);
  const g = checkpoint.grid;
  if (g.bucketMs !== grid.bucketMs || g.windowMs !== grid.windowMs || g.latenessMs !== grid.latenessMs) {
    throw new PoisonMessageError(
      `checkpoint of route ${route}: taken with time.bucket ${g.bucketMs} ms, time.window ${g.windowMs} ms, time.allowed_lateness ${g.latenessMs} ms; ` +
        `this daemon runs ${grid.bucketMs}/${grid.windowMs}/${grid.latenessMs} ms`,
    );
  }
  return checkpoint;
}

const finite = z.number().finite();
/** Bucket contents (thousands of numbers) are checked by `RollingWindow.restoreState` itself, in plain loops. */
const windowState = z.looseObject({ boundaryMs: finite.nullable(), expiredSinceRebuild: finite.min(0), total: z.array(z.unknown()), closed: z.array(z.unknown()), open: z.array(z.unknown()) });
const baseline = z.object({ mean: finite, weight: finite, samples: finite, lastWindowEndMs: finite });
const detection = z.looseObject({
  route: z.string(), variant: z.string(), rule: z.string(), metric: z.enum(METRICS), op: z.enum(['gt', 'lt']),
  value: finite, threshold: finite, thresholdFrom: z.looseObject({ kind: z.string() }), breached: z.boolean(), clear: z.boolean(),
  lower: finite.nullable().transform((v) => v ?? -Infinity), upper: finite.nullable().transform((v) => v ?? Infinity), confidence: finite, method: z.string(), samples: finite, windowStartMs: finite, windowEndMs: finite,
});
const variantDetector = z.object({
  rules: z.array(z.tuple([z.string(), RuleStateSchema])),
  baselines: z.array(z.tuple([z.enum(METRICS), baseline])),
  lastDetections: z.array(z.tuple([z.string(), detection])),
});
const CheckpointSchema = z.object({
  // Versions 1 and 2 also carried `watch`: an unknown key to this schema, dropped when parsed.
  v: z.union([z.literal(1), z.literal(2), z.literal(ROUTE_CHECKPOINT_VERSION)]),
  route: z.string(),
  grid: z.object({ bucketMs: finite, windowMs: finite, latenessMs: finite }),
  watermarkMs: finite,
  boundaryMs: finite,
  lastDataMs: finite,
  lateEvents: finite.min(0),
  tooLateEvents: finite.min(0),
  variants: z.array(z.object({ variant: z.string().min(1), pattern: z.enum(ALL_PATTERNS).nullable(), events: finite.min(0), window: windowState })),
  detector: z
    .object({
      variants: z.array(z.tuple([z.string(), variantDetector])),
      planner: z.object({ lastActionMs: finite.nullable(), lastActionId: z.string().nullable() }).nullable().optional(),
    })
    .nullable(),
  /** Checked by `decodeForesightState`. */
  foresight: z.unknown().optional(),
});
