import type { Device } from "../backend/backend.js";
import { ArgumentError } from "../errors.js";
import { ones } from "../ops/creation.js";
import { cast } from "../ops/operands.js";
import { rmsNorm } from "../ops/rmsnorm.js";
import type { FloatDType } from "../tensor/dtype.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkSize } from "./linear.js";
import { Module } from "./module.js";

/**
 * RMSNorm over the last dim with a learned scale (starts at 1), as in Llama and MiniCPM. The statistics
 * are f32 whatever x's dtype (the kernel widens bf16); y has x's dtype, and for a bf16 x the f32 weight is
 * cast to bf16 (a [C] cast, differentiable into the f32 weight). The compute dtype does not change it.
 *
 * @example
 * const norm = new RMSNorm(64, { eps: 1e-5 });
 * norm.forward(randn([2, 3, 64])); // [2, 3, 64]
 */
export class RMSNorm extends Module {
  readonly eps: number;
  readonly weight: Tensor<"f32">;

  constructor(size: number, opts: { eps?: number; device?: Device } = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    if (typeof this.eps !== "number" || !(this.eps >= 0))
      throw new ArgumentError(`RMSNorm: eps must be a number >= 0, got ${String(this.eps)}`);
    this.weight = this.registerParameter("weight", ones([checkSize("RMSNorm", "size", size)], { device: opts.device }));
  }

  forward<D extends FloatDType>(x: Tensor<D>): Tensor<D> {
    if (x?.dtype !== "bf16") return rmsNorm(x, this.weight as Tensor<D>, this.eps);
    return tidy(() => rmsNorm(x, cast(this.weight, x.dtype), this.eps));
  }
}
