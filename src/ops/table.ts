import type { Device } from "../backend/backend.js";
import type { DType } from "../tensor/dtype.js";

/**
 * One native kernel: its inputs, outputs and attributes in call order, the dtypes it accepts and the
 * backends that implement it. This table is the single source of truth; native/KERNELS.md describes
 * each entry and a test asserts that the addons register exactly these names.
 * A name ending in "..." stands for a variable-length list.
 */
export interface KernelSpec {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: readonly string[];
  readonly dtypes: readonly DType[];
  readonly backends: readonly Device[];
}

const FLOAT: readonly DType[] = ["f32", "bf16"];
const NUMERIC: readonly DType[] = ["f32", "bf16", "i32"];
const ALL: readonly DType[] = ["f32", "bf16", "i32", "bool"];
const CPU: readonly Device[] = ["cpu"];
const BOTH: readonly Device[] = ["cpu", "cuda"];

const spec = (
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: readonly string[],
  dtypes: readonly DType[],
  backends: readonly Device[] = CPU,
): KernelSpec => ({ inputs, outputs, attrs, dtypes, backends });

/** Unary float kernels: x -> y. */
export const UNARY_KERNELS = ["neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "silu", "gelu", "erf"] as const;
/** Binary kernels on operands of one dtype: (a, b) -> y. */
export const BINARY_KERNELS = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"] as const;
/** Comparisons: (a, b) -> bool. */
export const COMPARE_KERNELS = ["eq", "ne", "lt", "le", "gt", "ge"] as const;
export const REDUCE_KERNELS = ["sum", "max", "min", "argmax", "argmin", "logsumexp"] as const;

export type UnaryKernel = (typeof UNARY_KERNELS)[number];
export type BinaryKernel = (typeof BINARY_KERNELS)[number];
export type CompareKernel = (typeof COMPARE_KERNELS)[number];
export type ReduceKernel = (typeof REDUCE_KERNELS)[number];

const INT_UNARY = new Set<string>(["neg", "abs", "relu"]);
const INT_BINARY = new Set<string>(["add", "sub", "mul", "maximum", "minimum"]);

export const KERNELS: Readonly<Record<string, KernelSpec>> = {
  copy: spec(["x"], ["y"], [], ALL, BOTH),
  fill: spec([], ["y"], ["value"], ALL, BOTH),
  arange: spec([], ["y"], ["start", "step"], NUMERIC, BOTH),
  rand_uniform: spec([], ["y"], ["seed", "offset", "low", "high"], FLOAT, BOTH),
  rand_normal: spec([], ["y"], ["seed", "offset", "mean", "std"], FLOAT, BOTH),
  randint: spec([], ["y"], ["seed", "offset", "low", "high"], ["i32"], BOTH),
  ...Object.fromEntries(UNARY_KERNELS.map((k) => [k, spec(["x"], ["y"], [], INT_UNARY.has(k) ? NUMERIC : FLOAT, BOTH)])),
  clamp: spec(["x"], ["y"], ["min", "max"], NUMERIC, BOTH),
  pow_scalar: spec(["x"], ["y"], ["exponent"], FLOAT, BOTH),
  ...Object.fromEntries(BINARY_KERNELS.map((k) => [k, spec(["a", "b"], ["y"], [], INT_BINARY.has(k) ? NUMERIC : FLOAT, BOTH)])),
  ...Object.fromEntries(COMPARE_KERNELS.map((k) => [k, spec(["a", "b"], ["y"], [], k === "eq" || k === "ne" ? ALL : NUMERIC, BOTH)])),
  where: spec(["cond", "a", "b"], ["y"], [], ALL, BOTH),
  ...Object.fromEntries(REDUCE_KERNELS.map((k) => [k, spec(["x"], ["y"], [], k === "logsumexp" ? FLOAT : NUMERIC, BOTH)])),
  matmul: spec(["a", "b"], ["y"], [], FLOAT, BOTH),
  softmax_forward: spec(["x"], ["y"], [], FLOAT, BOTH),
  softmax_backward: spec(["y", "gy"], ["gx"], [], FLOAT, BOTH),
  log_softmax_forward: spec(["x"], ["y"], [], FLOAT, BOTH),
  log_softmax_backward: spec(["y", "gy"], ["gx"], [], FLOAT, BOTH),
  index_select: spec(["x", "idx"], ["y"], [], NUMERIC, BOTH),
  index_add: spec(["src", "idx"], ["y"], [], FLOAT, BOTH),
  gather: spec(["x", "idx"], ["y"], [], NUMERIC, BOTH),
  scatter_add: spec(["src", "idx"], ["y"], [], FLOAT, BOTH),
  triu: spec(["x"], ["y"], ["k"], ALL, BOTH),
  tril: spec(["x"], ["y"], ["k"], ALL, BOTH),
  rmsnorm_forward: spec(["x", "w"], ["y", "rstd"], ["eps"], FLOAT, BOTH),
  rmsnorm_backward: spec(["x", "w", "rstd", "gy"], ["gx", "gw"], [], FLOAT, BOTH),
  attention_forward: spec(["q", "k", "v"], ["o", "lse"], ["scale", "causal", "kv_offset"], FLOAT, BOTH),
  attention_backward: spec(["q", "k", "v", "o", "lse", "go"], ["gq", "gk", "gv"], ["scale", "causal", "kv_offset"], FLOAT, BOTH),
  cross_entropy_forward: spec(["logits", "targets"], ["loss", "lse"], ["ignore_index"], FLOAT, BOTH),
  cross_entropy_backward: spec(["logits", "targets", "lse", "gloss"], ["glogits"], ["ignore_index"], FLOAT, BOTH),
  rope_forward: spec(["x"], ["y"], ["theta", "position_offset"], FLOAT, BOTH),
  rope_backward: spec(["gy"], ["gx"], ["theta", "position_offset"], FLOAT, BOTH),
  swiglu_forward: spec(["gate", "up"], ["y"], [], FLOAT, BOTH),
  swiglu_backward: spec(["gate", "up", "gy"], ["ggate", "gup"], [], FLOAT, BOTH),
  adamw_step: spec(["grads..."], ["params...", "exp_avg...", "exp_avg_sq...", "bf16_copies..."], ["beta1", "beta2", "eps", "step", "grad_scale", "lr_wd..."], FLOAT, BOTH),
  global_norm: spec(["tensors..."], ["norm"], [], FLOAT, BOTH),
};

/** Kernel names a backend must register, sorted. */
export function kernelNamesFor(device: Device): string[] {
  return Object.entries(KERNELS)
    .filter(([, s]) => s.backends.includes(device))
    .map(([name]) => name)
    .sort();
}
