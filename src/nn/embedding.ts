import { DTypeError } from "../errors.js";
import { embedding } from "../ops/indexing.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkSize, initialWeight, type LayerOptions } from "./linear.js";
import { Module } from "./module.js";

/**
 * A lookup table of `numEmbeddings` rows of width `embeddingDim` (weight [V, C], N(0, 1) by default).
 * The lookup reads the f32 weight in every compute dtype: a gather is exact and cheap, and its rows feed
 * an f32 residual stream (a tied LM head reads the bf16 shadow instead; see MiniCPM).
 *
 * @example
 * const wte = new Embedding(1000, 64);
 * wte.forward(tensor([[1, 2, 3]], { dtype: "i32" })); // [1, 3, 64]
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly weight: Tensor<"f32">;

  constructor(numEmbeddings: number, embeddingDim: number, opts: LayerOptions = {}) {
    super();
    this.numEmbeddings = checkSize("Embedding", "numEmbeddings", numEmbeddings);
    this.embeddingDim = checkSize("Embedding", "embeddingDim", embeddingDim);
    this.weight = this.registerParameter(
      "weight",
      initialWeight("Embedding", [numEmbeddings, embeddingDim], opts.std ?? 1, opts.device),
    );
  }

  /** ids i32 [...] -> [..., C]. */
  forward(ids: Tensor<"i32">): Tensor<"f32"> {
    if (ids?.dtype !== "i32")
      throw new DTypeError(`Embedding.forward: ids must be an i32 tensor, got ${ids?.dtype ?? String(ids)}`);
    return embedding(this.weight, ids);
  }
}
