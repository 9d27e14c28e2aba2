import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import type { FloatDType } from "../tensor/dtype.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { expectTensor, Tensor } from "../tensor/tensor.js";
import { commonDevice, contiguousAs, emptyTensor, runKernel } from "./dispatch.js";
import { contiguousInputs } from "./fused_util.js";

/** Arguments of one fused AdamW step over many tensors (all updated in place). */
export interface AdamWStepArgs {
  params: readonly Tensor<"f32">[];
  grads: readonly Tensor<FloatDType>[];
  expAvg: readonly Tensor<"f32">[];
  expAvgSq: readonly Tensor<"f32">[];
  /** One learning rate for all tensors, or one per tensor (μP groups). */
  lr: number | readonly number[];
  weightDecay: number | readonly number[];
  beta1: number;
  beta2: number;
  eps: number;
  /** The step number, counting from 1 (bias correction). */
  step: number;
  /** Multiplies every gradient first; gradient clipping passes its factor here. Default 1. */
  gradScale?: number;
  /**
   * bf16 compute copies of the parameters (mixed precision), one slot per parameter, undefined where a
   * parameter has none: each is overwritten with the updated parameter rounded to nearest even, in the
   * same pass over memory.
   */
  copies?: readonly (Tensor<"bf16"> | undefined)[];
}

function perTensor(name: string, value: number | readonly number[], n: number): number[] {
  const list = typeof value === "number" ? new Array<number>(n).fill(value) : Array.from(value);
  if (list.length !== n || list.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
    throw new ArgumentError(`adamwStep: ${name} must be a finite number or ${n} finite numbers`);
  }
  return list;
}

/**
 * One AdamW step (decoupled weight decay, as torch.optim.AdamW) over every tensor at once, in one fused
 * multi-tensor kernel. The optimizer (src/optim) is the usual entry point; this is its kernel call.
 *
 * @example
 * adamwStep({ params, grads, expAvg, expAvgSq, lr: 1e-3, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 1 });
 */
export function adamwStep(args: AdamWStepArgs): void {
  if (typeof args !== "object" || args === null)
    throw new ArgumentError("adamwStep: expected an options object { params, grads, expAvg, expAvgSq, lr, ... }");
  const { params, grads, expAvg, expAvgSq } = args;
  const n = Array.isArray(params) ? params.length : -1;
  if ([params, grads, expAvg, expAvgSq].some((l) => !Array.isArray(l) || l.length !== n)) {
    throw new ArgumentError(`adamwStep: params, grads, expAvg and expAvgSq must be arrays of one length (${n})`);
  }
  // The cheap test runs for every tensor of every optimiser step; the one naming the culprit only on failure.
  for (let i = 0; i < n; i++)
    if (!slotOk(params[i], grads[i], expAvg[i], expAvgSq[i])) checkSlot(i, params[i], grads[i], expAvg[i], expAvgSq[i]);
  const copies = checkCopies(args.copies, params);
  if (n === 0) return;
  commonDevice("adamwStep", [
    ...params,
    ...grads,
    ...expAvg,
    ...expAvgSq,
    ...(copies ?? []).filter((c) => c !== undefined),
  ]);
  const { beta1, beta2, eps, step } = args;
  const gradScale = args.gradScale ?? 1;
  for (const [name, v] of Object.entries({ beta1, beta2, eps, step, gradScale })) {
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new ArgumentError(`adamwStep: ${name} must be a finite number, got ${String(v)}`);
  }
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1))
    throw new ArgumentError(`adamwStep: betas must be in [0, 1), got ${beta1}, ${beta2}`);
  if (!Number.isInteger(step) || step < 1) throw new ArgumentError(`adamwStep: step counts from 1, got ${step}`);
  const lrs = perTensor("lr", args.lr, n);
  const wds = perTensor("weightDecay", args.weightDecay, n);
  // lr_wd: each tensor's (learning rate, weight decay) pair in turn.
  const attrs = { beta1, beta2, eps, step, grad_scale: gradScale, lr_wd: lrs.flatMap((lr, i) => [lr, wds[i]!]) };
  const { c, release } = contiguousInputs(grads);
  // A parameter without a copy gets an empty c_i, which the kernel reads as "no copy".
  const none = copies?.some((t) => t === undefined) ? emptyTensor([0], "bf16", params[0]!.device) : undefined;
  const copyArgs = copies ? copies.map((t) => t ?? none!) : [];
  try {
    // Every tensor is contiguous here and shares its param's shape, which is all the kernel asks: they go
    // as they are, without per-tensor flat views (this runs for hundreds of tensors every step).
    runKernel("adamwStep", "adamw_step", c, [...params, ...expAvg, ...expAvgSq, ...copyArgs], attrs);
  } finally {
    release();
    none?.dispose();
  }
}

