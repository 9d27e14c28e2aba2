import { ArgumentError } from "../../errors.js";

/** How the next token is chosen from one row of logits. */
export interface SamplingOptions {
  /** Softmax temperature; 0 picks the most likely token (greedy). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (nucleus sampling). */
  topP?: number;
}

/** Checks sampling options, naming the function and the option. */
export function checkSampling(fn: string, { temperature = 1, topK, topP }: SamplingOptions): void {
  if (typeof temperature !== "number" || !(temperature >= 0) || !Number.isFinite(temperature))
    throw new ArgumentError(`${fn}: temperature must be a finite number >= 0, got ${String(temperature)}`);
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1))
    throw new ArgumentError(`${fn}: topK must be a whole number >= 1, got ${String(topK)}`);
  if (topP !== undefined && (typeof topP !== "number" || !(topP > 0 && topP <= 1)))
    throw new ArgumentError(`${fn}: topP must be in (0, 1], got ${String(topP)}`);
}

/**
 * A small seeded generator of uniform numbers in [0, 1) (mulberry32): sampling happens on the host, one
 * draw per token, so it needs no device generator and a seed reproduces a whole generation.
 */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The index of the largest logit (the first one on ties). */
export function argmaxOf(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/**
 * Picks a token id from one row of logits: greedy at temperature 0, else a draw from the softmax of
 * logits / temperature restricted by topK and then topP.
 */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, uniform: () => number): number {
  const temperature = opts.temperature ?? 1;
  if (temperature === 0) return argmaxOf(logits);
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const kept = order.slice(0, Math.min(opts.topK ?? order.length, order.length));
  const top = logits[kept[0]!]!;
  const weights = kept.map((i) => Math.exp((logits[i]! - top) / temperature));
  const total = weights.reduce((a, w) => a + w, 0);
  let count = weights.length;
  if (opts.topP !== undefined) {
    let cumulative = 0;
    count = 0;
    while (count < weights.length && cumulative < opts.topP * total) cumulative += weights[count++]!;
  }
  const mass = weights.slice(0, count).reduce((a, w) => a + w, 0);
  let r = uniform() * mass;
  for (let j = 0; j < count; j++) {
    r -= weights[j]!;
    if (r < 0) return kept[j]!;
  }
  return kept[count - 1]!;
}
