import { DTypeError } from "../errors.js";
import type { DType, FloatDType, NumericDType, Promote } from "../tensor/dtype.js";
import { expectDType, isFloat } from "../tensor/dtype.js";
import { cleanupOnError } from "../tensor/scope.js";
import { Tensor, expectTensor } from "../tensor/tensor.js";
import { full } from "./creation.js";
import { emptyTensor, runKernel, type KernelAttrsArg } from "./dispatch.js";
import { broadcastAll, broadcastView, disposeAll, operands, type TensorLike } from "./operands.js";
import { record } from "./record.js";
import { KERNELS, type BinaryKernel, type CompareKernel, type KernelAttrs, type UnaryKernel } from "./table.js";

type OneInputKernel = UnaryKernel | "clamp" | "pow_scalar";

/** Runs a one-input kernel; its attributes are also what its gradient rule reads. */
function unary<D extends DType, K extends OneInputKernel>(
  op: string,
  kernel: K,
  x: Tensor<D>,
  ...attrs: KernelAttrsArg<K>
): Tensor<D>;
// A plain optional parameter, not the rest tuple above: no arguments array on every call.
function unary(op: string, kernel: OneInputKernel, x: Tensor, attrs?: KernelAttrs<OneInputKernel>): Tensor {
  expectTensor(op, "x", x);
  expectDType(op, "x", x.dtype, KERNELS[kernel].dtypes);
  const y = emptyTensor(x.shape, x.dtype, x.device);
  runKernel(op, kernel, [x], [y], attrs);
  if (isFloat(x.dtype)) record(kernel, [x], y, attrs);
  return y;
}

const unaryOp =
  (kernel: UnaryKernel) =>
  <D extends DType>(x: Tensor<D>): Tensor<D> =>
    unary(kernel, kernel, x);

/** -x. @example neg(x) */
export const neg = unaryOp("neg");
/** |x|. */
export const abs = unaryOp("abs");
/** e^x. */
export const exp = unaryOp("exp");
/** Natural logarithm. */
export const log = unaryOp("log");
/** Square root. */
export const sqrt = unaryOp("sqrt");
/** 1 / sqrt(x). */
export const rsqrt = unaryOp("rsqrt");
export const sin = unaryOp("sin");
export const cos = unaryOp("cos");
export const tanh = unaryOp("tanh");
/** 1 / (1 + e^-x). */
export const sigmoid = unaryOp("sigmoid");
/** max(x, 0). */
export const relu = unaryOp("relu");
/** x * sigmoid(x) (SiLU / swish). */
export const silu = unaryOp("silu");
/** Exact GELU: x * Φ(x) with the erf form (PyTorch's default). */
export const gelu = unaryOp("gelu");
/** The error function. */
export const erf = unaryOp("erf");

/**
 * Limits values to [min, max]; either bound may be left out.
 *
 * @example
 * clamp(x, { min: 0, max: 6 });
 */
export function clamp<D extends NumericDType>(x: Tensor<D>, bounds: { min?: number; max?: number }): Tensor<D> {
  const min = bounds?.min ?? -Infinity;
  const max = bounds?.max ?? Infinity;
  if (typeof min !== "number" || typeof max !== "number" || Number.isNaN(min) || Number.isNaN(max)) {
    throw new DTypeError(`clamp: min and max must be numbers, got ${String(bounds?.min)} and ${String(bounds?.max)}`);
  }
  return unary("clamp", "clamp", x, { min, max });
}

// The bodies below run in cleanupOnError(): operands() may already have made temporaries (a cast, a
// number's scalar tensor) when a later check fails, and a failed op must leak nothing.
function binary<A extends DType, B extends DType>(
  kernel: BinaryKernel,
  a: TensorLike<A>,
  b: TensorLike<B>,
): Tensor<Promote<A, B>> {
  return cleanupOnError(() => binaryBody(kernel, a, b));
}

function binaryBody<A extends DType, B extends DType>(
  kernel: BinaryKernel,
  a: TensorLike<A>,
  b: TensorLike<B>,
): Tensor<Promote<A, B>> {
  const { tensors, dtype, temps } = operands(kernel, [a, b], ["a", "b"]);
  expectDType(kernel, "operands", dtype, KERNELS[kernel].dtypes);
  const [ta, tb] = tensors as [Tensor, Tensor];
  const shape = broadcastAll(kernel, [ta, tb]);
  const y = emptyTensor(shape, dtype, ta.device);
  runKernel(kernel, kernel, [broadcastView(ta, shape), broadcastView(tb, shape)], [y]);
  if (isFloat(dtype)) record(kernel, [ta, tb], y);
  disposeAll(temps);
  return y as Tensor<Promote<A, B>>;
}

