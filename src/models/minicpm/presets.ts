import { resolveMiniCPMConfig, type MiniCPMConfig } from "./config.js";

/** MiniCPM-2B's vocabulary, also used by the wind-tunnel proxies (PAPERS.md gives them no vocab). */
const MINICPM_2B_VOCAB = 122753;

/** A wind-tunnel proxy of PAPERS.md section 1: head dim 64, ffn 2.5 C, MHA, MiniCPM's μP constants. */
function windTunnel(C: number, L: number): MiniCPMConfig {
  return resolveMiniCPMConfig({
    vocab_size: MINICPM_2B_VOCAB,
    hidden_size: C,
    num_hidden_layers: L,
    num_attention_heads: C / 64,
    intermediate_size: 2.5 * C,
  });
}

/**
 * Named MiniCPM shapes. The two releases follow their config.json (PAPERS.md table); the wind-tunnel
 * proxies follow PAPERS.md's list with MiniCPM-2B's vocabulary; "tiny" is a CPU demo that trains on two cores
 * in minutes (its dim_model_base equals its width, so m = 1). max_position_embeddings (4096, tiny 512) is
 * slmkit's choice: RoPE has no position table, so it only bounds the sequences the model accepts.
 *
 * @example
 * const model = new MiniCPM("tiny");
 * MiniCPM.presets["minicpm-2b"].hidden_size; // 2304
 */
export const MINICPM_PRESETS = Object.freeze({
  "minicpm-2b": resolveMiniCPMConfig({
    vocab_size: MINICPM_2B_VOCAB,
    hidden_size: 2304,
    num_hidden_layers: 40,
    num_attention_heads: 36,
    num_key_value_heads: 36,
    intermediate_size: 5760,
  }),
  "minicpm-1b": resolveMiniCPMConfig({
    vocab_size: 73440,
    hidden_size: 1536,
    num_hidden_layers: 52,
    num_attention_heads: 24,
    num_key_value_heads: 8,
    intermediate_size: 3840,
  }),
  "9m": windTunnel(320, 8),
  "30m": windTunnel(512, 12),
  "70m": windTunnel(640, 14),
  "0.1b": windTunnel(768, 16),
  "0.17b": windTunnel(896, 18),
  "0.2b": windTunnel(1024, 20),
  "0.5b": windTunnel(1344, 24),
  tiny: resolveMiniCPMConfig({
    vocab_size: 2048,
    hidden_size: 128,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 320,
    dim_model_base: 128,
    max_position_embeddings: 512,
  }),
});

export type MiniCPMPresetName = keyof typeof MINICPM_PRESETS;
