import { ArgumentError } from "../../errors.js";
import { tensor } from "../../ops/creation.js";
import { dataSync } from "../../ops/readback.js";
import { slice } from "../../ops/views.js";
import { KVCache } from "../../nn/kv_cache.js";
import { noGrad } from "../../tensor/graph.js";
import { tidy } from "../../tensor/scope.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { MiniCPMConfig } from "./config.js";
import { checkSampling, sampleToken, seededUniform, type SamplingOptions } from "./sampling.js";

/** Options of MiniCPM.generate(). */
export interface GenerateOptions extends SamplingOptions {
  /** The most tokens to add. */
  maxNewTokens: number;
  /** Seeds sampling; without it every call draws a fresh seed. */
  seed?: number;
  /** Token ids that end generation (not included in the result). */
  stopTokens?: readonly number[];
  /** Called with each new token; returning false stops after it. */
  // biome-ignore lint/suspicious/noConfusingVoidType: callbacks that return nothing must type-check too
  onToken?: (id: number) => void | false;
}

/** The part of MiniCPM that generation drives (kept narrow so generate.ts does not import the model). */
interface CausalLM {
  readonly config: MiniCPMConfig;
  readonly device: "cpu" | "cuda";
  forward(inputIds: Tensor<"i32">, opts: { cache: KVCache }): { logits: Tensor<"f32"> };
}

function checkTokens(what: string, ids: readonly number[], vocab: number, allowEmpty: boolean): void {
  if (!Array.isArray(ids) || (!allowEmpty && ids.length === 0))
    throw new ArgumentError(`MiniCPM.generate: ${what} must be a${allowEmpty ? "n" : " non-empty"} array of token ids`);
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (bad !== undefined)
    throw new ArgumentError(`MiniCPM.generate: ${what} holds ${String(bad)}, outside the vocabulary [0, ${vocab})`);
}

/** Runs `ids` through the model with the cache and returns the last position's logits on the host. */
function nextLogits(model: CausalLM, ids: readonly number[], cache: KVCache): Float32Array {
  return tidy(() => {
    const input = tensor(Int32Array.from(ids), { shape: [1, ids.length], device: model.device });
    const { logits } = model.forward(input, { cache });
    return dataSync(slice(logits, 1, ids.length - 1, ids.length));
  });
}

/** MiniCPM.generate(): the prompt fills a KV cache once, then one position per new token. */
export function generateTokens(model: CausalLM, promptIds: readonly number[], opts: GenerateOptions): number[] {
  if (opts === null || typeof opts !== "object")
    throw new ArgumentError("MiniCPM.generate: options with maxNewTokens are required");
  const { maxNewTokens, seed, stopTokens = [], onToken } = opts;
  const vocab = model.config.vocab_size;
  checkTokens("promptIds", promptIds, vocab, false);
  checkTokens("stopTokens", stopTokens, vocab, true);
  checkSampling("MiniCPM.generate", opts);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0)
    throw new ArgumentError(`MiniCPM.generate: maxNewTokens must be a whole number >= 0, got ${String(maxNewTokens)}`);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0))
    throw new ArgumentError(`MiniCPM.generate: seed must be a whole number >= 0, got ${String(seed)}`);
  if (onToken !== undefined && typeof onToken !== "function")
    throw new ArgumentError("MiniCPM.generate: onToken must be a function");
  // The last new token is never fed back, so the cache holds at most prompt + maxNewTokens - 1 positions.
  const limit = model.config.max_position_embeddings;
  if (promptIds.length + Math.max(0, maxNewTokens - 1) > limit) {
    throw new ArgumentError(
      `MiniCPM.generate: ${promptIds.length} prompt tokens + ${maxNewTokens} new ones exceed max_position_embeddings (${limit})`,
    );
  }
  const out: number[] = [];
  if (maxNewTokens === 0) return out;
  const uniform = seededUniform(seed ?? Math.floor(Math.random() * 2 ** 32));
  const stops = new Set(stopTokens);
  const cache = new KVCache(model.config.num_hidden_layers);
  try {
    noGrad(() => {
      let logits = nextLogits(model, promptIds, cache);
      for (;;) {
        const id = sampleToken(logits, opts, uniform);
        if (stops.has(id)) return;
        out.push(id);
        if (onToken?.(id) === false || out.length === maxNewTokens) return;
        logits = nextLogits(model, [id], cache);
      }
    });
  } finally {
    cache.dispose();
  }
  return out;
}
