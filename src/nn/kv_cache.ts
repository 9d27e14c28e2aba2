import { ArgumentError, AutogradError, ShapeError } from "../errors.js";
import { cat, clone } from "../ops/views.js";
import type { FloatDType } from "../tensor/dtype.js";
import { isGradEnabled } from "../tensor/graph.js";
import { keep } from "../tensor/scope.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

/** The keys and values one attention layer has seen so far: [B, Hkv, S, D] each. */
export class LayerKVCache {
  private k: Tensor<FloatDType> | undefined;
  private v: Tensor<FloatDType> | undefined;

  /** The number of cached positions S. */
  get length(): number {
    return this.k?.shape[2] ?? 0;
  }

  /**
   * Appends this step's keys and values [B, Hkv, T, D] and returns all of them [B, Hkv, S + T, D]. The cache
   * owns the returned tensors (do not dispose them). Inference only: call it inside noGrad().
   */
  append(k: Tensor<FloatDType>, v: Tensor<FloatDType>): [Tensor<FloatDType>, Tensor<FloatDType>] {
    if (isGradEnabled())
      throw new AutogradError("KVCache: the cache is for inference; run the forward pass inside noGrad()");
    if (
      this.k &&
      (k.shape[0] !== this.k.shape[0] || k.shape[1] !== this.k.shape[1] || k.shape[3] !== this.k.shape[3])
    ) {
      throw new ShapeError(
        `KVCache: new keys ${formatShape(k.shape)} do not continue cached keys ${formatShape(this.k.shape)}`,
      );
    }
    const nextK = keep(this.k ? cat([this.k, k], 2) : clone(k));
    const nextV = keep(this.v ? cat([this.v, v], 2) : clone(v));
    this.dispose();
    this.k = nextK;
    this.v = nextV;
    return [nextK, nextV];
  }

  /** Frees the cached tensors; the cache starts empty again. */
  dispose(): void {
    this.k?.dispose();
    this.v?.dispose();
    this.k = undefined;
    this.v = undefined;
  }
}

/**
 * Keys and values of every attention layer for incremental decoding: the prompt is run once, then each new
 * token attends to the cache instead of recomputing it.
 *
 * @example
 * const cache = new KVCache(model.config.num_hidden_layers);
 * noGrad(() => model.forward(promptIds, { cache }));  // fills the cache
 * noGrad(() => model.forward(nextId, { cache }));     // one new position
 * cache.dispose();
 */
export class KVCache {
  readonly layers: readonly LayerKVCache[];

  constructor(numLayers: number) {
    if (!Number.isInteger(numLayers) || numLayers <= 0)
      throw new ArgumentError(`KVCache: numLayers must be a whole number > 0, got ${String(numLayers)}`);
    this.layers = Array.from({ length: numLayers }, () => new LayerKVCache());
  }

  /** Cached positions (of the first layer; all layers agree between forward passes). */
  get length(): number {
    return this.layers[0]!.length;
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}
