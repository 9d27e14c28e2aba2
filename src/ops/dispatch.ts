import type { Device } from "../backend/backend.js";
import { backendFor } from "../backend/registry.js";
import { BackendError, DeviceError } from "../errors.js";
import { DTYPE_CODES, type DType } from "../tensor/dtype.js";
import { contiguousStrides, formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/** A tensor seen through a different shape/strides/offset (broadcast, permuted) without a Tensor object. */
export interface ViewArg {
  readonly tensor: Tensor;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export type KernelArg = Tensor | ViewArg;

function viewOf(arg: KernelArg): ViewArg {
  return arg instanceof Tensor ? { tensor: arg, shape: arg.shape, strides: arg.strides, offset: arg.offset } : arg;
}

/** A contiguous tensor seen with another shape of the same size (no Tensor object, no copy). */
export function contiguousAs(t: Tensor, shape: readonly number[]): ViewArg {
  return { tensor: t, shape, strides: contiguousStrides(shape), offset: t.offset };
}

/** The one device all tensors of an op live on, or a DeviceError naming the op. */
export function commonDevice(op: string, tensors: readonly Tensor[]): Device {
  const device = tensors[0]?.device ?? "cpu";
  for (const t of tensors) {
    if (t.device !== device) {
      throw new DeviceError(`${op}: all tensors must be on one device, got ${tensors.map((x) => x.device).join(" and ")}`);
    }
  }
  return device;
}

/** Allocates an uninitialised contiguous tensor on a device. */
export function emptyTensor<D extends DType>(shape: readonly number[], dtype: D, device: Device): Tensor<D> {
  return Tensor.empty(shape, dtype, backendFor(device));
}

/**
 * Runs one native kernel. Outputs are tensors the caller allocated (or owns, for in/out kernels).
 * A kernel the backend does not register is a loud error naming the op and device.
 */
export function runKernel(op: string, kernel: string, inputs: readonly KernelArg[], outputs: readonly KernelArg[], attrs: readonly number[] = []): void {
  const views = [...inputs, ...outputs].map(viewOf);
  const device = views[0]!.tensor.device;
  const backend = backendFor(device);
  const id = backend.kernelId(kernel);
  if (id < 0) {
    const dtype = views[0]!.tensor.dtype;
    throw new BackendError(`${op}: no ${device === "cuda" ? "CUDA" : "CPU"} kernel ${kernel} (for ${dtype}) in this build`);
  }
  let size = 2;
  for (const v of views) size += 3 + 2 * v.shape.length;
  const desc = new Float64Array(size);
  desc[0] = inputs.length;
  desc[1] = outputs.length;
  let p = 2;
  const handles = new Array(views.length);
  for (let i = 0; i < views.length; i++) {
    const v = views[i]!;
    if (v.tensor.device !== device) {
      throw new DeviceError(`${op}: all tensors must be on ${device}, but one of shape ${formatShape(v.tensor.shape)} is on ${v.tensor.device}`);
    }
    handles[i] = v.tensor.storageFor(op).handle;
    desc[p++] = DTYPE_CODES[v.tensor.dtype];
    desc[p++] = v.shape.length;
    desc[p++] = v.offset;
    for (const s of v.shape) desc[p++] = s;
    for (const s of v.strides) desc[p++] = s;
  }
  try {
    backend.run(id, handles, desc, Float64Array.from(attrs));
  } catch (e) {
    const message = (e as Error).message;
    throw new BackendError(message.startsWith(`${op}:`) ? message : `${op}: ${message}`);
  }
}
