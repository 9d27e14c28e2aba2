// Solves and inverts the small symmetric positive definite systems of least-squares fits (normal equations
// with a handful of parameters), in float64 on plain arrays.

/** A dense square matrix as an array of rows. */
export type Matrix = number[][];

/**
 * A pivot of the unit-diagonal matrix below this counts as zero: the system's condition number is past
 * about 1e13, so its solution has fewer than three significant digits left and the parameters are not
 * determined by the data.
 */
const MIN_PIVOT = 1e-13;

/**
 * The Cholesky factor of S·A·S where S = diag(1/sqrt(A_ii)). Scaling to a unit diagonal first makes the
 * singularity test independent of the parameters' units (a constant near 0.07 and an exponent near 0.3 sit
 * in one system). Undefined when A is not positive definite to working precision.
 */
function scaledCholesky(a: Matrix): { factor: Matrix; scale: number[] } | undefined {
  const n = a.length;
  const scale = a.map((row, i) => 1 / Math.sqrt(row[i]!));
  if (!scale.every(Number.isFinite)) return undefined;
  const factor: Matrix = a.map(() => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let pivot = a[j]![j]! * scale[j]! * scale[j]!;
    for (let k = 0; k < j; k++) pivot -= factor[j]![k]! ** 2;
    if (!(pivot > MIN_PIVOT)) return undefined;
    const d = Math.sqrt(pivot);
    factor[j]![j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = a[i]![j]! * scale[i]! * scale[j]!;
      for (let k = 0; k < j; k++) s -= factor[i]![k]! * factor[j]![k]!;
      factor[i]![j] = s / d;
    }
  }
  return { factor, scale };
}

/** Solves L·Lᵀ·x = b by forward then back substitution. */
function choleskySubstitute(factor: Matrix, b: readonly number[]): number[] {
  const n = b.length;
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= factor[i]![k]! * y[k]!;
    y[i] = s / factor[i]![i]!;
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= factor[k]![i]! * x[k]!;
    x[i] = s / factor[i]![i]!;
  }
  return x;
}

/** x with A·x = b for symmetric positive definite A; undefined when A is singular to working precision. */
export function solveSymmetricPositive(a: Matrix, b: readonly number[]): number[] | undefined {
  const chol = scaledCholesky(a);
  if (chol === undefined) return undefined;
  const { factor, scale } = chol;
  // A = S⁻¹·B·S⁻¹ with B = S·A·S, so x = S·B⁻¹·(S·b).
  const scaledB = b.map((v, i) => v * scale[i]!);
  return choleskySubstitute(factor, scaledB).map((v, i) => v * scale[i]!);
}

/** A⁻¹ for symmetric positive definite A; undefined when A is singular to working precision. */
export function invertSymmetricPositive(a: Matrix): Matrix | undefined {
  const chol = scaledCholesky(a);
  if (chol === undefined) return undefined;
  const { factor, scale } = chol;
  const n = a.length;
  const unit = (j: number): number[] => a.map((_, i) => (i === j ? 1 : 0));
  const columns = a.map((_, j) => choleskySubstitute(factor, unit(j)));
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => columns[j]![i]! * scale[i]! * scale[j]!),
  );
}

/** JᵀJ and Jᵀr: the normal equations of a linearised least-squares problem (J has one row per point). */
export function normalEquations(
  jacobian: readonly (readonly number[])[],
  residuals: readonly number[],
): { jtj: Matrix; jtr: number[] } {
  const p = jacobian[0]?.length ?? 0;
  const jtj: Matrix = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const jtr = new Array<number>(p).fill(0);
  jacobian.forEach((row, n) => {
    for (let i = 0; i < p; i++) {
      jtr[i]! += row[i]! * residuals[n]!;
      for (let j = 0; j <= i; j++) jtj[i]![j]! += row[i]! * row[j]!;
    }
  });
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) jtj[i]![j] = jtj[j]![i]!;
  return { jtj, jtr };
}
