export { MiniCPM, type MiniCPMOptions, type MiniCPMForwardOptions, type MiniCPMOutput } from "./model.js";
export { type MiniCPMConfig, type MiniCPMConfigInput, resolveMiniCPMConfig, widthMultiplier } from "./config.js";
export { miniCPMHFConfig } from "./hf_config.js";
export { MINICPM_PRESETS, type MiniCPMPresetName } from "./presets.js";
export { countMiniCPMParameters, type CountOptions } from "./count.js";
export { MiniCPMDecoderLayer } from "./decoder_layer.js";
export type { GenerateOptions } from "./generate.js";
export { type SamplingOptions, sampleToken } from "./sampling.js";
