import { attachNode, isGradEnabled, type SaveSpec } from "../tensor/graph.js";
import { untrack } from "../tensor/scope.js";
import { Tensor } from "../tensor/tensor.js";
import type { BinaryKernel, ReduceKernel, UnaryKernel } from "./table.js";

/**
 * The name of every op autograd records. The gradient table (src/autograd/gradients.ts) must hold a rule
 * for each and for nothing else, so a name misspelt on either side does not compile.
 */
export type DifferentiableOp =
  | UnaryKernel
  | "clamp"
  | "pow_scalar"
  | "cast"
  | BinaryKernel
  | "where"
  | Exclude<ReduceKernel, "argmax" | "argmin">
  | "contiguous"
  | "reshape"
  | "permute"
  | "expand"
  | "slice"
  | "cat"
  | "toDevice"
  | "matmul"
  | "softmax"
  | "logSoftmax"
  | "indexSelect"
  | "gather"
  | "triu"
  | "tril"
  | "rmsNorm"
  | "attention"
  | "rope"
  | "swiglu"
  | "crossEntropy";

// The gradient table sits above ops and installs this lookup when it loads.
let saveSpecs: (op: DifferentiableOp) => SaveSpec | undefined = () => undefined;

/** Installs the lookup of what each op saves (the gradient table registers itself at load). */
export function setSaveSpecs(lookup: (op: DifferentiableOp) => SaveSpec | undefined): void {
  saveSpecs = lookup;
}

/** A reference to `t`'s data that outlives the caller's dispose() of `t`, for a gradient rule. */
function saveForBackward(t: Tensor): Tensor {
  const saved = Tensor.view(t, t.shape, t.strides, t.offset, "autograd");
  untrack(saved);
  return saved;
}

/**
 * Records `output = op(inputs)` when grad mode is on and some input requires grad, saving what the op's
 * gradient rule declares. `extras` are side results of a fused kernel (e.g. RMSNorm's rstd) that the
 * rule may save; the caller disposes its own references to them afterwards.
 */
export function record(
  op: DifferentiableOp,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: Readonly<Record<string, unknown>> = {},
  extras: readonly Tensor[] = [],
): void {
  if (!isGradEnabled()) return;
  const needsGrad = inputs.map((t) => t.requiresGrad);
  if (!needsGrad.some(Boolean)) return;
  const spec = saveSpecs(op) ?? {};
  const savedInputs: (Tensor | undefined)[] = [];
  for (const i of spec.inputs ?? []) savedInputs[i] = saveForBackward(inputs[i]!);
  const savedExtras: (Tensor | undefined)[] = [];
  for (const i of spec.extras ?? []) if (extras[i]) savedExtras[i] = saveForBackward(extras[i]);
  const savedOutput = spec.outputs?.includes(0) ? saveForBackward(output) : undefined;
  attachNode(op, inputs, needsGrad, output, attrs, { inputs: savedInputs, output: savedOutput, extras: savedExtras });
}
