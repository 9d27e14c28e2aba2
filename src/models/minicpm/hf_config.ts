import type { MiniCPMConfig } from "./config.js";
import { FIXED_HF_FIELDS } from "./hf_fields.js";

/**
 * The config.json of a MiniCPM for Hugging Face (and for slmkit, which reads it back unchanged): the
 * config's fields, the keys that name the architecture, and the switches slmkit fixes (hidden_act "silu",
 * rope_scaling null, no biases, no dropout) stated explicitly.
 *
 * Hugging Face's MiniCPM code has no use_mup switch: it always multiplies the embedding output by scale_emb,
 * each residual branch by scale_depth / sqrt(num_hidden_layers), and divides the final hidden state by
 * hidden_size / dim_model_base. So a model with use_mup false is saved with the values that make each of
 * those an exact 1 in float64 (scale_emb 1, scale_depth sqrt(L), since x / x is exactly 1, and
 * dim_model_base = hidden_size): Hugging Face then computes what slmkit computes. use_mup false stays in the
 * file (Hugging Face keeps unknown fields as attributes) so slmkit also keeps training it without μP's
 * learning-rate multipliers; the replaced constants had no effect on such a model.
 *
 * @example
 * const model = new MiniCPM({ ...MiniCPM.presets.tiny, use_mup: false });
 * writeJsonAtomic("run/config.json", miniCPMHFConfig(model.config));
 * const again = new MiniCPM(JSON.parse(fs.readFileSync("run/config.json", "utf8"))); // same function
 */
export function miniCPMHFConfig(config: MiniCPMConfig): Record<string, unknown> {
  const neutral = config.use_mup
    ? {}
    : { scale_emb: 1, scale_depth: Math.sqrt(config.num_hidden_layers), dim_model_base: config.hidden_size };
  return {
    architectures: ["MiniCPMForCausalLM"],
    model_type: "minicpm",
    // slmkit keeps f32 master weights, so its checkpoints hold f32 tensors.
    torch_dtype: "float32",
    ...config,
    ...neutral,
    ...FIXED_HF_FIELDS,
  };
}