function slotOk(param: unknown, grad: unknown, m: unknown, v: unknown): boolean {
  if (!(param instanceof Tensor && grad instanceof Tensor && m instanceof Tensor && v instanceof Tensor)) return false;
  if (param.isDisposed || grad.isDisposed || m.isDisposed || v.isDisposed) return false;
  if (
    param.dtype !== "f32" ||
    m.dtype !== "f32" ||
    v.dtype !== "f32" ||
    (grad.dtype !== "f32" && grad.dtype !== "bf16")
  )
    return false;
  if (!sameShape(grad.shape, param.shape) || !sameShape(m.shape, param.shape) || !sameShape(v.shape, param.shape))
    return false;
  return param.isContiguous() && m.isContiguous() && v.isContiguous();
}

function checkSlot(i: number, param: unknown, grad: unknown, expAvg: unknown, expAvgSq: unknown): void {
  expectTensor("adamwStep", `param ${i}`, param);
  for (const [name, t] of Object.entries({ param, grad, expAvg, expAvgSq })) {
    expectTensor("adamwStep", `${name} ${i}`, t);
    if (name === "grad" ? t.dtype !== "f32" && t.dtype !== "bf16" : t.dtype !== "f32") {
      throw new DTypeError(
        `adamwStep: ${name} ${i} has dtype ${t.dtype}; params and moments must be f32, grads f32 or bf16`,
      );
    }
    if (!sameShape(t.shape, param.shape))
      throw new ShapeError(
        `adamwStep: ${name} ${i} has shape ${formatShape(t.shape)}, param ${formatShape(param.shape)}`,
      );
    if (name !== "grad" && !t.isContiguous())
      throw new ArgumentError(`adamwStep: ${name} ${i} must be contiguous (it is updated in place)`);
  }
}

function checkCopies(copies: AdamWStepArgs["copies"], params: readonly Tensor<"f32">[]): AdamWStepArgs["copies"] {
  if (copies === undefined) return undefined;
  if (!Array.isArray(copies) || copies.length !== params.length)
    throw new ArgumentError(`adamwStep: copies must be an array of ${params.length} bf16 tensors or undefined entries`);
  copies.forEach((t, i) => {
    if (t === undefined) return;
    if (
      t instanceof Tensor &&
      !t.isDisposed &&
      t.dtype === "bf16" &&
      sameShape(t.shape, params[i]!.shape) &&
      t.isContiguous()
    )
      return;
    expectTensor("adamwStep", `copy ${i}`, t);
    if (t.dtype !== "bf16") throw new DTypeError(`adamwStep: copy ${i} has dtype ${t.dtype}; copies must be bf16`);
    if (!sameShape(t.shape, params[i]!.shape))
      throw new ShapeError(
        `adamwStep: copy ${i} has shape ${formatShape(t.shape)}, param ${formatShape(params[i]!.shape)}`,
      );
    if (!t.isContiguous()) throw new ArgumentError(`adamwStep: copy ${i} must be contiguous (it is written in place)`);
  });
  return copies;
}

/**
 * sqrt of the sum of squares of every element of every tensor (the global gradient norm), in f32.
 *
 * @example
 * const total = globalNorm(params.map((p) => p.grad!)).item();
 */
export function globalNorm(tensors: readonly Tensor<FloatDType>[]): Tensor<"f32"> {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new ArgumentError("globalNorm: expected a non-empty array of tensors");
  tensors.forEach((t, i) => {
    expectTensor("globalNorm", `tensor ${i}`, t);
    if (t.dtype !== "f32" && t.dtype !== "bf16")
      throw new DTypeError(`globalNorm: tensor ${i} must be f32 or bf16, got ${t.dtype}`);
  });
  const device = commonDevice("globalNorm", tensors);
  const y = emptyTensor([], "f32", device);
  const { c, release } = contiguousInputs(tensors);
  runKernel("globalNorm", "global_norm", c, [contiguousAs(y, [1])]);
  release();
  return y;
}