/** Same-dtype operands keep their dtype; mixed dtypes promote (bf16 + f32 -> f32). */
type BinaryFn = {
  <D extends DType>(a: Tensor<D>, b: Tensor<NoInfer<D>> | number): Tensor<D>;
  <D extends DType>(a: number, b: Tensor<D>): Tensor<D>;
  <A extends DType, B extends DType>(a: Tensor<A>, b: Tensor<B>): Tensor<Promote<A, B>>;
};
const binaryOp = (kernel: BinaryKernel): BinaryFn =>
  ((a: TensorLike, b: TensorLike) => binary(kernel, a, b)) as BinaryFn;

/**
 * a + b with NumPy broadcasting; either side may be a number.
 *
 * @example
 * add(x, 1); x.add(y);
 */
export const add = binaryOp("add");
/** a - b. */
export const sub = binaryOp("sub");
/** a * b. */
export const mul = binaryOp("mul");
/** a / b (float). */
export const div = binaryOp("div");
/** Elementwise maximum. */
export const maximum = binaryOp("maximum");
/** Elementwise minimum. */
export const minimum = binaryOp("minimum");

/**
 * a to the power b. A number exponent uses a dedicated kernel.
 *
 * @example
 * pow(x, 2);
 */
export function pow<D extends FloatDType>(a: TensorLike<D>, b: TensorLike<D>): Tensor<D> {
  if (typeof b === "number" && typeof a !== "number") {
    if (!isFloat(a.dtype)) throw new DTypeError(`pow: x must have dtype f32 or bf16, got ${a.dtype}`);
    return unary("pow", "pow_scalar", a, { exponent: b });
  }
  return binary("pow", a, b) as Tensor<D>;
}

function compare(kernel: CompareKernel, a: TensorLike, b: TensorLike): Tensor<"bool"> {
  return cleanupOnError(() => compareBody(kernel, a, b));
}

function compareBody(kernel: CompareKernel, a: TensorLike, b: TensorLike): Tensor<"bool"> {
  const { tensors, dtype, temps } = operands(kernel, [a, b], ["a", "b"]);
  expectDType(kernel, "operands", dtype, KERNELS[kernel].dtypes);
  const [ta, tb] = tensors as [Tensor, Tensor];
  const shape = broadcastAll(kernel, [ta, tb]);
  const y = emptyTensor(shape, "bool", ta.device);
  runKernel(kernel, kernel, [broadcastView(ta, shape), broadcastView(tb, shape)], [y]);
  disposeAll(temps);
  return y;
}

const compareOp = (kernel: CompareKernel) => (a: TensorLike, b: TensorLike) => compare(kernel, a, b);

/** a == b, a bool tensor. @example eq(labels, 3) */
export const eq = compareOp("eq");
export const ne = compareOp("ne");
export const lt = compareOp("lt");
export const le = compareOp("le");
export const gt = compareOp("gt");
export const ge = compareOp("ge");

/**
 * Picks a where cond is true, else b (broadcast together).
 *
 * @example
 * where(gt(x, 0), x, 0);
 */
export function where<A extends DType, B extends DType = A>(
  cond: Tensor<"bool">,
  a: TensorLike<A>,
  b: TensorLike<B>,
): Tensor<Promote<A, B>> {
  if (!(cond instanceof Tensor)) throw new DTypeError("where: cond must be a bool Tensor");
  const c = cond;
  expectTensor("where", "c", c);
  if (c.dtype !== "bool") throw new DTypeError(`where: cond must have dtype bool, got ${c.dtype}`);
  return cleanupOnError(() => {
    // Two numbers take the default float dtype on cond's device.
    const values = typeof a === "number" && typeof b === "number" ? [full([], a, { device: c.device }), b] : [a, b];
    const { tensors, dtype, temps } = operands("where", values, ["a", "b"]);
    if (values[0] !== a) temps.push(values[0] as Tensor);
    const [ta, tb] = tensors as [Tensor, Tensor];
    const shape = broadcastAll("where", [c, ta, tb]);
    const y = emptyTensor(shape, dtype, ta.device);
    runKernel("where", "where", [broadcastView(c, shape), broadcastView(ta, shape), broadcastView(tb, shape)], [y]);
    if (isFloat(dtype)) record("where", [ta, tb], y, {}, [c]);
    disposeAll(temps);
    return y as Tensor<Promote<A, B>>;
  });
}
