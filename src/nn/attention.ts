import type { Device } from "../backend/backend.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { attention } from "../ops/attention.js";
import { cast } from "../ops/operands.js";
import { rope } from "../ops/rope.js";
import { reshape, transpose } from "../ops/views.js";
import type { FloatDType } from "../tensor/dtype.js";
import { tidy } from "../tensor/scope.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { LayerKVCache } from "./kv_cache.js";
import { checkSize, Linear } from "./linear.js";
import { Module } from "./module.js";

/** Sizes of a CausalSelfAttention block. */
export interface AttentionShape {
  hiddenSize: number;
  numHeads: number;
  /** Key/value heads; must divide numHeads (grouped-query attention). Default numHeads. */
  numKvHeads?: number;
  /** RoPE base. Default 10000. */
  ropeTheta?: number;
  device?: Device;
  /** Std of the initial projection weights (see Linear); 0 leaves them zero. */
  std?: number;
}

/** Options of CausalSelfAttention.forward(). */
export interface AttentionForwardOptions {
  /** Position of the first token, for RoPE. Default: the cache length, or 0. */
  positionOffset?: number;
  /** This layer's KV cache (inference): new keys/values are appended and all of them attended to. */
  cache?: LayerKVCache;
}

/**
 * Multi-head causal self-attention with grouped-query heads and rotary position embeddings (rotate-half),
 * Llama/MiniCPM style: projections q_proj, k_proj, v_proj, o_proj without biases, scale 1/sqrt(D).
 * Computes in `computeDType`: x is cast once, RoPE and attention run on that dtype (the kernels keep
 * softmax statistics in f32) and the result has that dtype.
 *
 * @example
 * const attn = new CausalSelfAttention({ hiddenSize: 32, numHeads: 4, numKvHeads: 2 });
 * attn.forward(randn([2, 5, 32])); // [2, 5, 32]
 */
export class CausalSelfAttention extends Module {
  readonly hiddenSize: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly ropeTheta: number;
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly oProj: Linear;

  constructor(shape: AttentionShape) {
    super();
    const C = checkSize("CausalSelfAttention", "hiddenSize", shape.hiddenSize);
    const H = checkSize("CausalSelfAttention", "numHeads", shape.numHeads);
    const Hkv = checkSize("CausalSelfAttention", "numKvHeads", shape.numKvHeads ?? H);
    if (C % H !== 0)
      throw new ArgumentError(`CausalSelfAttention: hiddenSize (${C}) must be a multiple of numHeads (${H})`);
    if (H % Hkv !== 0) throw new ArgumentError(`CausalSelfAttention: numKvHeads (${Hkv}) must divide numHeads (${H})`);
    if ((C / H) % 2 !== 0)
      throw new ArgumentError(`CausalSelfAttention: the head dim (${C / H}) must be even for RoPE`);
    this.hiddenSize = C;
    this.numHeads = H;
    this.numKvHeads = Hkv;
    this.headDim = C / H;
    this.ropeTheta = shape.ropeTheta ?? 10000;
    const opts = { device: shape.device, std: shape.std };
    this.qProj = this.registerModule("q_proj", new Linear(C, C, opts));
    this.kProj = this.registerModule("k_proj", new Linear(C, Hkv * this.headDim, opts));
    this.vProj = this.registerModule("v_proj", new Linear(C, Hkv * this.headDim, opts));
    this.oProj = this.registerModule("o_proj", new Linear(C, C, opts));
  }

  /** x [B, T, C] -> [B, T, C]; query t attends to keys at positions <= t (plus everything cached). */
  forward(x: Tensor<FloatDType>, opts: AttentionForwardOptions = {}): Tensor<FloatDType> {
    if (x.ndim !== 3 || x.shape[2] !== this.hiddenSize)
      throw new ShapeError(
        `CausalSelfAttention.forward: x must be [B, T, ${this.hiddenSize}], got ${formatShape(x.shape)}`,
      );
    const [B, T] = x.shape as [number, number, number];
    const cached = opts.cache?.length ?? 0;
    const positionOffset = opts.positionOffset ?? cached;
    return tidy(() => {
      // [B, T, heads * D] -> [B, heads, T, D]
      const heads = (y: Tensor<FloatDType>, n: number) => transpose(reshape(y, [B, T, n, this.headDim]), 1, 2);
      const xc = cast(x, this.computeDType) as Tensor<FloatDType>; // once for the three projections
      const q = rope(heads(this.qProj.forward(xc), this.numHeads), { theta: this.ropeTheta, positionOffset });
      let k = rope(heads(this.kProj.forward(xc), this.numKvHeads), { theta: this.ropeTheta, positionOffset });
      let v = heads(this.vProj.forward(xc), this.numKvHeads);
      if (opts.cache) [k, v] = opts.cache.append(k, v);
      const o = attention(q, k, v, { causal: true, kvOffset: cached });
      return this.oProj.forward(reshape(transpose(o, 1, 2), [B, T, this.hiddenSize]));
    });
  }
}
