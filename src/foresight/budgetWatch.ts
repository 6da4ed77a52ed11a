import type { Config } from '../config/schema.js';
import type { DecisionRecord, Severity, TriggerRecord } from '../core/decision.js';
import { DAY_MS, HOUR_MS, SPEND_SHARES, type SpendShare } from './hourlyRollup.js';

/** Past days whose spend profile shapes the projection. */
const PROFILE_DAYS = 7;
/** One-sided 99 % normal quantile: the projection must clear the limit by this many relative standard errors. */
const Z_99 = 2.3263;
/** No projection while the profile says less than this share of a day's spend is usually done. */
const MIN_PROFILE_SHARE = 0.02;

type Spend = Record<SpendShare, number>;
const zero = (): Spend => ({ production: 0, testing: 0, research: 0 });

/** What a projection of the day's spend says. */
export interface SpendProjection {
  readonly spentUsd: number;
  readonly projectedUsd: number;
  /** Share of a usual day's spend done by now (the profile), in (0, 1]. */
  readonly doneShare: number;
  /** `daily_profile`: shaped by the last days' hourly spend; `linear`: no past day yet, spend assumed even over the day. */
  readonly method: 'daily_profile' | 'linear';
  readonly profileDays: number;
  /** When the limit is expected to be reached at the projected pace (epoch ms), null if not today. */
  readonly exhaustionMs: number | null;
}

/**
 * `cost_budget_daily` (DESIGN §3): the spend of each budget share per UTC day
 * against its part of `budgets.cost.daily_limit_usd`. A warning fires once a
 * day when the day's **projected** spend exceeds the share's limit — before
 * the money is spent — and a critical one when it is spent; both resolve when
 * the day ends. The warning needs evidence: the projection less 2.33
 * relative standard errors of the day's calls (1/√calls) must still exceed
 * the limit, so an early-morning estimate from a few calls does not alarm.
 * The projection divides the spend so far by the share of a
 * usual day's spend done by this time of day (the mean cumulative profile of
 * the last 7 days' hourly spend; an even spread while there is none), so a
 * morning that is always quiet does not look cheap and a busy afternoon does
 * not look like a runaway. Global over routes, evaluated whenever any route
 * closes a bucket past the newest time seen (records: route `*`).
 *
 * @remarks Candidate (experiment) spend is the `testing` share; while it is
 * used up, {@link testingExhausted} is true and experiment ramps hold.
 */
export class BudgetWatch {
  /** Spend by hour start (epoch ms), pruned to the profile window. */
  private readonly hours = new Map<number, Spend>();
  private dayMs = -Infinity;
  private nowMs = -Infinity;
  private readonly fired = new Map<string, { readonly severity: Severity; readonly share: SpendShare; readonly firedMs: number; readonly evidence: TriggerRecord['evidence']; readonly value: number; readonly threshold: number }>();
  /** Calls with a cost today, per share: the sampling noise of the projection. */
  private callsToday: Spend = zero();

  constructor(private readonly config: Config) {}

  /** One call's spend (cost after the price table, USD). */
  onSpend(ts: number, share: SpendShare, costUsd: number): void {
    if (!(costUsd > 0)) return;
    const hourMs = Math.floor(ts / HOUR_MS) * HOUR_MS;
    if (hourMs < this.nowMs - (PROFILE_DAYS + 1) * DAY_MS) return;
    let spend = this.hours.get(hourMs);
    if (spend === undefined) {
      spend = zero();
      this.hours.set(hourMs, spend);
      this.prune(hourMs);
    }
    spend[share] += costUsd;
    if (ts >= this.dayMs && ts < this.dayMs + DAY_MS) this.callsToday[share]++;
  }

  /** Whether today's testing share is spent (candidate ramps hold while it is). */
  get testingExhausted(): boolean {
    return this.fired.has('testing:critical');
  }

  /** Evaluates at event time `nowMs` (a route's closed boundary); only moves forward. */
  evaluate(nowMs: number, out: DecisionRecord[]): void {
    if (nowMs <= this.nowMs) return;
    this.nowMs = nowMs;
    const dayMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
    if (dayMs !== this.dayMs) {
      this.resolveAll(nowMs, out);
      this.dayMs = dayMs;
      this.callsToday = zero();
    }
    const budget = this.config.budgets.cost;
    for (const share of SPEND_SHARES) {
      const limitUsd = budget.daily_limit_usd * budget.allocation[share];
      if (!(limitUsd > 0) || (this.fired.has(`${share}:critical`) && this.fired.has(`${share}:warning`))) continue;
      const projection = this.project(share, nowMs, limitUsd);
      if (projection.spentUsd >= limitUsd && !this.fired.has(`${share}:critical`)) {
        out.push(this.fire(share, 'critical', projection.spentUsd, limitUsd, projection, nowMs));
      }
      if (nowMs - dayMs < budget.min_elapsed || projection.doneShare < MIN_PROFILE_SHARE) continue;
      // On evidence: even the projection's lower bound (the spend so far less z/√calls, one-sided 99 %) is over the limit.
      const lowerUsd = projection.projectedUsd * Math.max(0, 1 - Z_99 / Math.sqrt(Math.max(1, this.callsToday[share])));
      if (lowerUsd > limitUsd && !this.fired.has(`${share}:warning`)) {
        out.push(this.fire(share, 'warning', projection.projectedUsd, limitUsd, projection, nowMs));
      }
    }
  }

