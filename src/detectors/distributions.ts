/**
 * Distribution functions behind the detectors' confidence intervals: the
 * regularized incomplete beta function (binomial tails, Clopper–Pearson
 * bounds, order-statistic ranks) and the normal quantile. Pure, deterministic,
 * accurate to ~1e-12 over the ranges used (tested against closed forms and
 * exact binomial sums).
 *
 * @remarks Written from the textbook definitions (Stirling series for ln Γ,
 * the continued fraction of I_x(a, b) evaluated by the modified Lentz method,
 * series / continued fraction of the incomplete gamma for Φ) rather than taken
 * from simple-statistics, whose `probit` is off in the third digit
 * (probit(0.975) = 1.9572 vs 1.95996) — too coarse for tail bounds.
 */

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/** ln Γ(x) for x > 0 (Stirling series after shifting x to ≥ 10). */
export function lnGamma(x: number): number {
  let shift = 0;
  let y = x;
  while (y < 10) {
    shift += Math.log(y);
    y += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680))));
  return (y - 0.5) * Math.log(y) - y + LN_SQRT_2PI + series - shift;
}

function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}

/** Continued fraction of I_x(a, b) (modified Lentz); converges fast for x < (a + 1)/(a + b + 2). */
function betaFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let step = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + step * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + step / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    step = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + step * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + step / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b) = P(Beta(a, b) ≤ x), for a, b > 0. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(x > 0)) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - lnBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** The p-quantile of Beta(a, b): the x with I_x(a, b) = p (bisection to ~1e-15). */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p > 0)) return 0;
  if (p >= 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 64 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(Binomial(n, p) ≤ k), exact (via I_{1−p}(n − k, k + 1)); n a non-negative integer. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const kk = Math.floor(k);
  return regularizedBeta(1 - p, n - kk, kk + 1);
}

/** Regularized lower incomplete gamma P(a, x). */
function lowerGamma(a: number, x: number): number {
  if (!(x > 0)) return 0;
  const lnFront = a * Math.log(x) - x - lnGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n <= MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return sum * Math.exp(lnFront);
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return 1 - Math.exp(lnFront) * h;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  const half = 0.5 * lowerGamma(0.5, (z * z) / 2);
  return z >= 0 ? 0.5 + half : 0.5 - half;
}

const quantileCache = new Map<number, number>();

/** Standard normal quantile Φ⁻¹(p) for p in (0, 1) (bisection; memoized, levels are few). */
export function normalQuantile(p: number): number {
  if (!(p > 0)) return -Infinity;
  if (p >= 1) return Infinity;
  const cached = quantileCache.get(p);
  if (cached !== undefined) return cached;
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  const z = (lo + hi) / 2;
  if (quantileCache.size < 1000) quantileCache.set(p, z);
  return z;
}
