// Elementwise references (float64) with PyTorch semantics and broadcasting.
import { erf as erfScalar } from "./erf.js";
import { map, type Ref, zip, zip3 } from "./ndarray.js";

export const scalarFns = {
  neg: (x: number) => -x,
  abs: (x: number) => Math.abs(x),
  exp: (x: number) => Math.exp(x),
  log: (x: number) => Math.log(x),
  sqrt: (x: number) => Math.sqrt(x),
  rsqrt: (x: number) => 1 / Math.sqrt(x),
  sin: (x: number) => Math.sin(x),
  cos: (x: number) => Math.cos(x),
  tanh: (x: number) => Math.tanh(x),
  sigmoid: (x: number) => sigmoidScalar(x),
  relu: (x: number) => (Number.isNaN(x) ? NaN : Math.max(x, 0)),
  silu: (x: number) => x * sigmoidScalar(x),
  gelu: (x: number) => 0.5 * x * (1 + erfScalar(x / Math.SQRT2)),
  erf: (x: number) => erfScalar(x),
} as const;

export type UnaryName = keyof typeof scalarFns;

/** Derivatives of the unary functions, used to check analytic gradients independently of finite differences. */
export const scalarDerivs: Record<UnaryName, (x: number) => number> = {
  neg: () => -1,
  abs: (x) => Math.sign(x),
  exp: (x) => Math.exp(x),
  log: (x) => 1 / x,
  sqrt: (x) => 0.5 / Math.sqrt(x),
  rsqrt: (x) => -0.5 * Math.pow(x, -1.5),
  sin: (x) => Math.cos(x),
  cos: (x) => -Math.sin(x),
  tanh: (x) => 1 - Math.tanh(x) ** 2,
  sigmoid: (x) => sigmoidScalar(x) * (1 - sigmoidScalar(x)),
  relu: (x) => (x > 0 ? 1 : 0),
  silu: (x) => sigmoidScalar(x) * (1 + x * (1 - sigmoidScalar(x))),
  gelu: (x) => 0.5 * (1 + erfScalar(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
  erf: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x),
};

function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function unary(name: UnaryName, x: Ref): Ref {
  return map(x, scalarFns[name]);
}

export const neg = (x: Ref): Ref => unary("neg", x);
export const abs = (x: Ref): Ref => unary("abs", x);
export const exp = (x: Ref): Ref => unary("exp", x);
export const log = (x: Ref): Ref => unary("log", x);
export const sqrt = (x: Ref): Ref => unary("sqrt", x);
export const rsqrt = (x: Ref): Ref => unary("rsqrt", x);
export const sin = (x: Ref): Ref => unary("sin", x);
export const cos = (x: Ref): Ref => unary("cos", x);
export const tanh = (x: Ref): Ref => unary("tanh", x);
export const sigmoid = (x: Ref): Ref => unary("sigmoid", x);
export const relu = (x: Ref): Ref => unary("relu", x);
export const silu = (x: Ref): Ref => unary("silu", x);
export const gelu = (x: Ref): Ref => unary("gelu", x);
export const erf = (x: Ref): Ref => unary("erf", x);

/** torch.clamp: max(x, min) then min(., max); NaN stays NaN; when min > max every element becomes max. */
export function clamp(x: Ref, opts: { min?: number; max?: number }): Ref {
  const lo = opts.min ?? -Infinity;
  const hi = opts.max ?? Infinity;
  return map(x, (v) => (Number.isNaN(v) ? NaN : Math.min(Math.max(v, lo), hi)));
}

/** C pow semantics (pow(1, y) = 1 and pow(x, 0) = 1 even for NaN), unlike JS Math.pow(1, NaN). */
export function powScalar(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  return Math.pow(a, b);
}

export const binaryFns = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number) => a / b,
  pow: powScalar,
  maximum: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
} as const;

export type BinaryName = keyof typeof binaryFns;

export const compareFns = {
  eq: (a: number, b: number) => (a === b ? 1 : 0),
  ne: (a: number, b: number) => (a !== b ? 1 : 0),
  lt: (a: number, b: number) => (a < b ? 1 : 0),
  le: (a: number, b: number) => (a <= b ? 1 : 0),
  gt: (a: number, b: number) => (a > b ? 1 : 0),
  ge: (a: number, b: number) => (a >= b ? 1 : 0),
} as const;

export type CompareName = keyof typeof compareFns;

export function binary(name: BinaryName, a: Ref, b: Ref): Ref {
  return zip(a, b, binaryFns[name]);
}

export const add = (a: Ref, b: Ref): Ref => binary("add", a, b);
export const sub = (a: Ref, b: Ref): Ref => binary("sub", a, b);
export const mul = (a: Ref, b: Ref): Ref => binary("mul", a, b);
export const div = (a: Ref, b: Ref): Ref => binary("div", a, b);
export const pow = (a: Ref, b: Ref): Ref => binary("pow", a, b);
export const maximum = (a: Ref, b: Ref): Ref => binary("maximum", a, b);
export const minimum = (a: Ref, b: Ref): Ref => binary("minimum", a, b);

/** Comparison giving 0/1 (the bool tensor's values). */
export function compare(name: CompareName, a: Ref, b: Ref): Ref {
  return zip(a, b, compareFns[name]);
}

/** where(cond, a, b): a where cond is non-zero, else b; all three broadcast. */
export function where(cond: Ref, a: Ref, b: Ref): Ref {
  return zip3(cond, a, b, (c, x, y) => (c !== 0 ? x : y));
}
