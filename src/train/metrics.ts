/** One line of `metrics.jsonl`: what the Trainer logs at a logging or evaluation step. */
export interface MetricsRecord {
  /** Optimiser steps completed (1-based). */
  step: number;
  /** Mean training loss over the steps since the previous record. */
  loss: number;
  /** The scheduled learning rate of this step's update. */
  lr: number;
  /** Global gradient norm of this step, before clipping. */
  gradNorm: number;
  /** Training tokens per second since the previous record. */
  tokensPerSec: number;
  /** Training tokens seen so far. */
  tokens: number;
  /** Seconds of training so far (summed over resumed sessions). */
  elapsed: number;
  /** Mean validation loss, on steps where the model was evaluated. */
  valLoss?: number;
}
