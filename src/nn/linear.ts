import type { Device } from "../backend/backend.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { randn, zeros } from "../ops/creation.js";
import { add } from "../ops/elementwise.js";
import { matmul } from "../ops/matmul.js";
import { cast } from "../ops/operands.js";
import { transpose } from "../ops/views.js";
import type { FloatDType } from "../tensor/dtype.js";
import { tidy } from "../tensor/scope.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";
import { computeWeight } from "./shadow.js";

/** Options of Linear and Embedding. */
export interface LayerOptions {
  device?: Device;
  /** Std of the normal initial weights; 0 leaves them zero (for a model that initialises them itself). */
  std?: number;
}

/** Checks a layer size and returns it. */
export function checkSize(layer: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new ArgumentError(`${layer}: ${name} must be a whole number > 0, got ${String(value)}`);
  return value;
}

/** A weight tensor: N(0, std²), or zeros when std is 0. */
export function initialWeight(layer: string, shape: number[], std: number, device: Device | undefined): Tensor<"f32"> {
  if (typeof std !== "number" || !(std >= 0) || !Number.isFinite(std))
    throw new ArgumentError(`${layer}: std must be a finite number >= 0, got ${String(std)}`);
  return std === 0 ? zeros(shape, { device }) : randn(shape, { std, device });
}

/**
 * y = x Wᵀ (+ b), with the weight in Hugging Face layout [out, in]. No bias unless asked for. The weight
 * starts N(0, 1/in) unless `std` says otherwise. Computes in `computeDType`: under "bf16" x is cast to
 * bf16 (if it is not already), the weight's bf16 shadow is used and y is bf16 (f32 accumulation).
 *
 * @example
 * const proj = new Linear(32, 64);
 * proj.forward(randn([2, 5, 32])); // [2, 5, 64]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor<"f32">;
  readonly bias: Tensor<"f32"> | undefined;

  constructor(inFeatures: number, outFeatures: number, opts: LayerOptions & { bias?: boolean } = {}) {
    super();
    this.inFeatures = checkSize("Linear", "inFeatures", inFeatures);
    this.outFeatures = checkSize("Linear", "outFeatures", outFeatures);
    const weight = initialWeight(
      "Linear",
      [outFeatures, inFeatures],
      opts.std ?? 1 / Math.sqrt(inFeatures),
      opts.device,
    );
    this.weight = this.registerParameter("weight", weight, { shadow: true });
    this.bias = opts.bias
      ? this.registerParameter("bias", zeros([outFeatures], { device: opts.device }), { shadow: true })
      : undefined;
  }

  /** x [..., in] -> [..., out], in computeDType. */
  forward(x: Tensor<FloatDType>): Tensor<FloatDType> {
    if (x.shape[x.ndim - 1] !== this.inFeatures)
      throw new ShapeError(`Linear.forward: x must end in ${this.inFeatures} features, got ${formatShape(x.shape)}`);
    return tidy(() => {
      const y = matmul(cast(x, this.computeDType) as Tensor<FloatDType>, transpose(computeWeight(this.weight), 0, 1));
      return this.bias ? add(y, computeWeight(this.bias)) : y;
    });
  }
}
