import { adamwStep, globalNorm } from "../ops/adamw.js";
import { randn, tensor, zerosLike } from "../ops/creation.js";
import { crossEntropy } from "../ops/cross_entropy.js";
import { embedding } from "../ops/indexing.js";
import { matmul } from "../ops/matmul.js";
import { manualSeed } from "../ops/random_state.js";
import { item } from "../ops/readback.js";
import { rmsNorm } from "../ops/rmsnorm.js";
import { swiglu } from "../ops/swiglu.js";
import { add } from "../ops/elementwise.js";
import { backward } from "../autograd/backward.js";
import { memory } from "../tensor/memory.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { ones } from "../ops/creation.js";
import { attention } from "../ops/attention.js";
import { rope } from "../ops/rope.js";

const TEXT = `It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.
However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so well
fixed in the minds of the surrounding families, that he is considered as the rightful property of some one or other of their daughters.`;

/** Options of the demo run. */
export interface DemoOptions {
  steps: number;
  lr: number;
  seed: number;
  log: (line: string) => void;
}

/**
 * The foundation's end-to-end job: a one-block character-level transformer (embedding, RMSNorm, causal
 * attention with RoPE, a SwiGLU MLP, residuals, a linear head) trained with cross-entropy and the fused
 * AdamW step on the CPU. Returns the first and last losses.
 */
export function runDemo(opts: DemoOptions): { first: number; last: number } {
  manualSeed(opts.seed);
  const chars = [...new Set(TEXT)].sort();
  const ids = Int32Array.from(TEXT, (c) => chars.indexOf(c));
  const V = chars.length;
  const C = 64;
  const F = 160;
  const H = 4;
  const D = C / H;
  const param = (shape: number[], std: number): Tensor<"f32"> => {
    const p = randn(shape, { std });
    p.requiresGrad = true;
    return p;
  };
  const params = {
    wte: param([V, C], 0.1),
    attnNorm: ones([C], { requiresGrad: true }),
    wq: param([C, C], 1 / Math.sqrt(C)),
    wk: param([C, C], 1 / Math.sqrt(C)),
    wv: param([C, C], 1 / Math.sqrt(C)),
    wo: param([C, C], 1 / Math.sqrt(C)),
    mlpNorm: ones([C], { requiresGrad: true }),
    gate: param([C, F], 1 / Math.sqrt(C)),
    up: param([C, F], 1 / Math.sqrt(C)),
    down: param([F, C], 1 / Math.sqrt(F)),
    head: param([C, V], 1 / Math.sqrt(C)),
  };
  const list = Object.values(params);
  const expAvg = list.map((p) => zerosLike(p));
  const expAvgSq = list.map((p) => zerosLike(p));
  const inputs = tensor(ids.subarray(0, ids.length - 1));
  const targets = tensor(ids.subarray(1));
  const startBytes = memory().numBytes;
  let first = NaN;
  let last = NaN;
  for (let step = 1; step <= opts.steps; step++) {
    const loss = tidy(() => {
      const T = inputs.shape[0]!;
      const heads = (t: Tensor<"f32">) => t.reshape([1, T, H, D]).permute([0, 2, 1, 3]);
      const x = embedding(params.wte, inputs);
      const a = rmsNorm(x, params.attnNorm);
      const q = rope(heads(matmul(a, params.wq)));
      const k = rope(heads(matmul(a, params.wk)));
      const mixed = attention(q, k, heads(matmul(a, params.wv)), { causal: true });
      const x2 = add(x, matmul(mixed.permute([0, 2, 1, 3]).reshape([T, C]), params.wo));
      const m = rmsNorm(x2, params.mlpNorm);
      const logits = matmul(
        add(x2, matmul(swiglu(matmul(m, params.gate), matmul(m, params.up)), params.down)),
        params.head,
      );
      const l = crossEntropy(logits, targets);
      backward(l);
      return item(l);
    });
    tidy(() => {
      const grads = list.map((p) => p.grad!);
      const norm = item(globalNorm(grads));
      adamwStep({
        params: list,
        grads,
        expAvg,
        expAvgSq,
        lr: opts.lr,
        weightDecay: 0,
        beta1: 0.9,
        beta2: 0.95,
        eps: 1e-8,
        step,
        gradScale: norm > 1 ? 1 / norm : 1,
      });
    });
    for (const p of list) p.zeroGrad();
    if (step === 1) first = loss;
    last = loss;
    if (step === 1 || step % 25 === 0 || step === opts.steps)
      opts.log(
        `step ${String(step).padStart(4)}  loss ${loss.toFixed(4)}  live bytes ${memory().numBytes - startBytes}`,
      );
  }
  for (const t of [...list, ...expAvg, ...expAvgSq, inputs, targets]) t.dispose();
  return { first, last };
}
