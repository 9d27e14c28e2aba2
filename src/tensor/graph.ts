import { ArgumentError } from "../errors.js";
// Type only: tensor.ts imports this module at run time, and nothing here needs the Tensor class.
import type { Tensor } from "./tensor.js";

/** Which tensors a gradient rule needs kept alive until backward: input, output and extra indices. */
export interface SaveSpec {
  readonly inputs?: readonly number[];
  readonly outputs?: readonly number[];
  readonly extras?: readonly number[];
}

/**
 * One recorded op in the autograd graph (src/ops/record.ts records it). The rule that differentiates it is
 * looked up by `op` in the gradient table (src/autograd/gradients.ts), which also declares what the node
 * saves. Saved tensors hold their own storage references until backward has run through the node (or it
 * is collected).
 */
export interface GradNode {
  readonly op: string;
  /** The op's tensor inputs in order (kept for graph traversal; their data may be disposed). */
  readonly inputs: readonly Tensor[];
  readonly needsGrad: readonly boolean[];
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  readonly outputDtype: Tensor["dtype"];
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Saved tensors by kind and index, as the rule's SaveSpec asked. */
  readonly saved: { inputs: (Tensor | undefined)[]; output: Tensor | undefined; extras: (Tensor | undefined)[] };
  /** Holders: the live output tensor, each unreleased node that consumes it, a running backward(). */
  refs: number;
  released: boolean;
}

let gradEnabled = true;

/** True unless inside noGrad(). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording anything for autograd (inference, optimiser updates).
 *
 * @example
 * const logits = noGrad(() => model.forward(tokens));
 */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new ArgumentError("noGrad: expected a function");
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

function allSaved(node: GradNode): Tensor[] {
  return [...node.saved.inputs, node.saved.output, ...node.saved.extras].filter((t): t is Tensor => t !== undefined);
}

/**
 * Makes `output` the result of a new node of `op` over `inputs`, holding what the op saved for its rule
 * (src/ops/record.ts decides that); the node holds a reference on each unreleased node upstream.
 */
export function attachNode(
  op: string,
  inputs: readonly Tensor[],
  needsGrad: readonly boolean[],
  output: Tensor,
  attrs: Readonly<Record<string, unknown>>,
  saved: GradNode["saved"],
): void {
  const node: GradNode = {
    op,
    inputs: inputs.slice(),
    needsGrad,
    inputShapes: inputs.map((t) => t.shape),
    outputShape: output.shape,
    outputDtype: output.dtype,
    attrs,
    saved,
    refs: 1,
    released: false,
  };
  for (const input of producers(node)) input.refs++;
  output.requiresGrad = true;
  output.setGradFn(node);
}

/** The unreleased nodes that made this node's inputs (each counted once per input slot). */
function producers(node: GradNode): GradNode[] {
  return node.inputs.flatMap((t, i) => (node.needsGrad[i] && t.gradFn && !t.gradFn.released ? [t.gradFn] : []));
}

/**
 * Frees what a node saved and lets go of the nodes upstream. backward() calls this once the node's
 * gradients are computed; otherwise it happens when the last holder (see GradNode.refs) goes away, so a
 * graph that is built but never back-propagated is freed together with its tensors.
 */
export function releaseNode(node: GradNode): void {
  if (node.released) return;
  node.released = true;
  for (const t of allSaved(node)) t.dispose();
  for (const input of producers(node)) dropNodeRef(input);
}

/** Drops one holder of a node, releasing it when none is left. */
export function dropNodeRef(node: GradNode): void {
  if (node.released) return;
  if (--node.refs <= 0) releaseNode(node);
}
