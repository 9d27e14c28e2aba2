import type { Device } from "../backend/backend.js";
import { ArgumentError } from "../errors.js";
import { ones } from "../ops/creation.js";
import { rmsNorm } from "../ops/rmsnorm.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkSize } from "./linear.js";
import { Module } from "./module.js";

/**
 * RMSNorm over the last dim with a learned scale (starts at 1), as in Llama and MiniCPM.
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
    if (typeof this.eps !== "number" || !(this.eps >= 0)) throw new ArgumentError(`RMSNorm: eps must be a number >= 0, got ${String(this.eps)}`);
    this.weight = this.registerParameter("weight", ones([checkSize("RMSNorm", "size", size)], { device: opts.device }));
  }

  forward(x: Tensor<"f32">): Tensor<"f32"> {
    return rmsNorm(x, this.weight, this.eps);
  }
}
