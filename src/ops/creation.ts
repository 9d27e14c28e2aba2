import type { Device } from "../backend/backend.js";
import { checkDevice } from "../backend/registry.js";
import { ArgumentError, DTypeError, show } from "../errors.js";
import { checkDType, type DType, type FloatDType, isFloat, roundToBf16 } from "../tensor/dtype.js";
import { checkShape, formatShape, MAX_DIMS } from "../tensor/shape.js";
import { expectTensor, Tensor } from "../tensor/tensor.js";
import { contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { nextRandom } from "./random_state.js";

/** Options shared by the creation functions. */
export interface CreateOptions<D extends DType = DType> {
  dtype?: D;
  device?: Device;
  requiresGrad?: boolean;
}

export type NestedArray = number | boolean | readonly NestedArray[];
export type NestedBooleans = boolean | readonly NestedBooleans[];
export type TensorData = NestedArray | Float32Array | Float64Array | Int32Array | Uint8Array;

function resolve<D extends DType>(
  op: string,
  opts: CreateOptions<D> | undefined,
  fallback: DType,
): { dtype: D; device: Device } {
  const dtype = checkDType(op, "dtype", opts?.dtype ?? fallback) as D;
  const device = checkDevice(op, opts?.device ?? "cpu");
  return { dtype, device };
}

function finish<T extends Tensor>(t: T, opts: CreateOptions | undefined): T {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(data: NestedArray, op: string): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (shape.length > MAX_DIMS) throw new ArgumentError(`${op}: nesting deeper than ${MAX_DIMS} levels`);
    if (level.length === 0) break;
    level = level[0] as NestedArray;
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], op: string): { values: number[]; sawBool: boolean } {
  const values: number[] = [];
  let sawBool = false;
  const walk = (node: NestedArray, depth: number): void => {
    if (depth === shape.length) {
      if (typeof node === "boolean") {
        sawBool = true;
        values.push(node ? 1 : 0);
      } else if (typeof node === "number") values.push(node);
      else
        throw new ArgumentError(
          `${op}: expected a number or boolean at depth ${depth}, got ${Array.isArray(node) ? "an array" : typeof node}`,
        );
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new ArgumentError(
        `${op}: ragged nested array: expected length ${shape[depth]} at depth ${depth} for shape ${formatShape(shape)}`,
      );
    }
    for (const child of node as readonly NestedArray[]) walk(child, depth + 1);
  };
  walk(data, 0);
  return { values, sawBool };
}

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

/** A value for an i32 tensor: truncated toward zero (as PyTorch), an error when it does not fit. */
function checkInt32(op: string, what: string, v: number): number {
  const t = Math.trunc(v);
  if (!(t >= I32_MIN && t <= I32_MAX))
    throw new ArgumentError(`${op}: ${what} ${v} does not fit dtype i32 (integers from -2^31 to 2^31 - 1)`);
  return t;
}

/** Writes host values into a fresh tensor of the given dtype. */
function fromValues<D extends DType>(
  op: string,
  values: ArrayLike<number>,
  shape: number[],
  dtype: D,
  device: Device,
): Tensor<D> {
  // Converted before the tensor exists, so a value that does not fit leaks nothing.
  let bytes: ArrayBufferView;
  if (dtype === "f32") bytes = Float32Array.from(values);
  else if (dtype === "bf16") bytes = roundToBf16(Float32Array.from(values));
  else if (dtype === "i32")
    bytes = values instanceof Int32Array ? values : Int32Array.from(values, (v) => checkInt32(op, "value", v));
  else bytes = Uint8Array.from(values, (v) => (v ? 1 : 0));
  const t = emptyTensor(shape, dtype, device);
  if (bytes.byteLength > 0) t.storageFor("tensor").backend.write(t.storageFor("tensor").handle, 0, bytes);
  return t;
}

/**
 * A tensor from nested arrays, a typed array (flat, with `shape`) or a number. Numbers default to f32,
 * booleans to bool, Int32Array to i32, Uint8Array to bool.
 *
 * @example
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);             // f32 [2, 3]
 * const ids = tensor([3, 1, 4], { dtype: "i32" });
 * const y = tensor(new Float32Array(6), { shape: [3, 2] });
 */
