export { Module, type LoadStateDictOptions } from "./module.js";
export { ModuleList } from "./module_list.js";
export { copyInto } from "./copy.js";
export { Linear, type LayerOptions } from "./linear.js";
export { Embedding } from "./embedding.js";
export { RMSNorm } from "./rms_norm.js";
export { CausalSelfAttention, type AttentionShape, type AttentionForwardOptions } from "./attention.js";
export { SwiGLUMLP } from "./mlp.js";
export { KVCache, LayerKVCache } from "./kv_cache.js";
