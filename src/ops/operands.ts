import { ArgumentError, DTypeError } from "../errors.js";
import { type DType, expectDType, isFloat, promoteTypes } from "../tensor/dtype.js";
import { broadcastShapes, formatShape, sameShape } from "../tensor/shape.js";
import { Tensor, expectTensor } from "../tensor/tensor.js";
import { commonDevice, emptyTensor, runKernel, type ViewArg } from "./dispatch.js";
import { record } from "./record.js";

/** A tensor, or a number standing for a tensor of the other operand's dtype. */
export type TensorLike<D extends DType = DType> = Tensor<D> | number;

/**
 * A copy of `x` converted to `dtype` (x itself when it already has it). Differentiable between float types.
 *
 * @example
 * cast(x, "bf16");
 */
export function cast<D extends DType>(x: Tensor, dtype: D): Tensor<D> {
  expectTensor("cast", "x", x);
  expectDType("cast", "dtype", dtype, ["f32", "bf16", "i32", "bool"]);
  if (x.dtype === dtype) return x as unknown as Tensor<D>;
  const y = emptyTensor(x.shape, dtype, x.device);
  runKernel("cast", "copy", [x], [y]);
  if (isFloat(dtype)) record("cast", [x], y);
  return y;
}

/** `t` seen with the broadcast `shape` (stride 0 along broadcast dims), without a new Tensor. */
export function broadcastView(t: Tensor, shape: readonly number[]): ViewArg | Tensor {
  if (sameShape(t.shape, shape)) return t; // the common case: no broadcasting, no new object
  const lead = shape.length - t.ndim;
  const strides = shape.map((s, i) => (i < lead || (t.shape[i - lead] === 1 && s !== 1) ? 0 : t.strides[i - lead]!));
  return { tensor: t, shape, strides, offset: t.offset };
}

/** Operands of one dtype and device, with temporaries to dispose after the kernel. */
export interface Operands {
  tensors: Tensor[];
  dtype: DType;
  temps: Tensor[];
}

function checkOperand(op: string, name: string, v: unknown): void {
  if (v instanceof Tensor) v.storageFor(op);
  else if (typeof v !== "number")
    throw new ArgumentError(`${op}: ${name} must be a Tensor or a number, got ${v === null ? "null" : typeof v}`);
}

/**
 * Turns a mix of tensors and numbers into tensors of one promoted dtype on one device. Numbers adopt
 * the tensors' dtype; a fractional number with integer tensors is an error rather than a silent
 * truncation.
 */
export function operands(op: string, values: readonly TensorLike[], names: readonly string[]): Operands {
  // The common case, kept free of intermediate arrays: live tensors of one dtype on one device.
  const first = values[0];
  if (
    first instanceof Tensor &&
    values.every((v) => v instanceof Tensor && v.dtype === first.dtype && v.device === first.device && !v.isDisposed)
  ) {
    return { tensors: values as Tensor[], dtype: first.dtype, temps: [] };
  }
  values.forEach((v, i) => checkOperand(op, names[i]!, v));
  const tensors = values.filter((v): v is Tensor => v instanceof Tensor);
  if (tensors.length === 0) throw new ArgumentError(`${op}: at least one operand must be a Tensor`);
  const device = commonDevice(op, tensors);
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  const temps: Tensor[] = [];
  const out = values.map((v, i) => {
    if (typeof v === "number") {
      if (!isFloat(dtype) && !Number.isInteger(v) && Number.isFinite(v)) {
        throw new DTypeError(
          `${op}: ${names[i]} = ${v} is not an integer but the tensor operand is ${dtype}; cast it to f32 first`,
        );
      }
      const t = emptyTensor([], dtype, device);
      runKernel(op, "fill", [], [t], { value: v });
      temps.push(t);
      return t;
    }
    if (v.dtype === dtype) return v;
    const c = cast(v, dtype);
    temps.push(c);
    return c;
  });
  return { tensors: out, dtype, temps };
}

/** Broadcast shape of several tensors. */
export function broadcastAll(op: string, tensors: readonly Tensor[]): readonly number[] {
  const first = tensors[0]!.shape;
  if (tensors.every((t) => sameShape(t.shape, first))) return first;
  return tensors.map((t) => t.shape as number[]).reduce((a, b) => broadcastShapes(op, a, b));
}

export function disposeAll(tensors: readonly Tensor[]): void {
  for (const t of tensors) t.dispose();
}

export function describe(t: Tensor): string {
  return `${formatShape(t.shape)} ${t.dtype}`;
}
