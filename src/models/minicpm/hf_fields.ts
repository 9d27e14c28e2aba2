// Which fields of a Hugging Face config.json slmkit may take without implementing them: metadata that does
// not change the function the model computes, and switches whose only supported value is the one slmkit's
// MiniCPM computes. Anything else unknown is refused, so a model is never silently loaded as another.
import { ArgumentError } from "../../errors.js";

/** Fields that never change the function computed: names, ids, dtype hints, caching and generation defaults. */
const METADATA = new Set([
  "_name_or_path",
  "architectures",
  "model_type",
  "auto_map",
  "transformers_version",
  "torch_dtype",
  "dtype",
  "bos_token_id",
  "eos_token_id",
  "pad_token_id",
  "use_cache",
  // Splits each matmul into slices whose products are summed: the same function up to summation order.
  "pretraining_tp",
  "_attn_implementation",
  "attn_implementation",
  "tokenizer_class",
  "return_dict",
  "output_attentions",
  "output_hidden_states",
  "torchscript",
  "use_bfloat16",
  "id2label",
  "label2id",
  "max_length",
  "min_length",
  "do_sample",
  "num_beams",
  "temperature",
  "top_k",
  "top_p",
  "repetition_penalty",
]);

/**
 * Switches of Hugging Face's MiniCPM (and Llama) configs that slmkit implements at one value only; the
 * value slmkit's MiniCPM computes, which a saved config.json states explicitly.
 */
export const FIXED_HF_FIELDS = {
  hidden_act: "silu",
  rope_scaling: null,
  attention_bias: false,
  mlp_bias: false,
  attention_dropout: 0,
} as const;

/**
 * Throws an ArgumentError naming the first field of `input` that is neither a MiniCPMConfig field (`known`)
 * nor metadata, or a fixed switch at another value (e.g. rope_scaling), or a head_dim other than
 * hidden_size / num_attention_heads.
 */
export function checkForeignFields(
  input: object,
  known: ReadonlySet<string>,
  // Only the sizes head_dim is checked against (the full MiniCPMConfig type would make config.ts and this
  // file import each other).
  config: { readonly hidden_size: number; readonly num_attention_heads: number },
): void {
  for (const [key, value] of Object.entries(input)) {
    if (known.has(key) || METADATA.has(key)) continue;
    if (Object.hasOwn(FIXED_HF_FIELDS, key)) {
      const want = FIXED_HF_FIELDS[key as keyof typeof FIXED_HF_FIELDS];
      // null stands for "unset" in Hugging Face configs, which is the supported value for each switch.
      if (value !== want && value !== null) {
        throw new ArgumentError(
          `MiniCPMConfig: ${key} ${JSON.stringify(value)} changes the model and slmkit implements only ${JSON.stringify(want)}; remove the field or set it to ${JSON.stringify(want)}`,
        );
      }
      continue;
    }
    if (key === "head_dim") {
      const headDim = config.hidden_size / config.num_attention_heads;
      if (value !== headDim && value !== null) {
        throw new ArgumentError(
          `MiniCPMConfig: head_dim ${JSON.stringify(value)} must be hidden_size / num_attention_heads (${headDim}) in slmkit's MiniCPM`,
        );
      }
      continue;
    }
    throw new ArgumentError(
      `MiniCPMConfig: unknown field "${key}" (${JSON.stringify(value)}); slmkit cannot tell whether it changes the model, so it refuses it rather than drop it (remove it if it is only metadata)`,
    );
  }
}
