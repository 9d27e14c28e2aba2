import { AutogradError } from "../errors.js";
import { add } from "../ops/elementwise.js";
import { onesLike } from "../ops/creation.js";
import { cast } from "../ops/operands.js";
import { contiguous } from "../ops/views.js";
import type { FloatDType } from "../tensor/dtype.js";
import { dropNodeRef, type GradNode, noGrad, releaseNode } from "../tensor/graph.js";
import { keep, tidy } from "../tensor/scope.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { Tensor, expectTensor } from "../tensor/tensor.js";
import { contextFor, ruleFor } from "./gradients.js";

/** Nodes reachable from `root`, each after every node that consumes its output. */
function topologicalOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: { node: GradNode; next: number }[] = [{ node: root, next: 0 }];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const inputs = top.node.inputs;
    if (top.next < inputs.length) {
      const i = top.next++;
      const child = inputs[i]!.gradFn;
      if (top.node.needsGrad[i] && child && !seen.has(child)) {
        seen.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order.reverse();
}

/** Adds `g` into a leaf's `.grad` (contiguous, the leaf's dtype), keeping it out of tidy() scopes. */
function accumulateLeaf(leaf: Tensor, g: Tensor<FloatDType>): void {
  if (leaf.isDisposed) return;
  const typed = cast(g, leaf.dtype as FloatDType);
  const total = leaf.grad ? add(leaf.grad as Tensor<FloatDType>, typed) : ownCopy(typed);
  leaf.grad?.dispose();
  leaf.grad = keep(total) as typeof leaf.grad;
}

/** A distinct Tensor object over contiguous data: a view of `t` when it is contiguous, else a copy. */
function ownCopy<D extends FloatDType>(t: Tensor<D>): Tensor<D> {
  return t.isContiguous() ? Tensor.view(t, t.shape, t.strides, t.offset, "backward") : contiguous(t);
}

/** Gives every gradient its own Tensor object, so disposing one (or the upstream `g`) frees no other. */
function distinct(grads: (Tensor<FloatDType> | undefined)[], g: Tensor): (Tensor<FloatDType> | undefined)[] {
  const seen = new Set<Tensor>([g]);
  return grads.map((t) => {
    if (!t) return t;
    if (!seen.has(t)) {
      seen.add(t);
      return t;
    }
    return Tensor.view(t, t.shape, t.strides, t.offset, "backward");
  });
}

/**
 * Back-propagates from `root` through the recorded graph, accumulating into `.grad` of every leaf that
 * requires grad. `grad` defaults to 1 for a one-element root. The graph is freed as it is consumed, so a
 * second backward over the same graph is an error.
 *
 * @example
 * const loss = crossEntropy(logits, targets); loss.backward(); console.log(w.grad);
 */
export function backward(root: Tensor, grad?: Tensor): void {
  expectTensor("backward", "root", root);
  if (!root.requiresGrad)
    throw new AutogradError(
      `backward: the tensor (shape ${formatShape(root.shape)}) does not require grad; no input of the ops that made it requires grad`,
    );
  if (grad === undefined && root.numel !== 1) {
    throw new AutogradError(
      `backward: a gradient must be given for a non-scalar tensor of shape ${formatShape(root.shape)}`,
    );
  }
  if (grad !== undefined) {
    if (!(grad instanceof Tensor)) throw new AutogradError("backward: grad must be a Tensor");
    expectTensor("backward", "grad", grad);
    if (!sameShape(grad.shape, root.shape))
      throw new AutogradError(
        `backward: grad has shape ${formatShape(grad.shape)}, the tensor ${formatShape(root.shape)}`,
      );
  }
  noGrad(() =>
    tidy(() => {
      const seed = grad ?? onesLike(root);
      if (!root.gradFn) {
        accumulateLeaf(root, seed as Tensor<FloatDType>);
        return;
      }
      const pending = new Map<GradNode, Tensor<FloatDType>>([[root.gradFn, seed as Tensor<FloatDType>]]);
      const order = topologicalOrder(root.gradFn);
      // backward() holds every node it will visit, so none is freed early when a consumer is released.
      for (const node of order) node.refs++;
      try {
        for (const node of order) {
          const g = pending.get(node);
          pending.delete(node);
          if (!g) continue;
          if (node.released)
            throw new AutogradError(
              `backward: the graph through ${node.op} was already freed by an earlier backward()`,
            );
          const rule = ruleFor(node);
          const inputGrads = distinct(
            tidy(() => rule.backward(contextFor(node), g)),
            g,
          );
          releaseNode(node);
          if (g !== grad) g.dispose();
          inputGrads.forEach((ig, i) => {
            if (!ig || !node.needsGrad[i]) {
              ig?.dispose();
              return;
            }
            const input = node.inputs[i]!;
            if (input.gradFn) {
              const before = pending.get(input.gradFn);
              pending.set(input.gradFn, before ? add(before, ig) : ig);
              if (before) {
                before.dispose();
                ig.dispose();
              }
            } else {
              accumulateLeaf(input, ig);
              ig.dispose();
            }
          });
        }
      } finally {
        for (const node of order) dropNodeRef(node);
      }
    }),
  );
}
