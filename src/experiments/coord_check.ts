import type { Device } from "../backend/backend.js";
import { backward } from "../autograd/backward.js";
import type { Batch, BatchSource } from "../data/batch.js";
import { TokenSampler } from "../data/token_sampler.js";
import { ArgumentError } from "../errors.js";
import { withSeed } from "../init/normal.js";
import { MiniCPM } from "../models/minicpm/model.js";
import { randint, tensor } from "../ops/creation.js";
import { abs, sub } from "../ops/elementwise.js";
import { dataSync, item } from "../ops/readback.js";
import { mean } from "../ops/reduce.js";
import { AdamW } from "../optim/adamw.js";
import { noGrad } from "../tensor/graph.js";
import { keep, tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";

/** Options of coordCheck(). */
export interface CoordCheckOptions {
  /** Model widths C to compare (hidden_size), e.g. [64, 128, 256, 512]; each a multiple of headDim. */
  widths: readonly number[];
  /** AdamW updates per width; activations are recorded before the first and after each. */
  steps: number;
  /** true: μP (use_mup, μP init and learning-rate multipliers); false: standard parametrisation. */
  mup: boolean;
  /** Seeds the weights and the random tokens; the same for every width. Default 0. */
  seed?: number;
  /** Base learning rate, the same for every width. Default 0.01 (MiniCPM's). */
  lr?: number;
  /** Decoder layers. Default 2. */
  layers?: number;
  /** Head dim D (heads = C / D). Default 32. */
  headDim?: number;
  /** μP's dim_model_base. Default the smallest width, where μP's width multiplier m is 1. */
  baseWidth?: number;
  /** Under μP, whether the tied embedding trains at lr / m (MiniCPMConfig.mup_embedding_lr_scaled). Default true. */
  embeddingLrScaled?: boolean;
  /** Vocabulary size of the random tokens (and of the models). Default 256. */
  vocabSize?: number;
  /** Rows and tokens per batch of random tokens. Defaults 4 and 16. */
  batchSize?: number;
  seqLen?: number;
  /**
   * Batches to use instead of random tokens (ids below vocabSize): the first is the probe whose activations
   * are recorded, the next `steps` are trained on. Rewound to its state at the call for every width, so that
   * each width sees the same batches.
   */
  data?: BatchSource;
  /** AdamW weight decay. Default 0, so that only the gradient moves the weights. */
  weightDecay?: number;
  device?: Device;
}

/** What coordCheck() measured, on one fixed probe batch. Indices: [width][t][output], t = updates so far (0..steps). */
export interface CoordCheckResult {
  mup: boolean;
  widths: number[];
  /** Names of the measured outputs: "embedding", "layers.0", ..., "norm" (the final RMSNorm), "logits". */
  outputs: string[];
  /** Mean |x| over all coordinates of each output. */
  meanAbs: number[][][];
  /** Mean |x_t − x_0|: how far the updates have moved each output's coordinates. */
  meanAbsChange: number[][][];
  /** loss[width][t]: the probe batch's loss. */
  loss: number[][];
}

function checkWhole(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    throw new ArgumentError(`coordCheck: ${name} must be a whole number >= ${min}, got ${String(value)}`);
  return value;
}

/** The options with their defaults, checked. */
function resolveOptions(options: CoordCheckOptions) {
  const { widths, mup } = options;
  if (!Array.isArray(widths) || widths.length === 0)
    throw new ArgumentError("coordCheck: widths must be a non-empty array of model widths");
  if (typeof mup !== "boolean") throw new ArgumentError(`coordCheck: mup must be true or false, got ${String(mup)}`);
  const steps = checkWhole("steps", options.steps, 0);
  const seed = checkWhole("seed", options.seed ?? 0, 0);
  const headDim = checkWhole("headDim", options.headDim ?? 32, 2);
  const vocabSize = checkWhole("vocabSize", options.vocabSize ?? 256, 2);
  for (const C of widths) {
    if (checkWhole("each width", C, headDim) % headDim !== 0)
      throw new ArgumentError(`coordCheck: each width must be a multiple of headDim (${headDim}), got ${C}`);
  }
  const lr = options.lr ?? 0.01;
  if (typeof lr !== "number" || !(lr > 0) || !Number.isFinite(lr))
    throw new ArgumentError(`coordCheck: lr must be a finite number > 0, got ${String(lr)}`);
  const embeddingLrScaled = options.embeddingLrScaled ?? true;
  if (typeof embeddingLrScaled !== "boolean")
    throw new ArgumentError(`coordCheck: embeddingLrScaled must be true or false, got ${String(embeddingLrScaled)}`);
  const batchSize = checkWhole("batchSize", options.batchSize ?? 4, 1);
  const seqLen = checkWhole("seqLen", options.seqLen ?? 16, 1);
  return {
    widths: [...widths],
    mup,
    steps,
    seed,
    lr,
    headDim,
    vocabSize,
    embeddingLrScaled,
    layers: checkWhole("layers", options.layers ?? 2, 1),
    baseWidth: checkWhole("baseWidth", options.baseWidth ?? Math.min(...widths), 1),
    weightDecay: options.weightDecay ?? 0,
    device: options.device,
    data: options.data ?? randomTokens(vocabSize, batchSize, seqLen, steps + 1, seed),
  };
}

/**
 * The coordinate check of μP (Yang et al., Tensor Programs V): trains MiniCPM models that differ only in
 * width for a few AdamW steps at one base learning rate and records, on a fixed probe batch, the mean
 * absolute value of every layer's output and how far the updates moved it. Under μP nothing grows with
 * width; under the standard parametrisation Adam moves each coordinate by about lr·fan_in, so hidden states
 * and logits grow with width and a learning rate tuned at one width does not carry over to another.
 * Models are CPU-sized (by default 2 layers, 4 × 16-token batches of random tokens).
 *
 * @example
 * const widths = [64, 128, 256, 512];
 * const mup = coordCheck({ widths, steps: 3, mup: true });
 * const sp = coordCheck({ widths, steps: 3, mup: false });
 * const last = (r: CoordCheckResult, k: number) => r.meanAbs.map((perStep) => perStep.at(-1)![k]!);
 * console.log(last(mup, 2), last(sp, 2)); // layers.1: about 1.3 → 0.8 under μP, 1.0 → 18 standard
 */
export function coordCheck(options: CoordCheckOptions): CoordCheckResult {
  const o = resolveOptions(options);
  const start = o.data.state();
  const outputs = ["embedding", ...Array.from({ length: o.layers }, (_, i) => `layers.${i}`), "norm", "logits"];
  const result: CoordCheckResult = { mup: o.mup, widths: o.widths, outputs, meanAbs: [], meanAbsChange: [], loss: [] };
  for (const C of o.widths) {
    o.data.setState(start);
    const config = {
      vocab_size: o.vocabSize,
      hidden_size: C,
      num_hidden_layers: o.layers,
      num_attention_heads: C / o.headDim,
      intermediate_size: Math.round(2.5 * C), // MiniCPM's ffn ratio
      dim_model_base: o.baseWidth,
      max_position_embeddings: 1 << 16, // RoPE has no table: only a bound on the sequence length
      use_mup: o.mup,
      mup_embedding_lr_scaled: o.embeddingLrScaled,
    };
    const model = new MiniCPM(config, {
      seed: o.seed,
      init: o.mup ? "mup" : "standard",
      device: o.device,
      computeDType: "f32",
    });
    try {
      const run = trainAndProbe(model, o.data, o);
      result.meanAbs.push(run.meanAbs);
      result.meanAbsChange.push(run.meanAbsChange);
      result.loss.push(run.loss);
    } finally {
      model.dispose();
    }
  }
  return result;
}

/** `batches` batches of uniformly random tokens drawn from `seed`. */
function randomTokens(
  vocabSize: number,
  batchSize: number,
  seqLen: number,
  batches: number,
  seed: number,
): BatchSource {
  const ids = withSeed(seed, () => tidy(() => dataSync(randint(0, vocabSize, [batches * batchSize * (seqLen + 1)]))));
  return new TokenSampler(Int32Array.from(ids), { batchSize, seqLen, seed });
}

/** i32 [B, T] inputs and targets of a batch. */
function tensorsOf(batch: Batch, device: Device | undefined): { inputs: Tensor<"i32">; targets: Tensor<"i32"> } {
  const shape = [batch.batchSize, batch.seqLen];
  return { inputs: tensor(batch.inputs, { shape, device }), targets: tensor(batch.targets, { shape, device }) };
}

/** Probes `model` on the first batch of `data`, then after each of `steps` AdamW updates on the next batches. */
function trainAndProbe(
  model: MiniCPM,
  data: BatchSource,
  { steps, lr, weightDecay, device }: { steps: number; lr: number; weightDecay: number; device: Device | undefined },
): { meanAbs: number[][]; meanAbsChange: number[][]; loss: number[] } {
  const probe = tensorsOf(data.next(), device);
  keep(probe.inputs);
  keep(probe.targets);
  const optimizer = new AdamW(model.parameterGroups({ weightDecay }));
  const meanAbs: number[][] = [];
  const meanAbsChange: number[][] = [];
  const loss: number[] = [];
  let initial: Tensor<"f32">[] = [];
  try {
    for (let t = 0; t <= steps; t++) {
      if (t > 0) {
        const batch = data.next();
        tidy(() => {
          const { inputs, targets } = tensorsOf(batch, device);
          backward(model.loss(inputs, targets));
          optimizer.step(lr);
          optimizer.zeroGrad();
        });
      }
      noGrad(() =>
        tidy(() => {
          const out = model.forward(probe.inputs, { targets: probe.targets, outputHiddenStates: true });
          const xs = [...out.hiddenStates!, out.logits];
          if (t === 0) initial = xs.map((x) => keep(x));
          meanAbs.push(xs.map((x) => item(mean(abs(x)))));
          meanAbsChange.push(xs.map((x, k) => item(mean(abs(sub(x, initial[k]!))))));
          loss.push(item(out.loss!));
        }),
      );
    }
  } finally {
    for (const x of [...initial, probe.inputs, probe.targets]) x.dispose();
    optimizer.dispose();
  }
  return { meanAbs, meanAbsChange, loss };
}
