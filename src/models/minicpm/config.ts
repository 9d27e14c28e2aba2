import { ArgumentError } from "../../errors.js";
import { checkForeignFields } from "./hf_fields.js";

/**
 * A MiniCPM configuration with the field names of Hugging Face's MiniCPM config.json, so a released
 * config can be passed as it is. Its metadata (architectures, torch_dtype, token ids, ...) is accepted and
 * dropped; a field that would change the model and that slmkit does not implement (rope_scaling, another
 * hidden_act, an unknown field) is an error. PAPERS.md section 1 gives the values.
 */
export interface MiniCPMConfig {
  readonly vocab_size: number;
  /** Model width C. */
  readonly hidden_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  /** Key/value heads (grouped-query attention when fewer than num_attention_heads). */
  readonly num_key_value_heads: number;
  /** SwiGLU inner width. */
  readonly intermediate_size: number;
  readonly rms_norm_eps: number;
  readonly rope_theta: number;
  /** μP: the embedding output is multiplied by this (12 in MiniCPM). */
  readonly scale_emb: number;
  /** μP: base width; the width multiplier is m = hidden_size / dim_model_base (256 in MiniCPM). */
  readonly dim_model_base: number;
  /** μP: each residual branch is multiplied by scale_depth / sqrt(num_hidden_layers) (1.4 in MiniCPM). */
  readonly scale_depth: number;
  /** Base std of the initial 2-D weights (0.1 in MiniCPM; divided by sqrt(m) under μP init). */
  readonly initializer_range: number;
  /** The LM head reuses the input embedding (true in MiniCPM-1B/2B). */
  readonly tie_word_embeddings: boolean;
  /** Longest sequence (cache plus new tokens) the model accepts. */
  readonly max_position_embeddings: number;
  /** Apply the three μP scalings (embedding, residual, LM head input) and the μP lr multipliers. Default true. */
  readonly use_mup: boolean;
  /**
   * slmkit's switch (not in HF configs): whether the tied embedding trains at lr / m like the other 2-D
   * weights. The paper does not exempt it; default true.
   */
  readonly mup_embedding_lr_scaled: boolean;
}

/** What a user passes: the sizes are required, everything else defaults to MiniCPM's values. */
export type MiniCPMConfigInput = Pick<
  MiniCPMConfig,
  "vocab_size" | "hidden_size" | "num_hidden_layers" | "num_attention_heads" | "intermediate_size"
> &
  Partial<MiniCPMConfig>;

const DEFAULTS = {
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  scale_emb: 12,
  dim_model_base: 256,
  scale_depth: 1.4,
  initializer_range: 0.1,
  tie_word_embeddings: true,
  max_position_embeddings: 4096,
  use_mup: true,
  mup_embedding_lr_scaled: true,
} as const;

const SIZES = [
  "vocab_size",
  "hidden_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "intermediate_size",
  "max_position_embeddings",
] as const;
const POSITIVE = ["rope_theta", "scale_emb", "dim_model_base", "scale_depth", "initializer_range"] as const;
const FLAGS = ["tie_word_embeddings", "use_mup", "mup_embedding_lr_scaled"] as const;

/**
 * Fills defaults and validates: sizes are whole numbers > 0, the head dim hidden_size / num_attention_heads
 * is a whole even number, num_key_value_heads divides num_attention_heads, other fields are Hugging Face
 * metadata or switches at the value slmkit implements (see MiniCPMConfig). Throws an ArgumentError naming
 * the field.
 *
 * @example
 * const config = resolveMiniCPMConfig({ vocab_size: 2048, hidden_size: 128, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 320 });
 */
export function resolveMiniCPMConfig(input: MiniCPMConfigInput): MiniCPMConfig {
  if (input === null || typeof input !== "object")
    throw new ArgumentError(`MiniCPMConfig: expected a config object or a preset name, got ${String(input)}`);
  const pick = <K extends keyof MiniCPMConfig>(key: K, fallback: MiniCPMConfig[K]): MiniCPMConfig[K] =>
    (input[key] ?? fallback) as MiniCPMConfig[K];
  const config: MiniCPMConfig = {
    vocab_size: input.vocab_size,
    hidden_size: input.hidden_size,
    num_hidden_layers: input.num_hidden_layers,
    num_attention_heads: input.num_attention_heads,
    num_key_value_heads: pick("num_key_value_heads", input.num_attention_heads),
    intermediate_size: input.intermediate_size,
    rms_norm_eps: pick("rms_norm_eps", DEFAULTS.rms_norm_eps),
    rope_theta: pick("rope_theta", DEFAULTS.rope_theta),
    scale_emb: pick("scale_emb", DEFAULTS.scale_emb),
    dim_model_base: pick("dim_model_base", DEFAULTS.dim_model_base),
    scale_depth: pick("scale_depth", DEFAULTS.scale_depth),
    initializer_range: pick("initializer_range", DEFAULTS.initializer_range),
    tie_word_embeddings: pick("tie_word_embeddings", DEFAULTS.tie_word_embeddings),
    max_position_embeddings: pick("max_position_embeddings", DEFAULTS.max_position_embeddings),
    use_mup: pick("use_mup", DEFAULTS.use_mup),
    mup_embedding_lr_scaled: pick("mup_embedding_lr_scaled", DEFAULTS.mup_embedding_lr_scaled),
  };
  for (const key of SIZES) {
    const v = config[key];
    if (!Number.isInteger(v) || v <= 0)
      throw new ArgumentError(`MiniCPMConfig: ${key} must be a whole number > 0, got ${String(v)}`);
  }
  for (const key of POSITIVE) {
    const v = config[key];
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v))
      throw new ArgumentError(`MiniCPMConfig: ${key} must be a finite number > 0, got ${String(v)}`);
  }
  if (typeof config.rms_norm_eps !== "number" || !(config.rms_norm_eps >= 0))
    throw new ArgumentError(`MiniCPMConfig: rms_norm_eps must be a number >= 0, got ${String(config.rms_norm_eps)}`);
  for (const key of FLAGS) {
    if (typeof config[key] !== "boolean")
      throw new ArgumentError(`MiniCPMConfig: ${key} must be true or false, got ${String(config[key])}`);
  }
  const { hidden_size: C, num_attention_heads: H, num_key_value_heads: Hkv } = config;
  if (C % H !== 0 || (C / H) % 2 !== 0)
    throw new ArgumentError(
      `MiniCPMConfig: hidden_size (${C}) / num_attention_heads (${H}) must be a whole even head dim for RoPE`,
    );
  if (H % Hkv !== 0)
    throw new ArgumentError(`MiniCPMConfig: num_key_value_heads (${Hkv}) must divide num_attention_heads (${H})`);
  checkForeignFields(input, new Set(Object.keys(config)), config);
  return Object.freeze(config);
}

/** The μP width multiplier m = hidden_size / dim_model_base. */
export function widthMultiplier(config: MiniCPMConfig): number {
  return config.hidden_size / config.dim_model_base;
}