export function tensor(
  data: Int32Array,
  opts?: Omit<CreateOptions, "dtype"> & { shape?: readonly number[] },
): Tensor<"i32">;
export function tensor(
  data: Uint8Array,
  opts?: Omit<CreateOptions, "dtype"> & { shape?: readonly number[] },
): Tensor<"bool">;
export function tensor(
  data: NestedBooleans,
  opts?: Omit<CreateOptions, "dtype"> & { shape?: readonly number[] },
): Tensor<"bool">;
export function tensor<D extends DType = "f32">(
  data: TensorData,
  opts?: CreateOptions<D> & { shape?: readonly number[] },
): Tensor<D>;
export function tensor<D extends DType>(
  data: TensorData,
  opts?: CreateOptions<D> & { shape?: readonly number[] },
): Tensor<D> {
  const op = "tensor";
  if (ArrayBuffer.isView(data)) {
    const typed = data as Float32Array | Float64Array | Int32Array | Uint8Array;
    const fallback: DType = typed instanceof Int32Array ? "i32" : typed instanceof Uint8Array ? "bool" : "f32";
    const { dtype, device } = resolve(op, opts, fallback);
    const shape = opts?.shape ? checkShape(op, "shape", opts.shape) : [typed.length];
    if (shape.reduce((a, b) => a * b, 1) !== typed.length) {
      throw new ArgumentError(`${op}: shape ${formatShape(shape)} does not hold ${typed.length} values`);
    }
    return finish(fromValues(op, typed, shape, dtype, device), opts);
  }
  if (typeof data !== "number" && typeof data !== "boolean" && !Array.isArray(data)) {
    throw new ArgumentError(
      `${op}: data must be a number, boolean, nested array or typed array, got ${data === null ? "null" : typeof data}`,
    );
  }
  const shape = inferShape(data, op);
  const { values, sawBool } = flatten(data, shape, op);
  const { dtype, device } = resolve(op, opts, sawBool ? "bool" : "f32");
  const finalShape = opts?.shape ? checkShape(op, "shape", opts.shape) : shape;
  if (finalShape.reduce((a, b) => a * b, 1) !== values.length)
    throw new ArgumentError(`${op}: shape ${formatShape(finalShape)} does not hold ${values.length} values`);
  return finish(fromValues(op, values, finalShape, dtype, device), opts);
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * full([2, 2], 7, { dtype: "i32" });
 */
export function full<D extends DType = "f32">(
  shape: readonly number[],
  value: number | boolean,
  opts?: CreateOptions<D>,
): Tensor<D> {
  return filled("full", shape, value, opts);
}

/** A filled tensor, with errors named after the op the user called. */
function filled<D extends DType>(
  op: string,
  shape: readonly number[],
  value: number | boolean,
  opts?: CreateOptions<D>,
): Tensor<D> {
  const s = checkShape(op, "shape", shape);
  if (typeof value !== "number" && typeof value !== "boolean")
    throw new ArgumentError(`${op}: value must be a number, got ${typeof value}`);
  const { dtype, device } = resolve(op, opts, typeof value === "boolean" ? "bool" : "f32");
  if (dtype === "i32") checkInt32(op, "value", Number(value));
  const t = emptyTensor(s, dtype, device);
  runKernel(op, "fill", [], [t], { value });
  return finish(t, opts);
}

/** @example zeros([2, 3]) */
export function zeros<D extends DType = "f32">(shape: readonly number[], opts?: CreateOptions<D>): Tensor<D> {
  return filled("zeros", shape, 0, opts);
}

/** @example ones([3], { dtype: "bf16" }) */
export function ones<D extends DType = "f32">(shape: readonly number[], opts?: CreateOptions<D>): Tensor<D> {
  return filled("ones", shape, 1, opts);
}

/** @example zerosLike(x) — same shape, dtype and device as x */
export function zerosLike<D extends DType>(t: Tensor<D>, opts?: CreateOptions<D>): Tensor<D> {
  expectTensor("zerosLike", "t", t);
  return full(t.shape, 0, { dtype: t.dtype, device: t.device, ...opts });
}

/** @example onesLike(x) */
export function onesLike<D extends DType>(t: Tensor<D>, opts?: CreateOptions<D>): Tensor<D> {
  expectTensor("onesLike", "t", t);
  return full(t.shape, 1, { dtype: t.dtype, device: t.device, ...opts });
}

/** @example fullLike(x, 0.5) */
export function fullLike<D extends DType>(t: Tensor<D>, value: number, opts?: CreateOptions<D>): Tensor<D> {
  expectTensor("fullLike", "t", t);
  return full(t.shape, value, { dtype: t.dtype, device: t.device, ...opts });
}

/**
 * Values start, start+step, ... below end. `arange(n)` counts 0..n-1. Defaults to i32 when every
 * argument is an integer, f32 otherwise (as PyTorch does).
 *
 * @example
 * arange(5);            // i32 [0, 1, 2, 3, 4]
 * arange(0, 1, 0.25);   // f32 [0, 0.25, 0.5, 0.75]
 */
export function arange<D extends DType = "i32">(
  startOrEnd: number,
  end?: number,
  step = 1,
  opts?: CreateOptions<D>,
): Tensor<D> {
  const start = end === undefined ? 0 : startOrEnd;
  const stop = end === undefined ? startOrEnd : end;
  for (const [name, v] of [
    ["start", start],
    ["end", stop],
    ["step", step],
  ] as const) {
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new ArgumentError(`arange: ${name} must be a finite number, got ${show(v)}`);
  }
  if (step === 0) throw new ArgumentError("arange: step must not be 0");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const integral = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const { dtype, device } = resolve("arange", opts, integral ? "i32" : "f32");
  if (dtype === "bool") throw new DTypeError("arange: dtype bool is not supported");
  if (dtype === "i32" && n > 0)
    for (const [name, v] of [
      ["start", start],
      ["last value", start + (n - 1) * step],
    ] as const)
      checkInt32("arange", name, v);
  const t = emptyTensor(checkShape("arange", "size", [n]), dtype, device);
  runKernel("arange", "arange", [], [t], { start, step });
  return finish(t, opts);
}

/** A random kernel's attributes besides its stream position (seed, offset), which randomTensor adds. */
type Distribution = { low: number; high: number } | { mean: number; std: number };

function randomTensor<D extends DType>(
  op: string,
  kernel: "rand_uniform" | "rand_normal" | "randint",
  shape: readonly number[],
  opts: CreateOptions<D> | undefined,
  fallback: DType,
  perCounter: number,
  distribution: Distribution,
): Tensor<D> {
  const s = checkShape(op, "shape", shape);
  const { dtype, device } = resolve(op, opts, fallback);
  const t = emptyTensor(s, dtype, device);
  const [seed, offset] = nextRandom(Math.ceil(t.numel / perCounter));
  runKernel(op, kernel, [], [t], { seed, offset, ...distribution });
  return finish(t, opts);
}

/** A distribution parameter: a finite number (NaN or ±Infinity would make every sample meaningless). */
function finiteParameter(op: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new ArgumentError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

function expectFloat(op: string, dtype: DType | undefined): void {
  if (dtype !== undefined && !isFloat(dtype)) throw new DTypeError(`${op}: dtype must be f32 or bf16, got ${dtype}`);
}

/**
 * Uniform samples in [low, high) (default [0, 1)) from the seeded generator.
 *
 * @example
 * manualSeed(0); const u = rand([2, 3]);
 */
export function rand<D extends FloatDType = "f32">(
  shape: readonly number[],
  opts?: CreateOptions<D> & { low?: number; high?: number },
): Tensor<D> {
  expectFloat("rand", opts?.dtype);
  const low = finiteParameter("rand", "low", opts?.low ?? 0);
  const high = finiteParameter("rand", "high", opts?.high ?? 1);
  // PyTorch's uniform_ takes low == high (every sample is low) and rejects low > high and a range that
  // overflows f32, in which the kernel computes low + (high - low)·u.
  if (low > high || !Number.isFinite(Math.fround(high - low)))
    throw new ArgumentError(`rand: need low <= high with a finite high - low, got low=${low}, high=${high}`);
  return randomTensor("rand", "rand_uniform", shape, opts, "f32", 4, { low, high });
}

/**
 * Normal samples (default mean 0, std 1) from the seeded generator.
 *
 * @example
 * const w = randn([768, 768], { std: 0.02 });
 */
export function randn<D extends FloatDType = "f32">(
  shape: readonly number[],
  opts?: CreateOptions<D> & { mean?: number; std?: number },
): Tensor<D> {
  expectFloat("randn", opts?.dtype);
  const mean = finiteParameter("randn", "mean", opts?.mean ?? 0);
  const std = finiteParameter("randn", "std", opts?.std ?? 1);
  if (std < 0) throw new ArgumentError(`randn: std must be >= 0, got ${std}`);
  return randomTensor("randn", "rand_normal", shape, opts, "f32", 2, { mean, std });
}

/**
 * Integers uniform in [low, high).
 *
 * @example
 * const tokens = randint(0, 1000, [4, 128]); // i32
 */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  opts?: { device?: Device },
): Tensor<"i32"> {
  // high is exclusive, so it may be 2^31: every i32 from low up is possible.
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low || low < I32_MIN || high > I32_MAX + 1) {
    throw new ArgumentError(
      `randint: need integers -2^31 <= low < high <= 2^31, got low=${show(low)}, high=${show(high)}`,
    );
  }
  return randomTensor("randint", "randint", shape, { dtype: "i32", device: opts?.device }, "i32", 4, { low, high });
}

/**
 * The n×m identity matrix (m defaults to n).
 *
 * @example
 * eye(3);
 */
export function eye<D extends DType = "f32">(n: number, m: number = n, opts?: CreateOptions<D>): Tensor<D> {
  const ones_ = full([n, m], 1, opts);
  const upper = emptyTensor(ones_.shape, ones_.dtype, ones_.device);
  runKernel("eye", "triu", [contiguousAs(ones_, [1, n, m])], [contiguousAs(upper, [1, n, m])], { k: 0 });
  runKernel("eye", "tril", [contiguousAs(upper, [1, n, m])], [contiguousAs(ones_, [1, n, m])], { k: 0 });
  upper.dispose();
  return ones_;
}
