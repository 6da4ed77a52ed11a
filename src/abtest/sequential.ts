/**
 * Anytime-valid inference: the normal-mixture confidence sequence (Robbins;
 * Howard et al. 2021, "Time-uniform, nonparametric, nonasymptotic confidence
 * sequences"; Waudby-Smith et al. 2021, "Time-uniform central limit theory")
 * and its e-value, the mixture SPRT of Johari et al. 2017.
 *
 * @remarks For an asymptotically normal estimate θ̂ with variance v (shrinking
 * as data arrive), mixing the likelihood ratio exp(λθ̂/v − λ²/(2v)) over
 * λ ~ N(0, τ²) gives a nonnegative martingale under θ = 0:
 * Λ = sqrt(v/(v+τ²)) · exp(τ²θ̂² / (2v(v+τ²))). By Ville's inequality
 * P(∃t: Λ_t ≥ 1/α) ≤ α, so 1/Λ_t is a p-value valid at every look at once,
 * and inverting the test gives the confidence sequence
 * θ̂ ± sqrt(v(v+τ²)/τ² · ln((v+τ²)/(v α²))), which covers θ at all times
 * simultaneously with probability ≥ 1 − α. τ is where the boundary is
 * tightest: we set it to the effect size the metric's decision cares about.
 */

/** Complementary error function, |relative error| < 1.2e-7 (Numerical Recipes `erfcc`). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Two-sided fixed-sample p-value of a standard normal statistic `z` (NOT peeking-safe; for comparison only). */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/** Upper-tail p-value of a chi-square statistic with one degree of freedom. */
export function chiSquare1P(statistic: number): number {
  if (!(statistic > 0)) return 1;
  return Math.min(1, erfc(Math.sqrt(statistic / 2)));
}

/**
 * Half-width of the two-sided normal-mixture confidence sequence at level
 * `alpha` for an estimate with variance `variance` and mixing scale `tau`
 * (same units as the estimate). Infinite when the variance is unknown.
 */
export function mixtureHalfWidth(variance: number, tau: number, alpha: number): number {
  if (!(variance > 0) || !Number.isFinite(variance)) return variance === 0 ? 0 : Infinity;
  const t2 = tau * tau;
  return Math.sqrt(((variance * (variance + t2)) / t2) * Math.log((variance + t2) / (variance * alpha * alpha)));
}

/**
 * Mixture-SPRT e-value against θ = 0 for estimate `estimate` with variance
 * `variance`; its reciprocal (capped at 1) is an anytime-valid p-value.
 */
export function mixtureEValue(estimate: number, variance: number, tau: number): number {
  if (!(variance > 0) || !Number.isFinite(variance)) return 1;
  const t2 = tau * tau;
  const exponent = (t2 * estimate * estimate) / (2 * variance * (variance + t2));
  return Math.sqrt(variance / (variance + t2)) * Math.exp(Math.min(exponent, 700));
}

/** An anytime-valid interval for one parameter, with its e-value against "no difference". */
export interface SequentialInterval {
  readonly estimate: number;
  readonly lo: number;
  readonly hi: number;
  /** Anytime-valid p-value: min(1, 1/e). */
  readonly p: number;
  readonly e: number;
}

/** Confidence sequence and e-value for an asymptotically normal estimate. */
export function mixtureInterval(estimate: number, variance: number, tau: number, alpha: number): SequentialInterval {
  const half = mixtureHalfWidth(variance, tau, alpha);
  const e = mixtureEValue(estimate, variance, tau);
  return { estimate, lo: estimate - half, hi: estimate + half, p: Math.min(1, 1 / e), e };
}

/** Standard normal quantile: the z with P(Z ≤ z) = `p`, by bisection on {@link erfc} (|error| < 1e-6 in z, the accuracy of erfc). */
export function normalQuantile(p: number): number {
  if (!(p > 0)) return -Infinity;
  if (!(p < 1)) return Infinity;
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (erfc(-mid / Math.SQRT2) / 2 < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Fixed-horizon (classical Wald) interval θ̂ ± z₁₋α/₂·√v and its two-sided
 * p-value. Valid only when the sample size was fixed in advance and the data
 * are looked at once — the pre-deployment gate on two complete runs; the live
 * tester, which looks after every batch, uses {@link mixtureInterval}. `tau`
 * is ignored (same signature as the mixture interval).
 */
export function fixedHorizonInterval(estimate: number, variance: number, _tau: number, alpha: number): SequentialInterval {
  if (!(variance > 0) || !Number.isFinite(variance)) {
    const exact = variance === 0;
    return { estimate, lo: exact ? estimate : -Infinity, hi: exact ? estimate : Infinity, p: exact ? (estimate === 0 ? 1 : 0) : 1, e: 1 };
  }
  const sd = Math.sqrt(variance);
  const half = normalQuantile(1 - alpha / 2) * sd;
  const p = normalTwoSidedP(estimate / sd);
  return { estimate, lo: estimate - half, hi: estimate + half, p, e: 1 / Math.max(p, 1e-300) };
}

/** How an interval is computed: anytime-valid (live experiments, continuous looks) or fixed-horizon (one look at complete runs). */
export const INTERVAL_KINDS = ['anytime_valid', 'fixed_horizon'] as const;
export type IntervalKind = (typeof INTERVAL_KINDS)[number];

/** An interval function of either kind: `(estimate, variance, tau, alpha)`. */
export type IntervalFn = (estimate: number, variance: number, tau: number, alpha: number) => SequentialInterval;

/** The interval function of a kind. */
export function intervalFunction(kind: IntervalKind): IntervalFn {
  return kind === 'fixed_horizon' ? fixedHorizonInterval : mixtureInterval;
}
