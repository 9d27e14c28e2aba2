// The MiniCPM of the CPU model tests: 32 wide, 4 query and 2 key/value heads, μP base width 8 (m = 4).
import type { MiniCPMConfigInput } from "../../src/index.js";

export const SMALL_MINICPM: MiniCPMConfigInput = {
  vocab_size: 97,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 80,
  dim_model_base: 8,
  max_position_embeddings: 64,
};
