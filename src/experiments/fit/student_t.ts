// Quantiles of Student's t distribution, for confidence intervals of fitted parameters.

/**
 * P(|T| < t) for T ~ Student's t with `dof` (a whole number ≥ 1) degrees of freedom, by the finite series
 * in θ = atan(t/√dof) of Abramowitz & Stegun 26.7.3–4; exact for whole dof, so no incomplete beta is needed.
 */
export function studentTCentralProbability(t: number, dof: number): number {
  const theta = Math.atan(Math.abs(t) / Math.sqrt(dof));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  if (dof % 2 === 1) {
    if (dof === 1) return (2 / Math.PI) * theta;
    let term = 1;
    let sum = 1;
    for (let k = 3; k <= dof - 2; k += 2) {
      term *= (c2 * (k - 1)) / k;
      sum += term;
    }
    return (2 / Math.PI) * (theta + s * Math.cos(theta) * sum);
  }
  let term = 1;
  let sum = 1;
  for (let k = 2; k <= dof - 2; k += 2) {
    term *= (c2 * (k - 1)) / k;
    sum += term;
  }
  return s * sum;
}

/**
 * The t with P(|T| < t) = `coverage` (0.95 gives the half-width factor of a 95% interval: 12.71 at 1
 * degree of freedom, 2.228 at 10, 1.96 in the limit). Bisection: the probability is monotone in t.
 */
export function studentTCriticalValue(coverage: number, dof: number): number {
  let lo = 0;
  let hi = 1;
  while (studentTCentralProbability(hi, dof) < coverage) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCentralProbability(mid, dof) < coverage) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
