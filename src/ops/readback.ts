import type { Device } from "../backend/backend.js";
import { backendFor, checkDevice } from "../backend/registry.js";
import { ArgumentError, show } from "../errors.js";
import { type ArrayFor, bf16ToF32, DTYPE_BYTES, type DType, isDType } from "../tensor/dtype.js";
import { noGrad } from "../tensor/graph.js";
import { formatShape } from "../tensor/shape.js";
import { Storage } from "../tensor/storage.js";
import { Tensor, expectTensor } from "../tensor/tensor.js";
import { cast } from "./operands.js";
import { record } from "./record.js";
import { contiguous } from "./views.js";

export type NestedNumbers = number | NestedNumbers[];

function decode<D extends DType>(dtype: D, bytes: ArrayBuffer): ArrayFor<D> {
  if (dtype === "bf16") return bf16ToF32(new Uint16Array(bytes)) as ArrayFor<D>;
  if (dtype === "i32") return new Int32Array(bytes) as ArrayFor<D>;
  if (dtype === "bool") return new Uint8Array(bytes) as ArrayFor<D>;
  return new Float32Array(bytes) as ArrayFor<D>;
}

/** Reads x's raw bytes in row-major order through `read` (sync or async), copying a view first. */
function readWith<R>(op: string, x: Tensor, read: (s: Storage, byteOffset: number, bytes: number) => R): R {
  expectTensor(op, "x", x);
  const c = x.isContiguous() ? x : noGrad(() => contiguous(x));
  try {
    return read(c.storageFor(op), c.offset * DTYPE_BYTES[c.dtype], c.numel * DTYPE_BYTES[c.dtype]);
  } finally {
    if (c !== x) c.dispose();
  }
}

/** The elements as a typed array, without blocking the JS thread on asynchronous devices. */
export async function data<D extends DType>(x: Tensor<D>): Promise<ArrayFor<D>> {
  const bytes = await readWith("data", x, (s, off, n) => s.backend.readAsync(s.handle, off, n));
  return decode(x.dtype, bytes);
}

/** The elements as a typed array (blocks until a device has finished). */
export function dataSync<D extends DType>(x: Tensor<D>): ArrayFor<D> {
  return readSync("dataSync", x);
}

/** x's raw bytes on the host (blocks until a device has finished). */
function readBytes(op: string, x: Tensor): ArrayBuffer {
  return readWith(op, x, (s, off, n) => s.backend.read(s.handle, off, n));
}

function readSync<D extends DType>(op: string, x: Tensor<D>): ArrayFor<D> {
  const bytes = readBytes(op, x); // checks x before its dtype is read
  return decode(x.dtype, bytes);
}

/** The value of a one-element tensor as a number (bool as 0/1). */
export function item(x: Tensor): number {
  expectTensor("item", "x", x);
  if (x.numel !== 1)
    throw new ArgumentError(`item: tensor must have exactly one element, got shape ${formatShape(x.shape)}`);
  return readSync("item", x)[0]!;
}

function nest(values: ArrayLike<number>, shape: readonly number[], at = 0, dim = 0): NestedNumbers {
  if (dim === shape.length) return values[at]!;
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const out: NestedNumbers[] = [];
  for (let i = 0; i < shape[dim]!; i++) out.push(nest(values, shape, at + i * stride, dim + 1));
  return out;
}

/** The elements as nested JS arrays (a number for a 0-d tensor). */
export function toArray(x: Tensor): NestedNumbers {
  return nest(readSync("toArray", x), x.shape);
}

function formatValue(v: number, dtype: DType): string {
  if (dtype === "bool") return v ? "True" : "False";
  if (dtype === "i32") return String(v);
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return Number.isInteger(v) && Math.abs(v) < 1e8
    ? `${v}.`
    : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-4)
      ? v.toExponential(4)
      : v.toFixed(4);
}

/** PyTorch-style text: `tensor([[1., 2.], [3., 4.]], dtype=bf16)`; long dims are elided with "...". */
export function toString(x: Tensor): string {
  if (x.isDisposed) return `tensor(<disposed>, shape=${formatShape(x.shape)}, dtype=${x.dtype})`;
  const values = readSync("toString", x);
  const edge = 3;
  const render = (at: number, dim: number, indent: string): string => {
    if (dim === x.ndim) return formatValue(values[at]!, x.dtype);
    const n = x.shape[dim]!;
    const stride = x.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const idx =
      n > 2 * edge + 1 && x.numel > 1000
        ? [...Array(edge).keys(), -1, ...Array.from({ length: edge }, (_, i) => n - edge + i)]
        : [...Array(n).keys()];
    const parts = idx.map((i) => (i < 0 ? "..." : render(at + i * stride, dim + 1, indent + " ")));
    const sep = dim === x.ndim - 1 ? ", " : `,\n${indent} `;
    return `[${parts.join(sep)}]`;
  };
  const extras = [
    x.dtype !== "f32" ? `dtype=${x.dtype}` : "",
    x.device !== "cpu" ? `device='${x.device}'` : "",
    x.requiresGrad ? "requires_grad=True" : "",
  ].filter(Boolean);
  return `tensor(${render(0, 0, "       ")}${extras.length ? ", " + extras.join(", ") : ""})`;
}

/** A copy of `x` on another device (contiguous). Differentiable. */
export function toDevice<D extends DType>(x: Tensor<D>, device: Device): Tensor<D> {
  expectTensor("to", "x", x);
  const target = checkDevice("to", device);
  if (x.device === target) return x;
  const bytes = readBytes("to", x);
  const backend = backendFor(target);
  const y = Tensor.empty(x.shape, x.dtype, backend);
  if (bytes.byteLength > 0) backend.write(y.storageFor("to").handle, 0, new Uint8Array(bytes));
  record("toDevice", [x], y, { from: x.device });
  return y;
}

/**
 * Converts to a dtype or moves to a device: `x.to("bf16")`, `x.to("cuda")`.
 */
export function to<D extends DType, T extends DType | Device>(
  x: Tensor<D>,
  target: T,
): Tensor<T extends DType ? T : D> {
  if (isDType(target)) return cast(x, target) as Tensor<T extends DType ? T : D>;
  if (target === "cpu" || target === "cuda") return toDevice(x, target) as Tensor<T extends DType ? T : D>;
  throw new ArgumentError(`to: expected a dtype (f32, bf16, i32, bool) or a device (cpu, cuda), got ${show(target)}`);
}
