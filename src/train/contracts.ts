/**
 * What the Trainer needs from its collaborators, stated structurally: MiniCPM (or any nn Module with a
 * `loss` method), the AdamW optimiser and the data samplers satisfy these without depending on the trainer.
 */
import type { Tensor } from "../tensor/tensor.js";

/** A model the Trainer can fit: it computes a scalar training loss and saves and loads its weights by name. */
export interface TrainableModel {
  /** Mean cross-entropy of predicting `targets` [B, T] from `inputIds` [B, T] (a scalar that backward() accepts). */
  loss(inputIds: Tensor<"i32">, targets: Tensor<"i32">): Tensor<"f32">;
  /** The parameters themselves, by (Hugging Face) name. */
  stateDict(): Record<string, Tensor>;
  /** Copies values into the parameters; the caller keeps ownership of the given tensors. */
  loadStateDict(stateDict: Record<string, Tensor>, opts?: { strict?: boolean }): void;
  /** Training mode (dropout and the like), if the model has one. */
  train?(mode?: boolean): unknown;
  /** Evaluation mode, if the model has one. */
  eval?(): unknown;
}

/** An optimiser's saved state: JSON-able settings and counters plus its state tensors by name. */
export interface OptimizerState {
  meta: unknown;
  tensors: Record<string, Tensor<"f32">>;
}

/** The optimiser interface the Trainer drives (AdamW implements it). */
export interface TrainOptimizer {
  /**
   * Global gradient norm and the factor min(1, maxNorm / norm) that the optimiser folds into its next
   * step() (the gradients themselves are not rewritten).
   */
  clipGradNorm(maxNorm: number): { norm: number; scale: number };
  /** One update at the scheduled rate (times each group's multiplier), with any pending clip factor applied. */
  step(lr: number): void;
  /** Drops every parameter's gradient. */
  zeroGrad(): void;
  /** A copy of the state; the caller owns (and disposes) the tensors. */
  stateDict(): OptimizerState;
  /** Copies a saved state in; the caller keeps ownership of the given tensors. */
  loadStateDict(state: OptimizerState): void;
}

/** Batches come from the data samplers' contract (TokenSampler, MixtureSampler). */
export type { Batch, BatchSource } from "../data/batch.js";
