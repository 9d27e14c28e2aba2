// slmkit's public API. Importing this module also attaches the op methods to Tensor.
import "./ops/methods.js";
import "./autograd/methods.js";

export {
  SlmkitError,
  ShapeError,
  DTypeError,
  ArgumentError,
  DisposedError,
  DeviceError,
  BackendError,
  AutogradError,
} from "./errors.js";
export type { Device } from "./backend/backend.js";
export { cuda, type CudaStatus } from "./backend/cuda.js";
export { cpuInfo, setCpuIsa, setNumThreads, type CpuIsa } from "./backend/cpu.js";
export type { DType, FloatDType, NumericDType, Promote, ArrayFor } from "./tensor/dtype.js";
export { Tensor } from "./tensor/tensor.js";
export { memory, type MemoryStats } from "./tensor/memory.js";
export { tidy, keep } from "./tensor/scope.js";
export { noGrad, isGradEnabled } from "./tensor/graph.js";
export { backward } from "./autograd/backward.js";
export {
  tensor,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  fullLike,
  arange,
  eye,
  rand,
  randn,
  randint,
  type CreateOptions,
  type TensorData,
} from "./ops/creation.js";
export { manualSeed, getRngState, setRngState } from "./ops/random_state.js";
export { cast, type TensorLike } from "./ops/operands.js";
export {
  reshape,
  view,
  permute,
  transpose,
  expand,
  squeeze,
  unsqueeze,
  slice,
  narrow,
  flatten,
  contiguous,
  clone,
  detach,
  cat,
  stack,
  split,
  chunk,
} from "./ops/views.js";
export {
  neg,
  abs,
  exp,
  log,
  sqrt,
  rsqrt,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  silu,
  gelu,
  erf,
  clamp,
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  where,
} from "./ops/elementwise.js";
export {
  sum,
  mean,
  max,
  min,
  argmax,
  argmin,
  logsumexp,
  variance as var,
  variance,
  norm,
  type ReduceOptions,
} from "./ops/reduce.js";
export { matmul } from "./ops/matmul.js";
export { softmax, logSoftmax } from "./ops/softmax.js";
export { gather, indexSelect, embedding, oneHot, triu, tril } from "./ops/indexing.js";
export { rmsNorm } from "./ops/rmsnorm.js";
export { attention, type AttentionOptions } from "./ops/attention.js";
export { crossEntropy, type CrossEntropyOptions } from "./ops/cross_entropy.js";
export { rope, type RopeOptions } from "./ops/rope.js";
export { swiglu } from "./ops/swiglu.js";
export { adamwStep, globalNorm, type AdamWStepArgs } from "./ops/adamw.js";
export { data, dataSync, item, toArray, to } from "./ops/readback.js";
export { KERNELS, kernelNamesFor, type KernelAttrs, type KernelName, type KernelSpec } from "./ops/table.js";
// Learning-rate schedules and the AdamW optimiser.
export type { Schedule, PhaseStart } from "./schedule/schedule.js";
export { WSD, type WSDOptions, type WsdDecay, type WsdPhase } from "./schedule/wsd.js";
export type { WsdConvention } from "./schedule/wsd.js";
export type { WarmupShape, DecayShape } from "./schedule/shapes.js";
export { CosineSchedule } from "./schedule/cosine.js";
export { LinearSchedule } from "./schedule/linear.js";
export type { WarmupDecayOptions } from "./schedule/warmup_decay.js";
export { ConstantSchedule, type ConstantScheduleOptions } from "./schedule/constant.js";
export { InverseSqrtSchedule, type InverseSqrtScheduleOptions } from "./schedule/inverse_sqrt.js";
export { InfiniteSchedule, type InfiniteScheduleOptions, type CooldownShape } from "./schedule/infinite.js";
export { RewarmSchedule, type RewarmScheduleOptions } from "./schedule/rewarm.js";
export { scheduleFromJSON } from "./schedule/from_json.js";
export { scheduleSvg, type ScheduleSvgOptions } from "./schedule/plot.js";
export type { ParameterGroup } from "./optim/param_group.js";
export { AdamW, type AdamWOptions, type AdamWStateDict } from "./optim/adamw.js";
export { defaultParameterGroups } from "./optim/default_groups.js";
export * from "./nn/index.js";
export * from "./init/index.js";
export * from "./models/minicpm/index.js";
export { BpeTokenizer } from "./data/bpe_tokenizer.js";
export type { BpeTrainOptions } from "./data/bpe_train.js";
export type { TokenizerJSON, AddedTokenJSON } from "./data/tokenizer_json.js";
export { writeShard, readShard, type Shard, type WriteShardOptions } from "./data/shard.js";
export { tokenizeFiles, type TokenizeFilesOptions } from "./data/tokenize_files.js";
export type { Batch, BatchSource, JSONValue } from "./data/batch.js";
export { TokenSampler, type TokenSamplerOptions } from "./data/token_sampler.js";
export { MixtureSampler, type MixtureComponent, type MixtureSamplerOptions } from "./data/mixture_sampler.js";
export { TwoStageSampler, type TwoStageSamplerOptions } from "./data/two_stage_sampler.js";
export { loadSotu, sotuTexts, type SotuAddress, type SotuOptions } from "./data/sotu.js";
// Training: the Trainer, its checkpoints, and safetensors / atomic file I/O.
export { Trainer, type TrainerOptions, type FitOptions, type FitResult } from "./train/trainer.js";
export { NonFiniteLossError } from "./train/errors.js";
export { latestCheckpoint } from "./train/checkpoint.js";
export { lossCurveSvg } from "./train/loss_curve.js";
export type { TrainableModel, TrainOptimizer, OptimizerState } from "./train/contracts.js";
export type { MetricsRecord } from "./train/metrics.js";
export {
  saveSafetensors,
  loadSafetensors,
  encodeSafetensors,
  decodeSafetensors,
  SafetensorsError,
  type SafetensorsContents,
} from "./io/safetensors.js";
export { writeFileAtomic, writeJsonAtomic, writeDirAtomic } from "./io/atomic.js";
export { readJsonl, writeJsonl } from "./io/jsonl.js";
// The papers' methods as tools: MiniCPM's scaling-law fits.
export * from "./experiments/index.js";
