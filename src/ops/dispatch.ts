import type { Device } from "../backend/backend.js";
import { backendFor } from "../backend/registry.js";
import { BackendError, DeviceError } from "../errors.js";
import { DTYPE_CODES, type DType } from "../tensor/dtype.js";
import { contiguousStrides, formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { attrLayout, type AttrValues } from "./kernel_attrs.js";
import type { KernelAttrs, KernelName } from "./table.js";

/** A tensor seen through a different shape/strides/offset (broadcast, permuted) without a Tensor object. */
export interface ViewArg {
  readonly tensor: Tensor;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export type KernelArg = Tensor | ViewArg;

/** A contiguous tensor seen with another shape of the same size (no Tensor object, no copy). */
export function contiguousAs(t: Tensor, shape: readonly number[]): ViewArg {
  return { tensor: t, shape, strides: contiguousStrides(shape), offset: t.offset };
}

/** The one device all tensors of an op live on, or a DeviceError naming the op. */
export function commonDevice(op: string, tensors: readonly Tensor[]): Device {
  const device = tensors[0]?.device ?? "cpu";
  for (const t of tensors) {
    if (t.device !== device) {
      throw new DeviceError(
        `${op}: all tensors must be on one device, got ${tensors.map((x) => x.device).join(" and ")}`,
      );
    }
  }
  return device;
}

/** Allocates an uninitialised contiguous tensor on a device. */
export function emptyTensor<D extends DType>(shape: readonly number[], dtype: D, device: Device): Tensor<D> {
  return Tensor.empty(shape, dtype, backendFor(device));
}

// One scratch buffer reused by every call (JS is single-threaded and the addon reads it synchronously).
let scratch = new Float64Array(1024);

/** runKernel's last argument: a kernel's attributes by name, required when it has any. */
export type KernelAttrsArg<K extends KernelName> =
  // biome-ignore lint/complexity/noBannedTypes: "every attribute is optional" is `{} extends` the attribute type.
  {} extends KernelAttrs<K> ? [attrs?: KernelAttrs<K>] : [attrs: KernelAttrs<K>];

/**
 * Runs one native kernel. Outputs are tensors the caller allocated (or owns, for in/out kernels).
 * Attributes go by name (`{ eps }`) and reach the addon in the op table's order.
 * A kernel the backend does not register is a loud error naming the op and device.
 *
 * @example
 * runKernel("rmsNorm", "rmsnorm_forward", [x, w], [y, rstd], { eps: 1e-5 });
 */
export function runKernel<K extends KernelName>(
  op: string,
  kernel: K,
  inputs: readonly KernelArg[],
  outputs: readonly KernelArg[],
  ...attrs: KernelAttrsArg<K>
): void;
// A plain optional parameter, not the rest tuple above: no arguments array on every kernel call.
export function runKernel(
  op: string,
  kernel: KernelName,
  inputs: readonly KernelArg[],
  outputs: readonly KernelArg[],
  attrs?: AttrValues,
): void {
  const first = (inputs[0] ?? outputs[0])!;
  const device = (first instanceof Tensor ? first : first.tensor).device;
  const backend = backendFor(device);
  const id = backend.kernelId(kernel);
  if (id < 0) {
    const dtype = (first instanceof Tensor ? first : first.tensor).dtype;
    throw new BackendError(
      `${op}: no ${device === "cuda" ? "CUDA" : "CPU"} kernel ${kernel} (for ${dtype}) in this build`,
    );
  }
  const layout = attrLayout(op, kernel);
  const nAttrs = layout.wireLength(op, attrs);
  let size = 3 + nAttrs;
  for (const a of inputs) size += 4 + 2 * a.shape.length;
  for (const a of outputs) size += 4 + 2 * a.shape.length;
  if (size > scratch.length) scratch = new Float64Array(Math.max(size, 2 * scratch.length));
  const buf = scratch;
  buf[0] = inputs.length;
  buf[1] = outputs.length;
  buf[2] = nAttrs;
  let p = layout.write(op, attrs, buf, 3);
  for (let i = 0; i < inputs.length + outputs.length; i++) {
    const arg = i < inputs.length ? inputs[i]! : outputs[i - inputs.length]!;
    const v = arg instanceof Tensor ? arg : arg.tensor;
    if (v.device !== device) {
      throw new DeviceError(
        `${op}: all tensors must be on ${device}, but one of shape ${formatShape(v.shape)} is on ${v.device}`,
      );
    }
    buf[p++] = v.storageFor(op).handle;
    buf[p++] = DTYPE_CODES[v.dtype];
    buf[p++] = arg.shape.length;
    buf[p++] = arg.offset;
    for (const s of arg.shape) buf[p++] = s;
    for (const s of arg.strides) buf[p++] = s;
  }
  try {
    backend.run(id, buf);
  } catch (e) {
    const message = (e as Error).message;
    throw new BackendError(message.startsWith(`${op}:`) ? message : `${op}: ${message}`);
  }
}
