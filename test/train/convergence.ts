// A short MiniCPM training run on a seeded Markov token stream, shared by the CPU mixed-precision test
// (test/train/mixed_precision.test.ts) and the CUDA training and leak tests (test/cuda/training.test.ts,
// test/cuda/leak.test.ts): the same seed, data and optimiser on every device and compute dtype.
import * as S from "../../src/index.js";
import { markovTokens } from "./fixtures.js";

export const VOCAB = 64;
const CONFIG: S.MiniCPMConfigInput = {
  vocab_size: VOCAB,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 160,
  dim_model_base: 16,
  max_position_embeddings: 64,
};
const B = 8;
const T = 32;
const TOKENS = markovTokens(VOCAB, 1 << 15, 5);

export interface RunOptions {
  device: S.Device;
  computeDType: S.ComputeDType;
  steps: number;
  /** Called after every step with its index (for memory checks). */
  afterStep?: (step: number) => void;
}

/** Batch `step`: B windows of T + 1 tokens at offsets that depend only on the step. */
function batch(step: number, device: S.Device): { inputs: S.Tensor<"i32">; targets: S.Tensor<"i32"> } {
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const start = ((step * B + b) * 977) % (TOKENS.length - T - 1);
    inputs.set(TOKENS.subarray(start, start + T), b * T);
    targets.set(TOKENS.subarray(start + 1, start + T + 1), b * T);
  }
  return { inputs: S.tensor(inputs, { shape: [B, T], device }), targets: S.tensor(targets, { shape: [B, T], device }) };
}

/** The training loss of every step: μP init (seed 0), AdamW at a constant lr 0.02 with clipping at 1. */
export function trainLosses({ device, computeDType, steps, afterStep }: RunOptions): number[] {
  const model = new S.MiniCPM(CONFIG, { device, computeDType, seed: 0 });
  const optimizer = new S.AdamW(model.parameterGroups({ weightDecay: 0.1 }));
  const losses: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const { inputs, targets } = batch(step, device);
      const loss = model.loss(inputs, targets);
      loss.backward();
      losses.push(loss.item());
      optimizer.clipGradNorm(1);
      optimizer.step(0.02);
      optimizer.zeroGrad();
      for (const t of [inputs, targets, loss]) t.dispose();
      afterStep?.(step);
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return losses;
}

/** Mean of xs[from, to). */
export function mean(xs: readonly number[], from = 0, to = xs.length): number {
  return xs.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);
}
