import type { MiniCPMConfig } from "./config.js";

/** Options of MiniCPM.countParameters() and model.numParameters(). */
export interface CountOptions {
  /** Include the embedding (and an untied LM head). Default true. */
  embedding?: boolean;
}

/**
 * Parameters of a MiniCPM configuration, computed from its sizes without allocating anything.
 * Per layer: q and o [C, C], k and v [Hkv·D, C], gate and up [F, C], down [C, F], two norms [C]; then
 * the final norm [C]; the embedding [V, C] (twice when untied: the LM head).
 */
export function countMiniCPMParameters(config: MiniCPMConfig, { embedding = true }: CountOptions = {}): number {
  const { hidden_size: C, intermediate_size: F, vocab_size: V, num_hidden_layers: L } = config;
  const kv = config.num_key_value_heads * (C / config.num_attention_heads);
  const perLayer = 2 * C * C + 2 * kv * C + 3 * F * C + 2 * C;
  const body = L * perLayer + C;
  return embedding ? body + V * C * (config.tie_word_embeddings ? 1 : 2) : body;
}
