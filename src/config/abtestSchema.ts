import { z } from 'zod';
import { duration } from './duration.js';

const pct = z.number().min(0).max(1000);

/** `abtest`; also the shape every `routes.<route>.abtest` override is merged into. */
export const AbTestSchema = z
  .object({
    /** Candidate traffic share steps; each step needs a healthy check before the next. */
    ramp: z.array(z.number().gt(0).max(0.5)).min(1).default([0.1, 0.25, 0.5]).describe('Candidate traffic share steps; each step needs a healthy check before the next.'),
    /** Samples per arm before moving to the next ramp step. */
    ramp_step_samples: z.number().int().positive().default(200).describe('Samples per arm before moving to the next ramp step.'),
    /** Family-wise error rate across an experiment's decisions (anytime-valid). */
    alpha: z.number().gt(0).lt(0.5).default(0.05).describe('Family-wise error rate across an experiment\'s decisions (anytime-valid).'),
    min_samples_per_arm: z.number().int().positive().default(100),
    max_duration: duration.default(86_400_000),
    /** Sample-ratio-mismatch test p-value below which every automated decision is blocked. */
    srm_p_value: z.number().gt(0).lt(0.5).default(0.001).describe('Sample-ratio-mismatch test p-value below which every automated decision is blocked.'),
    /** Relative effects smaller than this never decide on their own. */
    effect_floor_pct: pct.default(1).describe('Relative effects smaller than this never decide on their own.'),
    /** After an experiment on the route ends (promoted, rolled back, inconclusive, or a promotion rolled back by the watch), no new action on it for this long. */
    cooldown: duration
      .default(3_600_000)
      .describe('After an experiment on the route ends (promoted, rolled back, inconclusive, or a promotion rolled back by the watch after it), no new action or experiment on it for this long. The route\'s one cooldown: it replaces the `actions.cooldown` of the action that started the experiment unless that ends later. Event time.'),
    gates: z
      .object({
        response_time_regression_pct: pct.default(10),
        token_efficiency_regression_pct: pct.default(5),
        quality_degradation_pct: pct.default(2),
        cost_increase_pct: pct.default(15),
      })
      .strict()
      .default({ response_time_regression_pct: 10, token_efficiency_regression_pct: 5, quality_degradation_pct: 2, cost_increase_pct: 15 }),
    rollback: z
      .object({
        response_time_spike_pct: pct.default(50),
        error_rate_increase_points: pct.default(5),
        satisfaction_drop_pct: pct.default(10),
      })
      .strict()
      .default({ response_time_spike_pct: 50, error_rate_increase_points: 5, satisfaction_drop_pct: 10 }),
    /**
     * What a breached rollback trigger does to a running experiment: `rollback` ends it rolled back;
     * `pause` sends all traffic to the baseline and keeps the experiment open until resumed through the API;
     * `alert_only` records a `rollback_trigger_breach` trigger and lets it go on (gates still decide).
     */
    on_breach: z
      .enum(['rollback', 'pause', 'alert_only'])
      .default('rollback')
      .describe('What a breached rollback trigger does to a running experiment: `rollback` ends it rolled back; `pause` sends all traffic to the baseline until resumed through the API; `alert_only` records a `rollback_trigger_breach` trigger and lets it go on (gates still decide).'),
    /** After a promotion the route stays watched this long (event time): a rollback trigger breached against the pre-promotion baseline rolls it back. 0 = no watch. */
    watch_after_promotion: duration
      .default(3_600_000)
      .describe('After a promotion the route stays watched this long (event time): a rollback trigger breached against the pre-promotion baseline rolls the promotion back. 0 = no watch.'),
  })
  .strict();

