import type { Device } from "../backend/backend.js";
import type { DType } from "../tensor/dtype.js";

/**
 * One native kernel: its inputs, outputs and attributes in call order, the dtypes it accepts and the
 * backends that implement it. This table is the single source of truth; native/KERNELS.md describes
 * each entry and a test asserts that the addons register exactly these names.
 * A name ending in "..." stands for a variable-length list.
 */
export interface KernelSpec<Attrs extends readonly string[] = readonly string[]> {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
  readonly dtypes: readonly DType[];
  readonly backends: readonly Device[];
}

const FLOAT: readonly DType[] = ["f32", "bf16"];
const NUMERIC: readonly DType[] = ["f32", "bf16", "i32"];
const ALL: readonly DType[] = ["f32", "bf16", "i32", "bool"];
const CPU: readonly Device[] = ["cpu"];
const BOTH: readonly Device[] = ["cpu", "cuda"];

// `const` keeps each attribute list as a tuple of literal names, from which KernelAttrs derives its types.
const spec = <const Attrs extends readonly string[]>(
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: Attrs,
  dtypes: readonly DType[],
  backends: readonly Device[] = CPU,
): KernelSpec<Attrs> => ({ inputs, outputs, attrs, dtypes, backends });

/** One spec per name of a family, keyed by the literal names (Object.fromEntries alone would widen them to string). */
function family<const Names extends readonly string[]>(
  names: Names,
  specOf: (name: Names[number]) => KernelSpec<readonly []>,
): Record<Names[number], KernelSpec<readonly []>> {
  return Object.fromEntries(names.map((name) => [name, specOf(name)])) as Record<
    Names[number],
    KernelSpec<readonly []>
  >;
}

/** Unary float kernels: x -> y. */
export const UNARY_KERNELS = [
  "neg",
  "abs",
  "exp",
  "log",
  "sqrt",
  "rsqrt",
  "sin",
  "cos",
  "tanh",
  "sigmoid",
  "relu",
  "silu",
  "gelu",
  "erf",
] as const;
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

export const KERNELS = {
  copy: spec(["x"], ["y"], [], ALL, BOTH),
  fill: spec([], ["y"], ["value"], ALL, BOTH),
  arange: spec([], ["y"], ["start", "step"], NUMERIC, BOTH),
  rand_uniform: spec([], ["y"], ["seed", "offset", "low", "high"], FLOAT, BOTH),
  rand_normal: spec([], ["y"], ["seed", "offset", "mean", "std"], FLOAT, BOTH),
  randint: spec([], ["y"], ["seed", "offset", "low", "high"], ["i32"], BOTH),
  ...family(UNARY_KERNELS, (k) => spec(["x"], ["y"], [], INT_UNARY.has(k) ? NUMERIC : FLOAT, BOTH)),
  clamp: spec(["x"], ["y"], ["min", "max"], NUMERIC, BOTH),
  pow_scalar: spec(["x"], ["y"], ["exponent"], FLOAT, BOTH),
  ...family(BINARY_KERNELS, (k) => spec(["a", "b"], ["y"], [], INT_BINARY.has(k) ? NUMERIC : FLOAT, BOTH)),
  ...family(COMPARE_KERNELS, (k) => spec(["a", "b"], ["y"], [], k === "eq" || k === "ne" ? ALL : NUMERIC, BOTH)),
  where: spec(["cond", "a", "b"], ["y"], [], ALL, BOTH),
  ...family(REDUCE_KERNELS, (k) => spec(["x"], ["y"], [], k === "logsumexp" ? FLOAT : NUMERIC, BOTH)),
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
  attention_backward: spec(
    ["q", "k", "v", "o", "lse", "go"],
    ["gq", "gk", "gv"],
    ["scale", "causal", "kv_offset"],
    FLOAT,
    BOTH,
  ),
  cross_entropy_forward: spec(["logits", "targets"], ["loss", "lse"], ["ignore_index"], FLOAT, BOTH),
  cross_entropy_backward: spec(["logits", "targets", "lse", "gloss"], ["glogits"], ["ignore_index"], FLOAT, BOTH),
  rope_forward: spec(["x"], ["y"], ["theta", "position_offset"], FLOAT, BOTH),
  rope_backward: spec(["gy"], ["gx"], ["theta", "position_offset"], FLOAT, BOTH),
  swiglu_forward: spec(["gate", "up"], ["y"], [], FLOAT, BOTH),
  swiglu_backward: spec(["gate", "up", "gy"], ["ggate", "gup"], [], FLOAT, BOTH),
  adamw_step: spec(
    ["grads..."],
    ["params...", "exp_avg...", "exp_avg_sq...", "bf16_copies..."],
    ["beta1", "beta2", "eps", "step", "grad_scale", "lr_wd..."],
    FLOAT,
    BOTH,
  ),
  global_norm: spec(["tensors..."], ["norm"], [], FLOAT, BOTH),
} as const satisfies Record<string, KernelSpec>;

/** The name of a native kernel: a misspelt one does not compile. */
export type KernelName = keyof typeof KERNELS;

type AttrNameOf<K extends KernelName> = (typeof KERNELS)[K]["attrs"][number];

/**
 * A kernel's attributes by name, typed from its table entry: `{ eps: number }` for rmsnorm_forward (for a
 * union of kernels, the union of their attribute types).
 * A variable-length attribute ("lr_wd...") drops the dots and takes a list of numbers; a flag such as
 * attention's `causal` may be a boolean (the addon reads 1 or 0).
 */
export type KernelAttrs<K extends KernelName> = K extends KernelName
  ? {
      readonly [A in AttrNameOf<K> as A extends `${infer List}...` ? List : A]: A extends `${string}...`
        ? ArrayLike<number>
        : number | boolean;
    }
  : never;

/** Kernel names a backend must register, sorted. */
export function kernelNamesFor(device: Device): KernelName[] {
  return (Object.keys(KERNELS) as KernelName[]).filter((name) => KERNELS[name].backends.includes(device)).sort();
}