  /** The day's spend of a share so far and where it is heading. */
  project(share: SpendShare, nowMs: number, limitUsd: number): SpendProjection {
    const dayMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
    const spentUsd = this.spentBetween(share, dayMs, nowMs);
    const profiles: number[] = [];
    for (let k = 1; k <= PROFILE_DAYS; k++) {
      const pastDay = dayMs - k * DAY_MS;
      const total = this.spentBetween(share, pastDay, pastDay + DAY_MS);
      if (total > 0) profiles.push(pastDay);
    }
    const doneShareAt = (tMs: number): number => {
      if (profiles.length === 0) return (tMs - dayMs) / DAY_MS;
      let sum = 0;
      for (const pastDay of profiles) sum += this.spentBetween(share, pastDay, pastDay + (tMs - dayMs)) / this.spentBetween(share, pastDay, pastDay + DAY_MS);
      return sum / profiles.length;
    };
    const doneShare = Math.max(doneShareAt(nowMs), 1e-9);
    const projectedUsd = spentUsd / doneShare;
    let exhaustionMs: number | null = null;
    if (spentUsd >= limitUsd) exhaustionMs = null;
    else if (projectedUsd > limitUsd) {
      const needed = (doneShare * limitUsd) / spentUsd;
      for (let t = nowMs; exhaustionMs === null; t += HOUR_MS / 4) {
        const at = Math.min(t, dayMs + DAY_MS);
        if (doneShareAt(at) >= needed - 1e-9 || at === dayMs + DAY_MS) exhaustionMs = at;
      }
    }
    return { spentUsd, projectedUsd, doneShare, method: profiles.length === 0 ? 'linear' : 'daily_profile', profileDays: profiles.length, exhaustionMs };
  }

  /** Spend of a share in [fromMs, toMs), the hour containing `toMs` pro rata. */
  private spentBetween(share: SpendShare, fromMs: number, toMs: number): number {
    let sum = 0;
    for (let h = fromMs; h < toMs; h += HOUR_MS) {
      const spend = this.hours.get(h)?.[share] ?? 0;
      sum += h + HOUR_MS <= toMs ? spend : (spend * (toMs - h)) / HOUR_MS;
    }
    return sum;
  }

  private fire(share: SpendShare, severity: Severity, value: number, limitUsd: number, p: SpendProjection, nowMs: number): TriggerRecord {
    const budget = this.config.budgets.cost;
    const evidence: TriggerRecord['evidence'] = {
      window_ms: nowMs - this.dayMs,
      window_start: this.dayMs,
      window_end: nowMs,
      samples: this.callsToday[share],
      threshold_from: { kind: 'budget', budget: `budgets.cost.daily_limit_usd × allocation.${share}`, reference: budget.daily_limit_usd, margin_pct: 0 },
      held_ms: 0,
      share,
      spent_usd: p.spentUsd,
      projected_usd: p.projectedUsd,
      limit_usd: limitUsd,
      expected_exhaustion: severity === 'critical' ? nowMs : p.exhaustionMs,
      projection: p.method,
      profile_days: p.profileDays,
      day_share_done: p.doneShare,
    };
    this.fired.set(`${share}:${severity}`, { severity, share, firedMs: nowMs, evidence, value, threshold: limitUsd });
    return budgetTrigger(severity, value, limitUsd, 'firing', evidence, nowMs);
  }

  /** The day ended: every budget trigger of that day resolves. */
  private resolveAll(nowMs: number, out: DecisionRecord[]): void {
    for (const key of [...this.fired.keys()].sort()) {
      const f = this.fired.get(key)!;
      out.push(budgetTrigger(f.severity, f.value, f.threshold, 'resolved', { ...f.evidence, held_ms: nowMs - f.firedMs, reason: 'day_ended' }, nowMs));
    }
    this.fired.clear();
  }

  private prune(newestHourMs: number): void {
    const oldest = newestHourMs - (PROFILE_DAYS + 1) * DAY_MS;
    for (const hourMs of this.hours.keys()) if (hourMs < oldest) this.hours.delete(hourMs);
  }
}

function budgetTrigger(severity: Severity, value: number, threshold: number, state: 'firing' | 'resolved', evidence: TriggerRecord['evidence'], nowMs: number): TriggerRecord {
  return { type: 'trigger', ts: nowMs, route: '*', variant: '*', rule: 'cost_budget_daily', metric: 'daily_spend_usd', value, threshold, severity, state, evidence };
}
