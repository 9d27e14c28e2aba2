import type { Device } from "../backend/backend.js";
import { cast } from "../ops/operands.js";
import { swiglu } from "../ops/swiglu.js";
import type { FloatDType } from "../tensor/dtype.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkSize, Linear } from "./linear.js";
import { Module } from "./module.js";

/**
 * The SwiGLU feed-forward block of Llama and MiniCPM: down_proj(silu(gate_proj(x)) * up_proj(x)), no biases.
 * Computes in `computeDType` (x is cast once, the result has that dtype).
 *
 * @example
 * const mlp = new SwiGLUMLP(32, 80);
 * mlp.forward(randn([2, 5, 32])); // [2, 5, 32]
 */
export class SwiGLUMLP extends Module {
  readonly gateProj: Linear;
  readonly upProj: Linear;
  readonly downProj: Linear;

  constructor(hiddenSize: number, intermediateSize: number, opts: { device?: Device; std?: number } = {}) {
    super();
    const C = checkSize("SwiGLUMLP", "hiddenSize", hiddenSize);
    const F = checkSize("SwiGLUMLP", "intermediateSize", intermediateSize);
    this.gateProj = this.registerModule("gate_proj", new Linear(C, F, opts));
    this.upProj = this.registerModule("up_proj", new Linear(C, F, opts));
    this.downProj = this.registerModule("down_proj", new Linear(F, C, opts));
  }

  /** x [..., C] -> [..., C], in computeDType. */
  forward(x: Tensor<FloatDType>): Tensor<FloatDType> {
    return tidy(() => {
      const xc = cast(x, this.computeDType) as Tensor<FloatDType>; // once for both projections
      return this.downProj.forward(swiglu(this.gateProj.forward(xc), this.upProj.forward(xc)));
    });
  }
}
