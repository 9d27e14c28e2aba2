// Small stand-ins for the model, optimiser, sampler and schedule, made of existing ops, so the Trainer's
// tests exercise exactly the contracts in src/train/contracts.ts and run in seconds.
import { adamwStep, clone, crossEntropy, embedding, globalNorm, item, keep, matmul, noGrad, randn, zerosLike, type Tensor } from "../../src/index.js";
import { runKernel } from "../../src/ops/dispatch.js";
import type { Batch, BatchSource, OptimizerState, TrainableModel, TrainOptimizer } from "../../src/train/contracts.js";
import type { Schedule } from "../../src/schedule/schedule.js";

function copyValues(dst: Tensor, src: Tensor): void {
  noGrad(() => runKernel("test copy", "copy", [src], [dst]));
}

/** A bigram language model: logits = wte[ids] @ head. */
export class Bigram implements TrainableModel {
  readonly params: Record<string, Tensor<"f32">>;
  constructor(readonly vocab: number, width: number) {
    this.params = { "embed.weight": keep(randn([vocab, width], { std: 0.5 })), "head.weight": keep(randn([width, vocab], { std: 0.5 })) };
    for (const p of Object.values(this.params)) p.requiresGrad = true;
  }
  loss(inputIds: Tensor<"i32">, targets: Tensor<"i32">): Tensor<"f32"> {
    const [B, T] = inputIds.shape as [number, number];
    const logits = matmul(embedding(this.params["embed.weight"]!, inputIds.reshape([B * T])), this.params["head.weight"]!);
    return crossEntropy(logits, targets.reshape([B * T]));
  }
  stateDict(): Record<string, Tensor> {
    return { ...this.params };
  }
  loadStateDict(sd: Record<string, Tensor>): void {
    for (const [k, p] of Object.entries(this.params)) copyValues(p, sd[k]!);
  }
  dispose(): void {
    for (const p of Object.values(this.params)) p.dispose();
  }
}

/** AdamW over named parameters through the fused adamwStep kernel, with AdamW's contract (pending clip factor, state copies). */
export class TestAdamW implements TrainOptimizer {
  stepCount = 0;
  private readonly names: string[];
  private readonly params: Tensor<"f32">[];
  private readonly expAvg: Tensor<"f32">[];
  private readonly expAvgSq: Tensor<"f32">[];
  constructor(named: Record<string, Tensor<"f32">>, private readonly eps = 1e-8) {
    this.names = Object.keys(named);
    this.params = Object.values(named);
    this.expAvg = this.params.map((p) => keep(zerosLike(p)));
    this.expAvgSq = this.params.map((p) => keep(zerosLike(p)));
  }
  private pendingClip = 1;
  clipGradNorm(maxNorm: number): { norm: number; scale: number } {
    const norm = item(globalNorm(this.params.map((p) => p.grad!)));
    this.pendingClip = norm > maxNorm ? maxNorm / norm : 1;
    return { norm, scale: this.pendingClip };
  }
  step(lr: number): void {
    this.stepCount++;
    const gradScale = this.pendingClip;
    this.pendingClip = 1;
    const grads = this.params.map((p) => p.grad!);
    adamwStep({ params: this.params, grads, expAvg: this.expAvg, expAvgSq: this.expAvgSq, lr, weightDecay: 0.01, beta1: 0.9, beta2: 0.95, eps: this.eps, step: this.stepCount, gradScale });
  }
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor<"f32">> = {};
    this.names.forEach((n, i) => {
      tensors[`${n}.exp_avg`] = clone(this.expAvg[i]!);
      tensors[`${n}.exp_avg_sq`] = clone(this.expAvgSq[i]!);
    });
    return { meta: { stepCount: this.stepCount }, tensors };
  }
  loadStateDict(state: OptimizerState): void {
    this.stepCount = (state.meta as { stepCount: number }).stepCount;
    this.names.forEach((n, i) => {
      copyValues(this.expAvg[i]!, state.tensors[`${n}.exp_avg`]!);
      copyValues(this.expAvgSq[i]!, state.tensors[`${n}.exp_avg_sq`]!);
    });
  }
  dispose(): void {
    for (const t of [...this.expAvg, ...this.expAvgSq]) t.dispose();
  }
}

/**
 * Token stream of a noisy deterministic Markov chain (next = (3·cur + 1) mod V, with every 7th token
 * replaced by a pseudo-random one), read in consecutive windows: a batch of k·B rows is exactly k batches of
 * B rows in a row, which the gradient-accumulation test relies on.
 */
export function markovTokens(vocab: number, length: number, seed = 1): Int32Array {
  const out = new Int32Array(length);
  let s = seed;
  for (let i = 1; i < length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out[i] = i % 7 === 0 ? (s >>> 16) % vocab : (3 * out[i - 1]! + 1) % vocab;
  }
  return out;
}

/** The empirical conditional entropy H(next | current) of a token stream, in nats (float64): the lowest mean loss a bigram model can reach on it. */
export function bigramEntropy(tokens: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab * vocab);
  for (let i = 1; i < tokens.length; i++) counts[tokens[i - 1]! * vocab + tokens[i]!]!++;
  let h = 0;
  for (let a = 0; a < vocab; a++) {
    const row = counts.subarray(a * vocab, (a + 1) * vocab);
    const total = row.reduce((x, y) => x + y, 0);
    for (const c of row) if (c > 0) h -= (c / (tokens.length - 1)) * Math.log(c / total);
  }
  return h;
}

export class WindowSource implements BatchSource {
  private pos = 0;
  constructor(private readonly tokens: Int32Array, readonly batchSize: number, readonly seqLen: number, start = 0) {
    this.pos = start;
  }
  next(): Batch {
    const n = this.batchSize * this.seqLen;
    const inputs = new Int32Array(n);
    const targets = new Int32Array(n);
    for (let r = 0; r < this.batchSize; r++) {
      if (this.pos + this.seqLen + 1 > this.tokens.length) this.pos = 0;
      inputs.set(this.tokens.subarray(this.pos, this.pos + this.seqLen), r * this.seqLen);
      targets.set(this.tokens.subarray(this.pos + 1, this.pos + 1 + this.seqLen), r * this.seqLen);
      this.pos += this.seqLen;
    }
    return { inputs, targets, batchSize: this.batchSize, seqLen: this.seqLen };
  }
  state(): unknown {
    return { pos: this.pos };
  }
  setState(s: unknown): void {
    this.pos = (s as { pos: number }).pos;
  }
}

/** Warmup, constant, then linear decay to 10%: three named phases like WSD. */
export function phasedSchedule(lr: number, warmup: number, decayFrom: number, steps: number): Schedule & { phase(step: number): string } {
  return {
    at: (s) => (s < warmup ? (lr * (s + 1)) / warmup : s < decayFrom ? lr : lr * (1 - (0.9 * (s - decayFrom)) / (steps - decayFrom))),
    phase: (s) => (s < warmup ? "warmup" : s < decayFrom ? "stable" : "decay"),
    toJSON: () => ({ kind: "test-phased", lr, warmup, decayFrom, steps }),
  };
}
