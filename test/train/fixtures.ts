// A bigram language model made of nn layers, and a token stream with a known loss floor, so the Trainer's
// tests run the real AdamW, WSD and TokenSampler in seconds.
import { crossEntropy, tidy, type Tensor } from "../../src/index.js";
import { Embedding } from "../../src/nn/embedding.js";
import { Linear } from "../../src/nn/linear.js";
import { Module } from "../../src/nn/module.js";
import { AdamW } from "../../src/optim/adamw.js";
import type { TrainableModel } from "../../src/train/contracts.js";

/** logits = head(embed(ids)): the best it can do is the data's bigram statistics. */
export class Bigram extends Module implements TrainableModel {
  readonly embed: Embedding;
  readonly head: Linear;
  constructor(vocab: number, width: number) {
    super();
    this.embed = this.registerModule("embed", new Embedding(vocab, width, { std: 0.5 }));
    this.head = this.registerModule("head", new Linear(width, vocab, { std: 0.5 }));
  }
  loss(inputIds: Tensor<"i32">, targets: Tensor<"i32">): Tensor<"f32"> {
    const [B, T] = inputIds.shape as [number, number];
    return tidy(() =>
      crossEntropy(this.head.forward(this.embed.forward(inputIds.reshape([B * T]))), targets.reshape([B * T])),
    );
  }
}

/** AdamW with one group over all of `model`'s parameters. */
export function adamwFor(model: Module): AdamW {
  const named = model.namedParameters();
  return new AdamW([
    {
      name: "all",
      params: named.map(([, p]) => p),
      paramNames: named.map(([n]) => n),
      lrMultiplier: 1,
      weightDecay: 0.01,
    },
  ]);
}

/**
 * Token stream of a noisy deterministic Markov chain: next = (3·cur + 1) mod V, except that every 7th
 * token is drawn from a seeded generator.
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
